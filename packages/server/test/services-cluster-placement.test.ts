import { GameClient, WebSocketClientTransport } from '@shardline/client';
import { type ClusterEngine, isShardlineError, WORLD_CHANNELS } from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterPlacement, shardWorldsSubject } from '../src/cluster/services/index.js';
import { duel } from './support/duel-game.js';
import { engineKinds, freshCluster, TestShards } from './support/services-cluster.js';
import { aead } from './support/world-server.js';

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** The stable code a promise rejects with ('fulfilled' if it does not). */
const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'fulfilled',
    (error: unknown) => (isShardlineError(error) ? error.code : String(error)),
  );

describe.each(engineKinds)('world placement across shards: %s', (_engine, engineKind) => {
  /** Shards on one engine (a member each), and coordinators' placements over them. */
  async function cluster() {
    const newMember = engineKind();
    const name = freshCluster();
    const shards = new TestShards();
    const member = async () => {
      const engine = await newMember();
      cleanup.push(() => engine.close());
      return engine;
    };
    const startShard = async (shard: string, creates: string[], maxPlayers?: number) => {
      const started = await shards.start(shard, {
        engine: await member(),
        cluster: name,
        creates,
        ...(maxPlayers === undefined ? {} : { maxPlayers }),
      });
      cleanup.push(() => started.stop());
      return started;
    };
    const placement = async (engine?: ClusterEngine) =>
      new ClusterPlacement({
        engine: engine ?? (await member()),
        cluster: name,
        shards,
        maxPlayersOf: (kind) => (kind === 'duel' ? duel.maxPlayers : undefined),
      });
    return { name, shards, startShard, placement, member };
  }

  it('starts each world on the least-loaded live shard that creates its kind, with tokens that shard signs', async () => {
    const { startShard, placement } = await cluster();
    const busy = await startShard('busy', ['duel']);
    const idle = await startShard('idle', ['duel']);
    const hub = await startShard('hub', []); // creates nothing: never chosen, however empty
    // One seat taken on busy (a reservation counts).
    const held = busy.handle.runtime.create('duel', { persistent: true });
    busy.handle.runtime.ticket(held, { clientId: 'someone' });
    const coordinator = await placement();
    const first = await coordinator.start('duel', 'lobby-1', ['ann', 'bob'], Date.now() + 60_000);
    expect(first.shard).toBe('idle');
    // idle now holds two promised seats (before its status shows them): busy, with one, is next.
    const second = await coordinator.start('duel', 'lobby-2', ['cat', 'dan'], Date.now() + 60_000);
    expect(second.shard).toBe('busy');
    expect(hub.handle.runtime.all()).toEqual([]);
    const world = idle.handle.runtime.get(first.worldId);
    expect([world.visibility, world.admits('ann'), world.admits('cat')]).toEqual(['restricted', true, false]);

    const ticket = await coordinator.ticket(first, { userId: 'ann', username: 'ann', lobbyId: 'lobby-1' });
    expect(ticket.world).toEqual({ id: first.worldId, kind: 'duel' });
    expect(ticket.serverAddresses).toEqual(idle.handle.server.publicAddresses);
    const client = new GameClient({
      transport: new WebSocketClientTransport(),
      token: new Uint8Array(Buffer.from(ticket.token, 'base64')),
      channels: WORLD_CHANNELS,
      aead,
    });
    cleanup.push(() => client.disconnect());
    await client.connect(idle.handle.addresses.ws); // signed by idle: its server takes it
    expect(idle.handle.server.sessions.map((id) => idle.handle.server.info(id)!.clientId)).toEqual(['ann']);
    expect(await codeOf(coordinator.ticket(first, { userId: 'eve', username: 'eve' }))).toBe('WORLD_FULL');

    await coordinator.end(second);
    expect(busy.handle.runtime.all().map((w) => w.id)).toEqual([held.id]);
    expect(await codeOf(coordinator.ticket(second, { userId: 'cat', username: 'cat' }))).toBe(
      'WORLD_NOT_FOUND',
    );
  });

  it('never overfills a shard: of two concurrent starts with room for one, one is WORLD_FULL', async () => {
    const { startShard, placement } = await cluster();
    const small = await startShard('small', ['duel'], 2); // seats for one duel
    const keep = Date.now() + 60_000;
    const coordinator = await placement();
    const outcomes = await Promise.all([
      codeOf(coordinator.start('duel', 'lobby-1', ['ann', 'bob'], keep)),
      codeOf(coordinator.start('duel', 'lobby-2', ['cat', 'dan'], keep)),
    ]);
    expect(outcomes.sort()).toEqual(['WORLD_FULL', 'fulfilled']);
    // Two coordinators at once (a failover's overlap): the shard's own check still holds.
    const other = await startShard('other', ['duel'], 2);
    const [one, two] = [await placement(), await placement()];
    const racing = await Promise.all([
      codeOf(one.start('duel', 'lobby-3', ['eve', 'fay'], keep)),
      codeOf(two.start('duel', 'lobby-4', ['gus', 'hal'], keep)),
    ]);
    expect(racing.sort()).toEqual(['WORLD_FULL', 'fulfilled']);
    expect([small.handle.runtime.all().length, other.handle.runtime.all().length]).toEqual([1, 1]);
  });

  it('says why a world cannot be placed: no such kind, no shard that creates it, a shard gone', async () => {
    const { startShard, placement } = await cluster();
    const coordinator = await placement();
    const keep = Date.now() + 60_000;
    expect(await codeOf(coordinator.start('chess', 'lobby-1', ['ann'], keep))).toBe('WORLD_KIND_UNKNOWN');
    expect(await codeOf(coordinator.start('duel', 'lobby-1', ['ann'], keep))).toBe('SHARD_UNAVAILABLE');
    const gone = await startShard('gone', ['duel']);
    await gone.worlds.close(); // still listed as live, but no longer serving
    const there = await startShard('there', ['duel'], 64);
    const placed = await coordinator.start('duel', 'lobby-2', ['ann'], keep);
    expect(placed.shard).toBe('there'); // 'gone' sorts first (equal loads), answers nobody: the next is tried
    expect(there.handle.runtime.all()).toHaveLength(1);
    expect(
      await codeOf(coordinator.ticket({ worldId: 'w', shard: 'gone' }, { userId: 'a', username: 'a' })),
    ).toBe('SHARD_UNAVAILABLE');
  });

  it("refuses a coordinator's requests that are not of their shape, or keep a world too long", async () => {
    const { name, startShard, member } = await cluster();
    await startShard('s', ['duel']);
    const engine = await member();
    const ask = (value: unknown) =>
      codeOf(
        engine.request(shardWorldsSubject(name, 's'), new TextEncoder().encode(JSON.stringify(value)), 2_000),
      );
    const members = (count: number) => Array.from({ length: count }, (_, index) => `u${index}`);
    const start = { kind: 'duel', lobbyId: 'l', memberIds: members(2), keepUntilMs: Date.now() + 60_000 };
    expect(await ask([1, 2, 3])).toBe('WIRE_INVALID');
    expect(await ask({ op: 'start', args: { ...start, memberIds: members(65) } })).toBe('WIRE_INVALID');
    expect(await ask({ op: 'start', args: { ...start, kind: 'k'.repeat(33) } })).toBe('WIRE_INVALID');
    expect(await ask({ op: 'start', args: { ...start, extra: true } })).toBe('WIRE_INVALID');
    expect(await ask({ op: 'start', args: { ...start, keepUntilMs: Date.now() + 24 * 3_600_000 } })).toBe(
      'VALUE_INVALID',
    );
    expect(
      await ask({ op: 'ticket', args: { worldId: 'nope', player: { userId: 'u', username: 'u' } } }),
    ).toBe('WORLD_NOT_FOUND');
    expect(await ask({ op: 'start', args: start })).toBe('fulfilled');
  });
});
