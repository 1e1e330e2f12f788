/**
 * ServerWorld keeps only its send ticks as baselines, and builds the ticks between them linking past
 * each other (EntitySnapshot.edit's linkPast), so those die young instead of being copied by every
 * young-generation collection for a second (issue 18). Snapshots must be the very bytes they were
 * before: the hashes below were taken from the ServerWorld that kept every tick (commit f1db806),
 * over a seeded run with spawns, despawns, moves, and clients acknowledging late, out of order or
 * not at all. One thing differs, on purpose: an acknowledgement naming a tick between sends (no
 * client was sent it) is refused; it used to be taken, and the client, sent deltas against a world
 * it never had, got nothing it could decode until that baseline aged out. It lives here while
 * packages/core/test is mutation-tested.
 */
import { createHash } from 'node:crypto';
import { ClientWorld, defineEntity, EntitySnapshot, ServerWorld, t } from '@shardline/core';
import { describe, expect, it } from 'vitest';

const Player = defineEntity('Player', {
  x: t.quantized({ min: -1000, max: 1000, precision: 0.01 }),
  y: t.quantized({ min: -1000, max: 1000, precision: 0.01 }),
  hp: t.int({ min: 0, max: 100 }),
  name: t.string({ maxBytes: 16 }),
});
const Bullet = defineEntity('Bullet', {
  pos: t.vec2({ min: -1000, max: 1000, precision: 0.05 }),
  owner: t.entity(),
});
const schemas = [Player, Bullet];

/** A small seeded generator (mulberry32): the same run every time. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), state | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A world at 60 Hz sending at `sendHz`, four clients, `ticks` ticks of play; returns a hash of every
 * snapshot (client, tick, baseline, bytes), and checks each client's decoded world against the
 * server's as it goes.
 */
function play(seed: number, sendHz: number, ticks: number): string {
  const next = random(seed);
  const world = new ServerWorld({ schemas, tickHz: 60, sendHz }, 0);
  const clients = ['a', 'b', 'c', 'd'];
  const replicas = new Map(clients.map((client) => [client, new ClientWorld({ schemas })]));
  for (const client of clients) world.addClient(client);
  const players: number[] = [];
  const bullets: number[] = [];
  const hash = createHash('sha256');
  /** Acks on their way back: [due tick, client, acked tick]. */
  const acks: [number, string, number][] = [];
  for (let i = 0; i < 6; i++) players.push(world.spawn(Player, { x: i, y: -i, hp: 100, name: `p${i}` }));
  for (let tick = 1; tick <= ticks; tick++) {
    // The game's tick: a few moves, now and then a spawn, a despawn, a hit, a rename.
    for (const id of players)
      if (next() < 0.6) world.set(id, { x: next() * 200 - 100, y: next() * 200 - 100 });
    if (next() < 0.05)
      world.set(players[Math.floor(next() * players.length)]!, { hp: Math.floor(next() * 101) });
    if (next() < 0.02) world.set(players[0]!, { name: `n${tick}` });
    if (next() < 0.08) bullets.push(world.spawn(Bullet, { pos: { x: 0, y: 0 }, owner: players[0]! }));
    for (const id of bullets) if (next() < 0.9) world.set(id, { pos: { x: next() * 50, y: next() * 50 } });
    if (bullets.length > 0 && next() < 0.06)
      world.despawn(bullets.splice(Math.floor(next() * bullets.length), 1)[0]!);
    for (const out of world.update((tick * 1000) / 60 + 0.5)) {
      hash.update(`${out.client} ${tick} ${out.baselineTick ?? '-'} `).update(out.bytes);
      const replica = replicas.get(out.client)!;
      // Client d never acknowledges; c loses a third of its snapshots; the others lag by 0–20 ticks.
      if (out.client === 'c' && next() < 0.33) continue;
      const result = replica.receive(out.bytes);
      expect(result.kind).not.toBe('malformed');
      if (out.client !== 'd' && 'ack' in result)
        acks.push([tick + Math.floor(next() * 20), out.client, result.ack]);
    }
    acks.sort((x, y) => x[0] - y[0]);
    while (acks.length > 0 && acks[0]![0] <= tick) {
      const [, client, acked] = acks.shift()!;
      world.acknowledge(client, acked);
    }
  }
  // Every replica that received the last snapshot (the last tick is a send tick) holds the server's world.
  for (const client of ['a', 'b', 'd']) {
    const held = replicas.get(client)!.snapshot;
    expect(held.tick).toBe(ticks);
    for (let s = 0; s < schemas.length; s++)
      expect([...held.snapshots[s]!.entries()]).toEqual([...world.snapshot.snapshots[s]!.entries()]);
  }
  return hash.digest('hex');
}

