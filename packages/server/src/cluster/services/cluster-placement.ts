import { type ConnectTicket, isShardlineError, ShardlineError } from '@shardline/core';
import type { PlayerTicket } from '../../services/connect-tickets.js';
import type { PlacedWorld, WorldPlacement } from '../../services/lobbies/world-placement.js';
import type { ClusterEngine } from '../engine.js';
import { decodeJson, encodeJson } from './json-wire.js';
import { shardWorldsSubject } from './services-cluster.js';
import { WORLDS_OPS, type WorldsArgs, type WorldsOp, type WorldsReply } from './shard-worlds-wire.js';

/** How long the coordinator waits for a shard to start a world or issue a token, ms. */
export const SHARD_WORLDS_TIMEOUT_MS = 3_000;

/** What placement reads of a live shard's status (ShardStatus has these fields). */
export interface PlacementStatus {
  worlds: readonly { id: string; players: number }[];
  /** World kinds the shard may create. */
  creates: readonly string[];
}

/** The live shards and their last statuses, by name (ShardMembership.liveShards). */
export interface LiveShards {
  liveShards(): ReadonlyMap<string, { status: PlacementStatus }>;
}

export interface ClusterPlacementOptions {
  engine: ClusterEngine;
  cluster: string;
  shards: LiveShards;
  /** Seats of an instance of `kind` (every shard declares the game's kinds alike); undefined: no such kind. */
  maxPlayersOf(kind: string): number | undefined;
  nowMs?: () => number;
}

/**
 * World placement across a cluster, for the lobbies' coordinator (decision 0029): a start goes to
 * the least-loaded live shard whose status says it creates the kind — fewest players, then fewest
 * worlds — over an engine request to that shard's ShardWorlds; a shard that is full (WORLD_FULL) or
 * gone gives the start to the next. A world this placement started counts as full of its members
 * until its keepUntilMs (they connect later), and before the shard's status shows it (statuses
 * are read on a beat), so a burst of starts spreads over the shards. Starts run one at a time. Tokens come from the hosting shard,
 * signed by it and naming its addresses. Failures: WORLD_KIND_UNKNOWN, WORLD_FULL (every such shard
 * full), SHARD_UNAVAILABLE (none live, or the hosting shard gone or silent for
 * SHARD_WORLDS_TIMEOUT_MS: a start it did not answer may have made a world, which then ends once
 * empty past its keepUntilMs), WIRE_INVALID (a reply of the wrong shape).
 */
export class ClusterPlacement implements WorldPlacement {
  /**
   * Worlds this placement started, per shard: world id → its members' seats, until when they count
   * (keepUntilMs), and whether the shard's status has shown it (once shown, gone from it: ended).
   */
  private readonly started = new Map<
    string,
    Map<string, { seats: number; untilMs: number; seen: boolean }>
  >();
  private placing: Promise<unknown> = Promise.resolve();
  private readonly nowMs: () => number;

  constructor(private readonly options: ClusterPlacementOptions) {
    this.nowMs = options.nowMs ?? Date.now;
  }

  maxPlayersOf(kind: string): number | undefined {
    return this.options.maxPlayersOf(kind);
  }

  start(
    kind: string,
    lobbyId: string,
    memberIds: readonly string[],
    keepUntilMs: number,
  ): Promise<PlacedWorld> {
    const next = this.placing.then(
      () => this.place(kind, lobbyId, memberIds, keepUntilMs),
      () => this.place(kind, lobbyId, memberIds, keepUntilMs),
    );
    this.placing = next;
    return next;
  }

  async ticket(world: PlacedWorld, player: PlayerTicket): Promise<ConnectTicket> {
    const args: WorldsArgs<'ticket'> = {
      worldId: world.worldId,
      player: {
        userId: player.userId,
        username: player.username,
        ...(player.lobbyId === undefined ? {} : { lobbyId: player.lobbyId }),
      },
    };
    return this.request(hostOf(world), 'ticket', args);
  }

  async end(world: PlacedWorld): Promise<void> {
    await this.request(hostOf(world), 'end', { worldId: world.worldId });
  }

