import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  type ClusterEngine,
  InProcessCluster,
  isShardlineError,
  Lease,
  type LoggedEvent,
  NatsEngine,
  ShardlineError,
  streamOfLog,
} from '@shardline/server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

/** The machine's NATS with JetStream (decision 0028); .ci/run starts it. */
const NATS_URL = process.env.SHARDLINE_NATS_URL ?? '127.0.0.1:4222';
let admin: NatsConnection;
const streamsMade: string[] = [];
let names = 0;

beforeAll(async () => {
  admin = await connect({ servers: NATS_URL });
});
afterAll(async () => {
  const manager = await jetstreamManager(admin);
  for (const stream of streamsMade) await manager.streams.delete(stream).catch(() => {});
  await admin.drain();
});

/** Two members of one engine, as two shards would hold (fresh for each test). */
const engines: [string, () => Promise<[ClusterEngine, ClusterEngine]>][] = [
  [
    'in-process',
    async () => {
      const cluster = new InProcessCluster();
      return [cluster.member(), cluster.member()];
    },
  ],
  [
    'nats',
    async () => [await NatsEngine.connect({ url: NATS_URL }), await NatsEngine.connect({ url: NATS_URL })],
  ],
];

/** A name no other test or run uses (logs and buckets made with it are deleted after the run). */
function fresh(kind: 'log' | 'bucket'): string {
  const name = `contract-${process.pid}-${Date.now()}-${names++}`;
  streamsMade.push(kind === 'log' ? streamOfLog(name) : `KV_${name}`);
  return name;
}

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (value: Uint8Array) => new TextDecoder().decode(value);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The message (which starts with the code) of the ShardlineError `run` rejects with. */
async function failureOf(run: () => Promise<unknown>): Promise<string> {
  return run().then(
    () => 'nothing thrown',
    (error: unknown) => (isShardlineError(error) ? error.message : String(error)),
  );
}

/** Events a follower hears, and a promise of the first `count`. */
function follower(count: number, timeoutMs = 3_000) {
  const heard: LoggedEvent[] = [];
  let done: () => void = () => {};
  const complete = new Promise<void>((resolve, reject) => {
    done = resolve;
    setTimeout(() => reject(new Error(`heard ${heard.length} of ${count}`)), timeoutMs);
  });
  const handler = (event: LoggedEvent) => {
    heard.push(event);
    if (heard.length === count) done();
  };
  return { heard, handler, complete };
}