describe('ServerWorld history', () => {
  it('sends the same bytes as when it kept every tick', () => {
    expect([play(1, 20, 900), play(2, 20, 900), play(3, 30, 600), play(4, 60, 300)]).toEqual(GOLDEN);
  });

  it('refuses an acknowledgement of a tick nobody was sent', () => {
    const world = new ServerWorld({ schemas, tickHz: 60, sendHz: 20 }, 0);
    world.spawn(Player, { x: 1, y: 1, hp: 100, name: 'p' });
    world.addClient('a');
    for (let tick = 1; tick <= 9; tick++) world.update((tick * 1000) / 60 + 0.5);
    world.acknowledge('a', 6);
    expect(world.baselineOf('a')).toBe(6);
    world.acknowledge('a', 8); // between the sends of ticks 6 and 9
    expect(world.baselineOf('a')).toBe(6);
    world.acknowledge('a', 9);
    expect(world.baselineOf('a')).toBe(9);
  });

  it('links each send tick to the one before, not to the ticks between', () => {
    const world = new ServerWorld({ schemas, tickHz: 60, sendHz: 20 }, 0);
    const id = world.spawn(Player, { x: 1, y: 1, hp: 100, name: 'p' });
    world.addClient('a');
    const sent: EntitySnapshot<never>[] = [];
    for (let tick = 1; tick <= 30; tick++) {
      world.set(id, tick % 2 === 0 ? { x: tick } : { y: tick });
      const out = world.update((tick * 1000) / 60 + 0.5);
      if (out.length > 0) sent.push(world.snapshot.snapshots[0] as EntitySnapshot<never>);
    }
    expect(sent).toHaveLength(10);
    for (let i = 2; i < sent.length; i++) {
      // Each send tick's lineage skips the two ticks between: the previous send tick is its parent.
      expect(sent[i]!.lineage?.parent).toBe(sent[i - 1]);
      expect(sent[i]!.lineage?.touchedRows).toEqual([0]);
      expect(sent[i]!.touchedSince(sent[i - 2]!)).toEqual([[0], [0]]);
    }
    // Depth still counts ticks: the chain stops where it did, MAX_LINEAGE_DEPTH ticks back.
    expect(sent[9]!.lineage!.depth).toBeLessThanOrEqual(32);
  });

  it('builds past a snapshot only when asked, merging the rows of both generations', () => {
    const Cell = defineEntity('Cell', { a: t.int({ min: 0, max: 100 }), b: t.int({ min: 0, max: 100 }) });
    const base = EntitySnapshot.from(Cell, [
      [1, { a: 1, b: 1 }],
      [2, { a: 2, b: 2 }],
      [3, { a: 3, b: 3 }],
    ]);
    const first = base.edit().patch(3, { a: 30 }).patch(1, { a: 10 }).build();
    const between = first.edit().patch(2, { b: 20 }).build();
    const past = between.edit({ linkPast: true }).patch(3, { b: 30 }).build();
    expect(between.lineage?.parent).toBe(first);
    expect(past.lineage).toMatchObject({ parent: first, touchedRows: [1, 2], depth: 3 });
    expect([...past.entries()]).toEqual([
      [1, { a: 10, b: 1 }],
      [2, { a: 2, b: 20 }],
      [3, { a: 30, b: 30 }],
    ]);
    // Skipping a snapshot without lineage (a spawn or despawn made it) links to it, as without linkPast.
    const builder = first.edit();
    builder.delete(1);
    const despawned = builder.build();
    expect(despawned.lineage).toBeUndefined();
    expect(despawned.edit({ linkPast: true }).patch(2, { a: 7 }).build().lineage?.parent).toBe(despawned);
  });
});

/** Hashes of play(…) from the ServerWorld that kept every tick (f1db806). */
const GOLDEN = [
  'a8415e039138b5d57fdf27fcd1b3ff36a7c311b29cf720aeb7f8c62024953419',
  'e5b4f60a991a2569aff2bd0d53bc7557cc44bfd1bacc63e9557c2f7ac2581ace',
  '6853aed4e0c664e1f1a784f11dc37b18215c81e0b34062031134aaa75338160d',
  '8324fdff714bba65b04fb9f460899b2c4721fae08b72d361991f4afbfa2f1e07',
];