  private async place(
    kind: string,
    lobbyId: string,
    memberIds: readonly string[],
    keepUntilMs: number,
  ): Promise<PlacedWorld> {
    if (this.maxPlayersOf(kind) === undefined) {
      throw new ShardlineError('WORLD_KIND_UNKNOWN', `no world kind ${JSON.stringify(kind)} in this cluster`);
    }
    const candidates = this.candidates(kind);
    if (candidates.length === 0) {
      throw new ShardlineError('SHARD_UNAVAILABLE', `no live shard creates world kind ${kind}`);
    }
    for (const shard of candidates) {
      try {
        const { worldId } = await this.request(shard, 'start', {
          kind,
          lobbyId,
          memberIds: [...memberIds],
          keepUntilMs,
        });
        this.remember(shard, worldId, memberIds.length, keepUntilMs);
        return { worldId, shard };
      } catch (error) {
        const passOn = isShardlineError(error) && (error.code === 'WORLD_FULL' || gone(error));
        if (!passOn) throw error;
      }
    }
    throw new ShardlineError('WORLD_FULL', `every live shard that creates world kind ${kind} is full`);
  }

  /** The live shards that create `kind`, least loaded first. */
  private candidates(kind: string): string[] {
    this.forgetStarted();
    const loads: { shard: string; players: number; worlds: number }[] = [];
    for (const [shard, { status }] of this.options.shards.liveShards()) {
      if (!status.creates.includes(kind)) continue;
      const started = this.started.get(shard);
      let players = 0;
      for (const world of status.worlds) {
        const promised = started?.get(world.id);
        if (promised) promised.seen = true;
        players += Math.max(world.players, promised?.seats ?? 0);
      }
      let worlds = status.worlds.length;
      for (const [worldId, promised] of started ?? []) {
        if (promised.seen && !status.worlds.some((world) => world.id === worldId)) started!.delete(worldId);
        else if (!promised.seen) {
          players += promised.seats;
          worlds++;
        }
      }
      loads.push({ shard, players, worlds });
    }
    loads.sort((a, b) => a.players - b.players || a.worlds - b.worlds || (a.shard < b.shard ? -1 : 1));
    return loads.map((load) => load.shard);
  }

  /** Drops the worlds past their keepUntilMs (and shards left with none). */
  private forgetStarted(): void {
    const nowMs = this.nowMs();
    for (const [shard, worlds] of this.started) {
      for (const [worldId, { untilMs }] of worlds) if (untilMs <= nowMs) worlds.delete(worldId);
      if (worlds.size === 0) this.started.delete(shard);
    }
  }

  private remember(shard: string, worldId: string, seats: number, untilMs: number): void {
    const worlds = this.started.get(shard) ?? new Map();
    worlds.set(worldId, { seats, untilMs, seen: false });
    this.started.set(shard, worlds);
  }

  /** One request to a shard's ShardWorlds; engine failures become SHARD_UNAVAILABLE. */
  private async request<O extends WorldsOp>(
    shard: string,
    op: O,
    args: WorldsArgs<O>,
  ): Promise<WorldsReply<O>> {
    const subject = shardWorldsSubject(this.options.cluster, shard);
    let reply: Uint8Array;
    try {
      reply = await this.options.engine.request(subject, encodeJson({ op, args }), SHARD_WORLDS_TIMEOUT_MS);
    } catch (error) {
      if (
        !isShardlineError(error) ||
        (error.code !== 'CLUSTER_NO_RESPONDER' && error.code !== 'CLUSTER_TIMEOUT')
      ) {
        throw error;
      }
      throw new ShardlineError(
        'SHARD_UNAVAILABLE',
        error.code === 'CLUSTER_TIMEOUT'
          ? `shard ${shard} did not answer ${op} within ${SHARD_WORLDS_TIMEOUT_MS} ms`
          : `shard ${shard} does not serve worlds now`,
        { shard, reason: error.code },
      );
    }
    const what = `shard ${shard}'s reply to ${op}`;
    return decodeJson(reply, WORLDS_OPS[op].reply, what) as WorldsReply<O>;
  }
}

/** Whether a start failed because its shard was not there (nothing was made: try another). */
function gone(error: ShardlineError): boolean {
  return error.code === 'SHARD_UNAVAILABLE' && error.details?.reason === 'CLUSTER_NO_RESPONDER';
}

function hostOf(world: PlacedWorld): string {
  if (world.shard === undefined) {
    throw new ShardlineError('WORLD_NOT_FOUND', `world ${world.worldId} was not placed on a shard`);
  }
  return world.shard;
}
