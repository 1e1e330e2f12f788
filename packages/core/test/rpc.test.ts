import {
  BitWriter,
  type DeclarationsOf,
  decodeRpcMessage,
  defineRpcs,
  encodeCall,
  event,
  isShardlineError,
  MovementCheck,
  RpcClient,
  RpcRouter,
  type RpcRouterOptions,
  rpc,
  ShardlineError,
  t,
  withinReach,
} from '@shardline/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { expectCode } from './support/expect-code.js';

const game = defineRpcs({
  useItem: rpc({
    params: { slot: t.int({ min: 0, max: 9 }), x: t.quantized({ min: -100, max: 100, precision: 0.1 }) },
    reply: { ok: t.bool(), left: t.u8() },
    validate: (p) => (p.slot === 7 ? 'slot 7 is locked' : undefined),
  }),
  emote: rpc({ params: { id: t.u8() }, delivery: 'unreliable' }),
  chat: rpc({ params: { text: t.string({ maxBytes: 64 }) }, rate: { perSecond: 2, burst: 3 } }),
  toast: rpc({
    params: { text: t.string({ maxBytes: 64 }) },
    direction: 'to-client',
    reply: { seen: t.bool() },
  }),
  weather: rpc({ params: { rain: t.bool() }, direction: 'to-all' }),
  ping: event({ params: { x: t.i16(), y: t.i16() } }),
  unhandled: rpc({ params: { n: t.u8() }, reply: { n: t.u8() } }),
});
const { useItem, emote, chat, toast, weather, ping, unhandled } = game.definitions;

type Game = DeclarationsOf<typeof game>;

/** A router and clients wired back to back (delivery is immediate), on a manual clock. */
function harness(options: Partial<RpcRouterOptions> = {}) {
  let nowMs = 0;
  const peers = new Map<string, RpcClient<Game>>();
  const router = new RpcRouter({
    catalog: game,
    send: (client, bytes) => peers.get(client)?.receive(bytes),
    ...options,
  });
  const connect = (name: string) => {
    const client = new RpcClient({
      catalog: game,
      send: (bytes) => router.receive(name, bytes, nowMs),
      clock: () => nowMs,
    });
    peers.set(name, client);
    router.addClient(name, nowMs);
    return client;
  };
  return {
    router,
    connect,
    advance: (ms: number) => {
      nowMs += ms;
    },
    now: () => nowMs,
  };
}

