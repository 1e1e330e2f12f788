import { jetstreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import {
  type Directories,
  InProcessDirectories,
  isShardlineError,
  MAX_DIRECTORY_VALUE_BYTES,
  NatsDirectories,
} from '@shardline/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The machine's NATS with JetStream (decision 0028); .ci/run starts it. */
const NATS_URL = process.env.SHARDLINE_NATS_URL ?? '127.0.0.1:4222';
let nats: NatsConnection;
const bucketsMade: string[] = [];
let buckets = 0;

beforeAll(async () => {
  nats = await connect({ servers: NATS_URL });
});
afterAll(async () => {
  const streams = await jetstreamManager(nats);
  for (const name of bucketsMade) await streams.streams.delete(`KV_${name}`).catch(() => {});
  await nats.drain();
});

/** Each engine's directories, fresh for each test (the NATS buckets are named for this run, deleted after). */
const engines: [string, () => Directories][] = [
  ['in-process', () => new InProcessDirectories()],
  ['nats', () => new NatsDirectories(nats)],
];

function freshName(): string {
  const name = `contract-${process.pid}-${Date.now()}-${buckets++}`;
  bucketsMade.push(name);
  return name;
}

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined) => (value ? new TextDecoder().decode(value) : undefined);

async function expectCode(code: string, run: () => Promise<unknown>): Promise<void> {
  const outcome = await run().then(
    () => 'nothing thrown',
    (error: unknown) => (isShardlineError(error, code as never) ? code : String(error)),
  );
  expect(outcome).toBe(code);
}

describe.each(engines)('directory contract: %s', (_name, engine) => {
  const open = () => engine().directory(freshName());

  it('creates once, then refuses to create again (DIRECTORY_CONFLICT), leaving the first value', async () => {
    const directory = await open();
    const revision = await directory.create('shard/caves', bytes('first'));
    expect(revision).toBeGreaterThan(0);
    await expectCode('DIRECTORY_CONFLICT', () => directory.create('shard/caves', bytes('second')));
    const entry = await directory.get('shard/caves');
    expect([text(entry?.value), entry?.revision]).toEqual(['first', revision]);
  });

  it('updates only from the current revision: a stale one is refused and writes nothing', async () => {
    const directory = await open();
    const first = await directory.create('lease.master', bytes('forest'));
    const second = await directory.update('lease.master', bytes('forest again'), first);
    expect(second).toBeGreaterThan(first);
    await expectCode('DIRECTORY_CONFLICT', () => directory.update('lease.master', bytes('caves'), first));
    await expectCode('DIRECTORY_CONFLICT', () => directory.update('absent', bytes('x'), second));
    expect(text((await directory.get('lease.master'))?.value)).toBe('forest again');
  });

  it('stamps every write to the bucket with a larger revision, whichever key it touched', async () => {
    const directory = await open();
    const seen = [
      await directory.put('a', bytes('1')),
      await directory.create('b', bytes('2')),
      await directory.put('a', bytes('3')),
    ];
    await directory.delete('b');
    seen.push(await directory.create('b', bytes('4'))); // after a delete, the key may be created again
    expect(seen).toEqual([...seen].sort((x, y) => x - y));
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen[3]).toBeGreaterThan(seen[2]! + 1); // the delete took a revision of its own
  });

  it('gives a copy of the value, lists present keys, and forgets deleted ones', async () => {
    const directory = await open();
    const value = bytes('world: forest');
    await directory.put('worlds/forest', value);
    value[0] = 0;
    const entry = await directory.get('worlds/forest');
    expect(text(entry?.value)).toBe('world: forest');
    entry!.value[0] = 0;
    expect(text((await directory.get('worlds/forest'))?.value)).toBe('world: forest');
    await directory.put('worlds/caves', bytes('world: caves'));
    await directory.delete('worlds/forest');
    await directory.delete('never-there');
    expect(await directory.get('worlds/forest')).toBeUndefined();
    expect((await directory.keys()).sort()).toEqual(['worlds/caves']);
  });

  it('deletes at a revision only while it is the current one (a lease released by its holder alone)', async () => {
    const directory = await open();
    const first = await directory.create('lease/master', bytes('forest'));
    const renewed = await directory.update('lease/master', bytes('forest'), first);
    await expectCode('DIRECTORY_CONFLICT', () => directory.delete('lease/master', first));
    expect((await directory.get('lease/master'))?.revision).toBe(renewed);
    await directory.delete('lease/master', renewed);
    expect(await directory.get('lease/master')).toBeUndefined();
  });

  it('watches: the entries present, then every write in revision order (a delete without a value), until stopped', async () => {
    const directory = await open();
    const first = await directory.put('shard/forest', bytes('forest 1'));
    await directory.put('shard/caves', bytes('caves 1'));
    const heard: [string, string | undefined, number][] = [];
    const stop = await directory.watch((change) =>
      heard.push([change.key, text(change.value), change.revision]),
    );
    const renewed = await directory.update('shard/forest', bytes('forest 2'), first);
    await directory.delete('shard/caves');
    await expect.poll(() => heard.length, { timeout: 2_000 }).toBe(4);
    expect(heard.map(([key, value]) => [key, value])).toEqual([
      ['shard/forest', 'forest 1'],
      ['shard/caves', 'caves 1'],
      ['shard/forest', 'forest 2'],
      ['shard/caves', undefined],
    ]);
    expect(heard[2]![2]).toBe(renewed);
    expect(heard.map(([, , revision]) => revision)).toEqual(
      [...heard.map(([, , revision]) => revision)].sort((a, b) => a - b),
    );
    await stop();
    await directory.put('shard/ruins', bytes('ruins 1'));
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(heard).toHaveLength(4);
  });

  it('forgets an entry its TTL after its last write, and keeps one renewed in time; reopening keeps the TTL', async () => {
    const directories = engine();
    const name = freshName();
    const directory = await directories.directory(name, { ttlMs: 1_000 });
    const reopened = await directories.directory(name); // no TTL asked: the one it was made with holds
    await reopened.put('lease/dead', bytes('x'));
    let renewed = await directory.put('lease/alive', bytes('x'));
    for (const _ of [1, 2]) {
      await new Promise((resolve) => setTimeout(resolve, 600));
      renewed = await directory.update('lease/alive', bytes('x'), renewed);
    }
    expect(await directory.get('lease/dead')).toBeUndefined();
    expect((await directory.get('lease/alive'))?.revision).toBe(renewed);
  });

  it('refuses keys and values the contract does not allow (VALUE_INVALID)', async () => {
    const directory = await open();
    for (const key of ['', '.lead', 'trail.', 'sp ace', 'star*', 'x'.repeat(257)]) {
      await expectCode('VALUE_INVALID', () => directory.put(key, bytes('x')));
    }
    await expectCode('VALUE_INVALID', () =>
      directory.put('big', new Uint8Array(MAX_DIRECTORY_VALUE_BYTES + 1)),
    );
    expect(await directory.put('x'.repeat(256), new Uint8Array(MAX_DIRECTORY_VALUE_BYTES))).toBeGreaterThan(
      0,
    );
  });
});
