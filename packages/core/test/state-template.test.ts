import {
  defineEntity,
  isShardlineError,
  LinkConditioner,
  StateProxies,
  StatePublisher,
  StateRelay,
  t,
} from '@shardline/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const Avatar = defineEntity('Avatar', {
  x: t.quantized({ min: -100, max: 100, precision: 0.01 }),
  step: t.u16(),
  emote: t.enum(['none', 'wave', 'dance']),
});

describe('state templates', () => {
  it('give each peer a proxy per remote seat with its newest state, through loss, duplicates and reordering', () => {
    const relay = new StateRelay(Avatar);
    const settings = {
      latencyMs: 80,
      jitterMs: 40,
      lossPercent: 20,
      duplicatePercent: 20,
      reorderPercent: 20,
      reorderDelayMs: 50,
    };
    const up = { alice: new LinkConditioner(settings, 1), bob: new LinkConditioner(settings, 2) };
    const down = new LinkConditioner(settings, 3); // to carol, who only watches
    const publishers = { alice: new StatePublisher(Avatar), bob: new StatePublisher(Avatar) };
    const carol = new StateProxies(Avatar);
    const seen: Record<string, number[]> = { alice: [], bob: [] };
    carol.onUpdate = (proxy) => seen[proxy.seat]!.push(proxy.state.step as number);
    let step = 0;
    for (let now = 0; now < 5_000; now += 16) {
      step++;
      for (const seat of ['alice', 'bob'] as const) {
        const state = Avatar.create({ x: seat === 'alice' ? step / 100 : -step / 100, step, emote: 'wave' });
        up[seat].send(publishers[seat].encode(state, now), now);
        for (const bytes of up[seat].receive(now)) {
          const relayed = relay.relay(seat, bytes, now);
          if (relayed) down.send(relayed, now);
        }
      }
      for (const bytes of down.receive(now)) carol.receive(bytes);
    }
    for (let now = 5_000; now < 6_000; now += 16) for (const bytes of down.receive(now)) carol.receive(bytes);
    expect(carol.seats.sort()).toEqual(['alice', 'bob']);
    for (const seat of ['alice', 'bob']) {
      const steps = seen[seat]!;
      for (let i = 1; i < steps.length; i++) expect(steps[i]).toBeGreaterThan(steps[i - 1]!); // never back
      // ~310 published; 20% lost on each hop, and 40 ms of jitter at 16 ms spacing makes many arrive late.
      expect(steps.length).toBeGreaterThan(80);
      expect(carol.get(seat)!.state.step).toBe(steps.at(-1));
    }
    expect(carol.get('alice')!.state.x).toBeCloseTo((carol.get('alice')!.state.step as number) / 100, 2);
    carol.remove('alice');
    expect(carol.seats).toEqual(['bob']);
  });

  it('relays a rejoined publisher at once, in order for receivers, and never revives a seat that left', () => {
    const relay = new StateRelay(Avatar, 1000);
    const carol = new StateProxies(Avatar);
    const first = new StatePublisher(Avatar);
    for (let step = 1; step <= 300; step++)
      carol.receive(relay.relay('s1', first.encode(Avatar.create({ step }), 0), step)!);
    relay.restart('s1'); // s1 rejoined with a new publisher, numbering from 0
    const second = new StatePublisher(Avatar);
    const relayed = relay.relay('s1', second.encode(Avatar.create({ step: 301 }), 0), 400);
    expect(relayed).toBeDefined();
    carol.receive(relayed!);
    expect(carol.get('s1')!.state.step).toBe(301);

    const late = relay.relay('s1', second.encode(Avatar.create({ step: 302 }), 0), 401)!;
    carol.remove('s1'); // its 'left' overtook its last relay
    carol.receive(late);
    expect(carol.get('s1')).toBeUndefined();
  });

  it('rate-limits a seat per second and throws only ShardlineError for hostile bytes', () => {
    const relay = new StateRelay(Avatar, 3);
    const publisher = new StatePublisher(Avatar);
    for (let i = 0; i < 3; i++)
      expect(relay.relay('s', publisher.encode(Avatar.create(), 0), 10)).toBeDefined();
    expect(() => relay.relay('s', publisher.encode(Avatar.create(), 0), 20)).toThrow(/RATE_LIMITED/);
    expect(relay.relay('s', publisher.encode(Avatar.create(), 0), 1_010)).toBeDefined();
    expect(relay.relay('other', publisher.encode(Avatar.create(), 0), 20)).toBeDefined();

    const valid = new StatePublisher(Avatar).encode(Avatar.create({ x: 3, step: 9, emote: 'dance' }), 77);
    const proxies = new StateProxies(Avatar);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 24 }),
          fc.tuple(fc.nat({ max: valid.length - 1 }), fc.nat({ max: 255 })).map(([at, byte]) => {
            const copy = valid.slice();
            copy[at] = byte;
            return copy;
          }),
        ),
        (bytes) => {
          for (const receive of [
            () => new StateRelay(Avatar).relay('s', bytes, 0),
            () => proxies.receive(bytes),
          ]) {
            try {
              receive();
            } catch (error) {
              expect(isShardlineError(error)).toBe(true);
            }
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