/** Waits for promise callbacks queued by synchronous deliveries. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('rpc catalog', () => {
  it('numbers entries by name, fingerprints every part, and refuses replies it could not deliver', () => {
    expect(game.byId.map((definition) => definition.name)).toEqual([
      'chat',
      'emote',
      'ping',
      'toast',
      'unhandled',
      'useItem',
      'weather',
    ]);
    const same = defineRpcs({ b: rpc({ params: { n: t.u8() } }), a: event({ params: {} }) });
    const reordered = defineRpcs({ a: event({ params: {} }), b: rpc({ params: { n: t.u8() } }) });
    const wider = defineRpcs({ a: event({ params: {} }), b: rpc({ params: { n: t.u16() } }) });
    const unordered = defineRpcs({
      a: event({ params: {} }),
      b: rpc({ params: { n: t.u8() }, delivery: 'reliable-unordered' }),
    });
    expect(reordered.fingerprint).toBe(same.fingerprint);
    expect(wider.fingerprint).not.toBe(same.fingerprint);
    expect(unordered.fingerprint).not.toBe(same.fingerprint);
    expectCode('SCHEMA_INVALID', () =>
      defineRpcs({ x: rpc({ params: {}, reply: {}, delivery: 'unreliable' }) }),
    );
    expectCode('SCHEMA_INVALID', () =>
      defineRpcs({ x: rpc({ params: {}, reply: {}, direction: 'to-all' }) }),
    );
    expectCode('SCHEMA_INVALID', () => defineRpcs({ 'bad name': rpc({ params: {} }) }));
    expectCode('SCHEMA_INVALID', () =>
      defineRpcs({ x: rpc({ params: {}, rate: { perSecond: 0, burst: 1 } }) }),
    );
  });
});

describe('rpc calls and events', () => {
  it('calls the server with typed stubs and gets replies; rejected calls never reach the handler', async () => {
    const { router, connect } = harness();
    const seen: unknown[] = [];
    router.handle(useItem, (params, call) => {
      seen.push([call.client, params.slot]);
      return { ok: params.slot < 5, left: 9 - params.slot };
    });
    router.handle(emote, (params) => void seen.push(['emote', params.id]));
    const alice = connect('alice');
    await expect(alice.call.useItem({ slot: 3, x: 1.5 })).resolves.toEqual({ ok: true, left: 6 });
    expect(alice.call.emote({ id: 4 })).toBeUndefined();
    await expect(alice.call.useItem({ slot: 7, x: 0 })).rejects.toMatchObject({ code: 'RPC_BAD_PARAMS' });
    await expect(alice.call.unhandled({ n: 1 })).rejects.toMatchObject({ code: 'RPC_UNKNOWN' });
    expectCode('VALUE_INVALID', () => alice.call.useItem({ slot: 12, x: 0 })); // the caller's own bug
    // A to-client RPC is not among a client's typed stubs; an untyped caller is refused at run time.
    // @ts-expect-error toast is to-client
    expect(() => alice.call.toast).toBeDefined();
    const untyped = alice.call as unknown as Record<string, (params: unknown) => unknown>;
    expectCode('VALUE_INVALID', () => untyped.toast!({ text: 'no' })); // not a client's to call
    expect(seen).toEqual([
      ['alice', 3],
      ['emote', 4],
    ]);
    expect(router.stats('alice')).toEqual({ calls: 2, rejected: { RPC_BAD_PARAMS: 1, RPC_UNKNOWN: 1 } });
  });

  it('tells the caller RPC_FAILED when the handler fails, and RPC_TIMEOUT when no reply comes', async () => {
    const { router, connect, advance } = harness();
    const failures: unknown[] = [];
    router.onHandlerError = (definition, error) => failures.push([definition.name, String(error)]);
    router.handle(useItem, () => {
      throw new Error('bug in game code');
    });
    const alice = connect('alice');
    await expect(alice.call.useItem({ slot: 1, x: 0 })).rejects.toMatchObject({ code: 'RPC_FAILED' });
    expect(failures).toEqual([['useItem', 'Error: bug in game code']]);
    let answer: (reply: { ok: boolean; left: number }) => void = () => {};
    router.handle(useItem, () => new Promise((resolve) => (answer = resolve)));
    const late = alice.call.useItem({ slot: 1, x: 0 });
    advance(5_001);
    alice.update();
    await expect(late).rejects.toMatchObject({ code: 'RPC_TIMEOUT' });
    answer({ ok: true, left: 1 }); // too late: dropped, counted as nothing awaited it
    await settle();
  });

  it('calls clients with replies and timeouts, calls everyone, and broadcasts events', async () => {
    const { router, connect, advance, now } = harness();
    const alice = connect('alice');
    const bob = connect('bob');
    alice.handle(toast, (params) => ({ seen: params.text.length > 0 }));
    await expect(router.call('alice', toast, { text: 'hi' }, now())).resolves.toEqual({ seen: true });
    const unanswered = router.call('bob', toast, { text: 'hi' }, now()); // bob has no handler: RPC_UNKNOWN
    await expect(unanswered).rejects.toMatchObject({ code: 'RPC_UNKNOWN' });
    const weathers: boolean[] = [];
    for (const client of [alice, bob]) client.handle(weather, (params) => void weathers.push(params.rain));
    router.callAll(weather, { rain: true });
    expect(weathers).toEqual([true, true]);

    const heard: string[] = [];
    router.on(ping, (p, info) => heard.push(`server ${info.sender} ${p.x},${p.y} @${info.timeMs}`));
    bob.on(ping, (p, info) => heard.push(`bob ${info.sender} ${p.x},${p.y} @${info.timeMs}`));
    alice.on(ping, (p, info) => heard.push(`alice ${info.sender} ${p.x},${p.y}`));
    advance(40);
    alice.broadcastEvent(ping, { x: 1, y: -2 });
    alice.sendEventToPrimary(ping, { x: 3, y: 4 }, { inOrder: false });
    router.broadcastEvent(ping, { x: 5, y: 6 }, { timeMs: 99 });
    expect(heard).toEqual([
      'server alice 1,-2 @40',
      'bob alice 1,-2 @40',
      'server alice 3,4 @40',
      'alice  5,6',
      'bob  5,6 @99',
    ]);
    alice.handle(toast, () => new Promise(() => {})); // never answers
    const gone = router.call('alice', toast, { text: '' }, now());
    router.removeClient('alice');
    await expect(gone).rejects.toMatchObject({ code: 'RPC_TIMEOUT' });
  });

  it('rate limits per RPC and per client, reports at a bounded rate, and flags a flooding client once', () => {
    const { router, connect, advance } = harness({
      clientRate: { perSecond: 50, burst: 50 },
      abuse: { rejections: 30, windowMs: 1_000 },
    });
    const said: string[] = [];
    router.handle(chat, (params, call) => void said.push(`${call.client}: ${params.text}`));
    const reports: string[] = [];
    router.onReject = (client, error) => reports.push(`${client} ${error.code}`);
    const misbehaving: string[] = [];
    router.onMisbehaving = (client) => misbehaving.push(client);
    const alice = connect('alice');
    const bob = connect('bob');
    for (let i = 0; i < 5; i++) alice.call.chat({ text: `a${i}` });
    expect(said).toEqual(['alice: a0', 'alice: a1', 'alice: a2']); // burst 3
    advance(500); // one more token at 2/s
    alice.call.chat({ text: 'later' });
    alice.call.chat({ text: 'too soon' });
    expect(said.at(-1)).toBe('alice: later');
    for (let i = 0; i < 200; i++) alice.call.chat({ text: 'spam' });
    bob.call.chat({ text: 'still heard' }); // another client is not affected
    expect(said.at(-1)).toBe('bob: still heard');
    expect(misbehaving).toEqual(['alice']);
    expect(reports.length).toBeLessThanOrEqual(4); // 2 a second, over half a second plus a burst
    expect(router.stats('alice')!.rejected.RPC_RATE_LIMITED).toBe(203);
    router.removeClient('alice');
    expect(router.rejectedTotals.RPC_RATE_LIMITED).toBe(203); // kept after the client left
  });

  it('reports a rate limit with which limit it was, answers no rate-limited call, and counts every one', () => {
    const { router, connect } = harness({
      clientRate: { perSecond: 1, burst: 4 },
      reportsPerSecond: 2,
    });
    const said: string[] = [];
    router.handle(chat, (params) => void said.push(params.text));
    const reports: string[] = [];
    router.onReject = (client, error) => reports.push(`${client} ${error.message}`);
    const failures = new Set<unknown>();
    const alice = connect('alice');
    for (let i = 0; i < 4; i++) alice.call.chat({ text: `c${i}` }); // chat's burst is 3
    for (let i = 0; i < 3; i++) alice.call.useItem({ slot: 1, x: 0 }).catch((error) => failures.add(error));
    expect(said).toEqual(['c0', 'c1', 'c2']);
    expect(reports).toEqual([
      'alice RPC_RATE_LIMITED: chat called too often',
      'alice RPC_RATE_LIMITED: more than 1 calls a second',
    ]); // then the reports' own bucket (2) is empty: the others are only counted
    expect(router.stats('alice')!.rejected).toEqual({ RPC_RATE_LIMITED: 4 });
    expect(failures.size).toBe(0); // a flood gets no answers
  });
});

describe('rpc under hostile bytes', () => {
  it('never runs a handler for a message that does not decode, fails validation or goes the wrong way', () => {
    const { router } = harness({
      rpcRate: { perSecond: 1e9, burst: 1e9 },
      clientRate: { perSecond: 1e9, burst: 1e9 },
    });
    const reached: { name: string; params: unknown }[] = [];
    router.handle(useItem, (params) => {
      reached.push({ name: 'useItem', params });
      return { ok: true, left: 0 };
    });
    router.handle(emote, (params) => void reached.push({ name: 'emote', params }));
    router.handle(chat, (params) => void reached.push({ name: 'chat', params }));
    router.on(ping, (params) => void reached.push({ name: 'ping', params }));
    router.addClient('mallory', 0);
    // Valid messages, then mutated and random ones: the oracle decodes each independently.
    const valid = [
      encodeCall(useItem, 5, { slot: 2, x: -3.3 }),
      encodeCall(useItem, 6, { slot: 7, x: 0 }),
      encodeCall(emote, undefined, { id: 200 }),
      encodeCall(chat, undefined, { text: 'héllo' }),
      encodeCall(toast, 1, { text: 'not yours' }),
    ];
    const message = fc.oneof(
      fc.uint8Array({ maxLength: 40 }),
      fc
        .tuple(fc.constantFrom(...valid), fc.nat(), fc.integer({ min: 0, max: 255 }))
        .map(([bytes, at, value]) => {
          const copy = bytes.slice();
          if (copy.length > 0) copy[at % copy.length] = value;
          return copy;
        }),
    );
    let nowMs = 0;
    fc.assert(
      fc.property(message, (bytes) => {
        reached.length = 0;
        nowMs += 1_000; // every RPC's own bucket (chat: 2/s) has refilled
        router.receive('mallory', bytes, nowMs);
        let expected: { name: string; params: unknown } | undefined;
        try {
          const decoded = decodeRpcMessage(game, bytes);
          if (decoded.kind === 'call' && decoded.rpc.direction === 'to-server' && decoded.rpc !== unhandled) {
            if (decoded.rpc.validate?.(decoded.params) === undefined)
              expected = { name: decoded.rpc.name, params: decoded.params };
          } else if (decoded.kind === 'event') {
            expected = { name: decoded.event.name, params: decoded.params };
          }
        } catch (error) {
          if (!isShardlineError(error)) throw error;
        }
        expect(reached).toEqual(expected ? [expected] : []);
      }),
      { numRuns: 3000 },
    );
    for (const bytes of valid) expect(() => decodeRpcMessage(game, bytes)).not.toThrow();
  });

  it('decodes only what the catalog declares, throwing only ShardlineError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          decodeRpcMessage(game, bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(ShardlineError);
        }
      }),
      { numRuns: 3000 },
    );
    const unknown = new BitWriter();
    unknown.writeUint(0, 2);
    unknown.writeVarUint(99);
    expectCode('RPC_UNKNOWN', () => decodeRpcMessage(game, unknown.toBytes()));
  });
});

describe('position checks', () => {
  it('accepts targets within reach and movement no faster than the declared speed', () => {
    expect(withinReach({ x: 0, y: 0 }, { x: 3, y: 4 }, 5)).toBe(true);
    expect(withinReach({ x: 0, y: 0, z: 1 }, { x: 3, y: 4, z: 1.1 }, 5)).toBe(false);
    expect(withinReach({ x: 0, y: 0 }, { x: Number.NaN, y: 0 }, 5)).toBe(false);
    const check = new MovementCheck({ maxSpeed: 10, slack: 0.5 });
    expect(check.accept('a', { x: 0, y: 0 }, 0)).toBe(true);
    expect(check.accept('a', { x: 5, y: 0 }, 500)).toBe(true); // 10/s for half a second
    expect(check.accept('a', { x: 50, y: 0 }, 600)).toBe(false); // a teleport
    expect(check.positionOf('a')).toEqual({ x: 5, y: 0 });
    expect(check.accept('a', { x: 6.4, y: 0 }, 600)).toBe(true); // 1 unit in 0.1 s, plus slack
    check.place('a', { x: 100, y: 100 }, 700);
    expect(check.accept('a', { x: 100, y: 101 }, 800)).toBe(true);
    expect(check.accept('b', { x: Number.POSITIVE_INFINITY, y: 0 }, 0)).toBe(false);
  });
});