describe.each(engines)('cluster engine contract: %s', (_name, open) => {
  let members: ClusterEngine[] = [];
  const pair = async () => {
    members = await open();
    return members as [ClusterEngine, ClusterEngine];
  };
  afterEach(async () => {
    for (const member of members) await member.close();
    members = [];
  });

  describe('requests', () => {
    it('delivers a request to a member serving its subject and resolves with the reply', async () => {
      const [caves, forest] = await pair();
      await caves.serve('test.rpc.caves', (payload) => bytes(`caves got ${text(payload)}`));
      expect(text(await forest.request('test.rpc.caves', bytes('hello'), 1_000))).toBe('caves got hello');
    });

    it('refuses at once when nobody serves the subject (CLUSTER_NO_RESPONDER)', async () => {
      const [, forest] = await pair();
      const startedMs = performance.now();
      expect(await failureOf(() => forest.request('test.rpc.nobody', bytes('x'), 5_000))).toMatch(
        /^CLUSTER_NO_RESPONDER: nobody serves test\.rpc\.nobody/,
      );
      expect(performance.now() - startedMs).toBeLessThan(1_000);
    });

    it('gives up after the time limit (CLUSTER_TIMEOUT) when the handler does not answer', async () => {
      const [caves, forest] = await pair();
      await caves.serve('test.rpc.slow', () => new Promise<Uint8Array>(() => {}));
      const startedMs = performance.now();
      expect(await failureOf(() => forest.request('test.rpc.slow', bytes('x'), 200))).toMatch(
        /^CLUSTER_TIMEOUT: no reply on test\.rpc\.slow within 200 ms/,
      );
      expect(performance.now() - startedMs).toBeGreaterThanOrEqual(190);
    });

    it("passes a handler's ShardlineError on with its code and message, and hides any other error", async () => {
      const [caves, forest] = await pair();
      await caves.serve('test.rpc.refuses', () => {
        throw new ShardlineError('WORLD_FULL', 'caves seats 8');
      });
      await caves.serve('test.rpc.breaks', () => {
        throw new Error('database password is hunter2');
      });
      expect(await failureOf(() => forest.request('test.rpc.refuses', bytes('x'), 1_000))).toBe(
        'WORLD_FULL: caves seats 8',
      );
      const hidden = await failureOf(() => forest.request('test.rpc.breaks', bytes('x'), 1_000));
      expect(hidden).toMatch(/^RPC_FAILED: /);
      expect(hidden).not.toContain('hunter2');
    });

    it('hands each request to one of the members serving a subject, and stops when unsubscribed', async () => {
      const [caves, forest] = await pair();
      const served: string[] = [];
      const stopCaves = await caves.serve('test.rpc.any', () => {
        served.push('caves');
        return bytes('caves');
      });
      await forest.serve('test.rpc.any', () => {
        served.push('forest');
        return bytes('forest');
      });
      for (let call = 0; call < 20; call++) await forest.request('test.rpc.any', bytes('x'), 1_000);
      expect(served).toHaveLength(20);
      await stopCaves();
      served.length = 0;
      for (let call = 0; call < 5; call++) await forest.request('test.rpc.any', bytes('x'), 1_000);
      expect(served).toEqual(['forest', 'forest', 'forest', 'forest', 'forest']);
    });

    it('gives the handler its own copy of the payload, and the caller its own reply', async () => {
      const [caves, forest] = await pair();
      let received: Uint8Array | undefined;
      await caves.serve('test.rpc.copy', (payload) => {
        received = payload;
        return bytes('reply');
      });
      const payload = bytes('original');
      const pending = forest.request('test.rpc.copy', payload, 1_000);
      payload[0] = 0;
      await pending;
      expect(text(received!)).toBe('original');
    });

    it('refuses subjects, payloads and time limits the contract does not allow', async () => {
      const [caves] = await pair();
      for (const subject of ['', 'a..b', 'a.*', 'a.>', 'has space', `x${'y'.repeat(200)}`]) {
        expect(await failureOf(() => caves.request(subject, bytes('x'), 100))).toMatch(/^VALUE_INVALID/);
        expect(await failureOf(() => caves.serve(subject, () => bytes('x')))).toMatch(/^VALUE_INVALID/);
      }
      expect(await failureOf(() => caves.request('a.b', new Uint8Array(1024 * 1024 + 1), 100))).toMatch(
        /^BUS_PAYLOAD_TOO_LARGE/,
      );
      for (const timeoutMs of [0, -1, Number.NaN, 2 ** 31]) {
        expect(await failureOf(() => caves.request('a.b', bytes('x'), timeoutMs))).toMatch(/^VALUE_INVALID/);
      }
    });

    it('stops serving when the member closes, and refuses calls after (BUS_CLOSED)', async () => {
      const [caves, forest] = await pair();
      await caves.serve('test.rpc.closing', () => bytes('here'));
      await caves.close();
      expect(await failureOf(() => forest.request('test.rpc.closing', bytes('x'), 1_000))).toMatch(
        /^CLUSTER_NO_RESPONDER/,
      );
      expect(await failureOf(() => caves.request('test.rpc.closing', bytes('x'), 100))).toMatch(
        /^BUS_CLOSED/,
      );
    });
  });

  describe('event log', () => {
    it('gives every append a larger sequence and de-duplicates ids within the window', async () => {
      const [caves] = await pair();
      const log = await caves.eventLog(fresh('log'));
      const first = await log.append('boss.dragonfly', 'event-1', bytes('defeated'));
      const second = await log.append('boss.deerclops', 'event-2', bytes('defeated'));
      const again = await log.append('boss.dragonfly', 'event-1', bytes('defeated again?'));
      expect(first.duplicate).toBe(false);
      expect(second.sequence).toBeGreaterThan(first.sequence);
      expect(again).toEqual({ sequence: first.sequence, duplicate: true });
    });

    it('keeps the newest event of each subject: a follower from 0 gets those, in sequence order', async () => {
      const [caves, forest] = await pair();
      const name = fresh('log');
      const log = await caves.eventLog(name);
      await log.append('boss.dragonfly', 'e1', bytes('alive'));
      await log.append('settings', 'e2', bytes('summer'));
      await log.append('boss.dragonfly', 'e3', bytes('defeated'));
      const late = follower(2);
      await (await forest.eventLog(name)).follow(0, late.handler);
      await late.complete;
      await sleep(100); // nothing more comes
      expect(late.heard.map((event) => [event.subject, event.id, text(event.payload)])).toEqual([
        ['settings', 'e2', 'summer'],
        ['boss.dragonfly', 'e3', 'defeated'],
      ]);
      expect(late.heard[1]!.sequence).toBeGreaterThan(late.heard[0]!.sequence);
      expect(Math.abs(late.heard[0]!.timeMs - Date.now())).toBeLessThan(5_000);
    });

    it('follows from a sequence: the kept events after it, then new ones in order as appended', async () => {
      const [caves, forest] = await pair();
      const name = fresh('log');
      const log = await caves.eventLog(name);
      const seen = await log.append('season', 'e1', bytes('autumn'));
      await log.append('boss.bearger', 'e2', bytes('defeated'));
      const live = follower(12);
      await (await forest.eventLog(name)).follow(seen.sequence, live.handler);
      for (let day = 1; day <= 11; day++) await log.append(`day.${day}`, `day-${day}`, bytes(`${day}`));
      await live.complete;
      expect(live.heard.map((event) => event.id)).toEqual([
        'e2',
        ...Array.from({ length: 11 }, (_, index) => `day-${index + 1}`),
      ]);
    });

    it('hands events over one at a time, waiting for the handler, and stops when unsubscribed', async () => {
      const [caves] = await pair();
      const log = await caves.eventLog(fresh('log'));
      let inHandler = 0;
      let most = 0;
      const handled: string[] = [];
      const stop = await log.follow(0, async (event) => {
        most = Math.max(most, ++inHandler);
        await sleep(5);
        handled.push(event.id);
        inHandler--;
      });
      for (let index = 0; index < 5; index++) await log.append(`s.${index}`, `id-${index}`, bytes('x'));
      await expect.poll(() => handled.length, { timeout: 3_000 }).toBe(5);
      expect(most).toBe(1);
      await stop();
      await log.append('s.after', 'id-after', bytes('x'));
      await sleep(200);
      expect(handled).toHaveLength(5);
    });

    it('refuses subjects, ids and payloads the contract does not allow', async () => {
      const [caves] = await pair();
      const log = await caves.eventLog(fresh('log'));
      expect(await failureOf(() => log.append('boss..x', 'id', bytes('x')))).toMatch(/^VALUE_INVALID/);
      expect(await failureOf(() => log.append('boss', '', bytes('x')))).toMatch(/^VALUE_INVALID/);
      expect(await failureOf(() => log.append('boss', 'has space', bytes('x')))).toMatch(/^VALUE_INVALID/);
      expect(await failureOf(() => log.append('boss', 'x'.repeat(129), bytes('x')))).toMatch(
        /^VALUE_INVALID/,
      );
      expect(await failureOf(() => log.append('boss', 'id', new Uint8Array(64 * 1024 + 1)))).toMatch(
        /^VALUE_INVALID/,
      );
      expect(await failureOf(() => log.follow(-1, () => {}))).toMatch(/^VALUE_INVALID/);
      expect(await failureOf(() => caves.eventLog('no.dots'))).toMatch(/^VALUE_INVALID/);
    });
  });

  describe('leases', () => {
    it('is held by one holder at a time; its fencing token grows with each new holder', async () => {
      const [caves, forest] = await pair();
      const bucket = fresh('bucket');
      const leases = await caves.directories.directory(bucket, { ttlMs: 1_000 });
      const first = await Lease.tryAcquire(leases, 'master', bytes('caves'));
      expect(first).toBeDefined();
      const theirs = await forest.directories.directory(bucket, { ttlMs: 1_000 });
      expect(await Lease.tryAcquire(theirs, 'master', bytes('forest'))).toBeUndefined();
      await first!.renew(bytes('caves'));
      expect(first!.revision).toBeGreaterThan(first!.token);
      await first!.release();
      const second = await Lease.tryAcquire(theirs, 'master', bytes('forest'));
      expect(second!.token).toBeGreaterThan(first!.revision);
    });

    it('runs out when not renewed; the old holder then hears LEASE_LOST and cannot release the new one', async () => {
      const [caves, forest] = await pair();
      const bucket = fresh('bucket');
      const mine = await Lease.tryAcquire(
        await caves.directories.directory(bucket, { ttlMs: 600 }),
        'shard/caves',
        bytes('caves'),
      );
      const theirsDirectory = await forest.directories.directory(bucket, { ttlMs: 600 });
      await sleep(800);
      const theirs = await Lease.tryAcquire(theirsDirectory, 'shard/caves', bytes('impostor'));
      expect(theirs!.token).toBeGreaterThan(mine!.token);
      expect(await failureOf(() => mine!.renew(bytes('caves')))).toMatch(
        /^LEASE_LOST: the lease shard\/caves/,
      );
      expect(mine!.held).toBe(false);
      await mine!.release();
      expect(text((await theirsDirectory.get('shard/caves'))!.value)).toBe('impostor');
    });

    it('stays held while renewed every third of its time', async () => {
      const [caves] = await pair();
      const directory = await caves.directories.directory(fresh('bucket'), { ttlMs: 600 });
      const lease = await Lease.tryAcquire(directory, 'shard/forest', bytes('forest'));
      const lost: unknown[] = [];
      lease!.keepRenewed(
        200,
        () => bytes('forest'),
        (error) => lost.push(error),
        (error) => lost.push(error),
      );
      await sleep(1_500);
      expect(lost).toEqual([]);
      expect((await directory.get('shard/forest'))?.revision).toBe(lease!.revision);
      lease!.stop();
      await sleep(800);
      expect(await directory.get('shard/forest')).toBeUndefined();
    });
  });
});
