import {
  type ClusterBus,
  InProcessBroker,
  InProcessBus,
  isShardlineError,
  MAX_BUS_PAYLOAD_BYTES,
  NatsEngine,
} from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';

/** Two members of one bus (as two server processes would hold), for each implementation. */
const backends: [string, () => Promise<[ClusterBus, ClusterBus]>][] = [
  [
    'in-process',
    async () => {
      const broker = new InProcessBroker();
      return [new InProcessBus(broker), new InProcessBus(broker)];
    },
  ],
  [
    // Two NATS connections, as two processes hold (decision 0028); .ci/run starts the server.
    'nats',
    async () => {
      const url = process.env.SHARDLINE_NATS_URL ?? '127.0.0.1:4222';
      const engines = [await NatsEngine.connect({ url }), await NatsEngine.connect({ url })];
      opened.push(...engines);
      return [engines[0]!.bus, engines[1]!.bus];
    },
  ],
];
/** The NATS members the tests opened, closed after each. */
const opened: NatsEngine[] = [];

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (payload: Uint8Array) => new TextDecoder().decode(payload);

/** Resolves once `count` payloads were heard (or rejects after timeoutMs). */
function collect(count: number, timeoutMs = 2_000) {
  const heard: string[] = [];
  let done: () => void = () => {};
  const complete = new Promise<void>((resolve, reject) => {
    done = resolve;
    setTimeout(() => reject(new Error(`heard ${heard.length} of ${count}: ${heard.join(',')}`)), timeoutMs);
  });
  const handler = (payload: Uint8Array) => {
    heard.push(text(payload));
    if (heard.length === count) done();
  };
  return { heard, handler, complete };
}

/** Lets every delivery already queued happen. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe.each(backends)('cluster bus contract: %s', (_name, connect) => {
  let members: ClusterBus[] = [];
  afterEach(async () => {
    await Promise.all(members.map((member) => member.close()));
    members = [];
    for (const engine of opened.splice(0)) await engine.close();
  });
  const pair = async () => {
    members = await connect();
    return members as [ClusterBus, ClusterBus];
  };

  it('delivers to every subscriber of the channel on every member, and to no other channel', async () => {
    const [a, b] = await pair();
    const onA = collect(1);
    const onB = collect(1);
    const other = collect(1);
    await a.subscribe('world.events', onA.handler);
    await b.subscribe('world.events', onB.handler);
    await b.subscribe('world.other', other.handler);
    await a.publish('world.events', bytes('boss-spawned'));
    await Promise.all([onA.complete, onB.complete]);
    await settle();
    expect(onA.heard).toEqual(['boss-spawned']);
    expect(onB.heard).toEqual(['boss-spawned']);
    expect(other.heard).toEqual([]);
  });

  it("keeps one publisher's order on a channel", async () => {
    const [a, b] = await pair();
    const heard = collect(200);
    await b.subscribe('ordered', heard.handler);
    for (let i = 0; i < 200; i++) await a.publish('ordered', bytes(String(i)));
    await heard.complete;
    expect(heard.heard).toEqual(Array.from({ length: 200 }, (_, i) => String(i)));
  });

  it('never runs a handler inside publish, and hands each handler its own copy', async () => {
    const [a, b] = await pair();
    const received: Uint8Array[] = [];
    await b.subscribe('copies', (payload) => received.push(payload));
    await b.subscribe('copies', (payload) => payload.fill(0)); // a handler that scribbles on its copy
    const payload = bytes('abc');
    const published = a.publish('copies', payload);
    expect(received).toHaveLength(0);
    await published;
    payload.fill(120); // the publisher reuses its buffer
    await settle();
    expect(received.map(text)).toEqual(['abc']);
  });

  it('stops delivering once unsubscribed, and to a closed member', async () => {
    const [a, b] = await pair();
    const kept = collect(2);
    const dropped: string[] = [];
    await a.subscribe('news', kept.handler);
    const unsubscribe = await b.subscribe('news', (payload) => dropped.push(text(payload)));
    await a.publish('news', bytes('one'));
    await unsubscribe();
    await a.publish('news', bytes('two'));
    await kept.complete;
    await settle();
    expect(kept.heard).toEqual(['one', 'two']);
    expect(dropped).toEqual([]); // 'one' was still queued when it unsubscribed: not delivered after
    const late: string[] = [];
    await b.subscribe('news', (payload) => late.push(text(payload)));
    await b.close();
    await a.publish('news', bytes('three'));
    await settle();
    expect(late).toEqual([]);
  });

  it('goes on delivering to the others when a handler throws', async () => {
    const [a, b] = await pair();
    const errors: string[] = [];
    b.onHandlerError = (error, channel) => errors.push(`${channel}: ${(error as Error).message}`);
    const survivor = collect(2);
    await b.subscribe('fragile', () => {
      throw new Error('handler bug');
    });
    await b.subscribe('fragile', survivor.handler);
    await a.publish('fragile', bytes('x'));
    await a.publish('fragile', bytes('y'));
    await survivor.complete;
    expect(errors).toEqual(['fragile: handler bug', 'fragile: handler bug']);
  });

  it('refuses bad channel names, oversized payloads, and use after close, with stable codes', async () => {
    const [a] = await pair();
    for (const channel of ['', 'has space', 'x'.repeat(129), 'tab\there', 'é']) {
      await expect(a.publish(channel, bytes('x'))).rejects.toSatisfy((error) =>
        isShardlineError(error, 'BUS_CHANNEL_INVALID'),
      );
      await expect(a.subscribe(channel, () => {})).rejects.toSatisfy((error) =>
        isShardlineError(error, 'BUS_CHANNEL_INVALID'),
      );
    }
    await a.publish('big', new Uint8Array(MAX_BUS_PAYLOAD_BYTES)); // the limit itself is allowed
    await expect(a.publish('big', new Uint8Array(MAX_BUS_PAYLOAD_BYTES + 1))).rejects.toSatisfy((error) =>
      isShardlineError(error, 'BUS_PAYLOAD_TOO_LARGE'),
    );
    await a.close();
    await expect(a.publish('big', bytes('x'))).rejects.toSatisfy((error) =>
      isShardlineError(error, 'BUS_CLOSED'),
    );
    await expect(a.subscribe('big', () => {})).rejects.toSatisfy((error) =>
      isShardlineError(error, 'BUS_CLOSED'),
    );
  });

  it('does not starve the event loop when handlers answer each other', async () => {
    const [a, b] = await pair();
    let volleys = 0;
    await a.subscribe('ping', () => {
      volleys++;
      void a.publish('pong', bytes('.'));
    });
    await b.subscribe('pong', () => void b.publish('ping', bytes('.')));
    await b.publish('ping', bytes('.'));
    const timerFired = await new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 20));
    expect(timerFired).toBe(true);
    expect(volleys).toBeGreaterThan(1);
    await a.close();
    await b.close();
  });
});
