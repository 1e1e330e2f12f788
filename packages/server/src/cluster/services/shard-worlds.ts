import type { ConnectTicket } from '@shardline/core';
import { ShardlineError } from '@shardline/core';
import type { Unsubscribe } from '../../bus/index.js';
import type { WorldPlacement } from '../../services/lobbies/world-placement.js';
import type { ClusterEngine } from '../engine.js';
import { checkJson, decodeJson, encodeJson } from './json-wire.js';
import { shardWorldsSubject } from './services-cluster.js';
import { WORLDS_OPS, type WorldsArgs, WorldsEnvelope, type WorldsReply } from './shard-worlds-wire.js';

/** Furthest ahead a start may keep its world while empty, ms (a started lobby's 5 minutes, and room). */
export const MAX_KEEP_AHEAD_MS = 60 * 60_000;

export interface ShardWorldsOptions {
  engine: ClusterEngine;
  cluster: string;
  /** This shard's name. */
  shard: string;
  /** This shard's own worlds (its WorldRuntime): where the coordinator's starts land. */
  placement: WorldPlacement;
  /** Seats this shard fills at most, over all its worlds (its GameServer's maxClients). */
  maxPlayers: number;
  /** Worlds it hosts at most. */
  maxWorlds: number;
  /** Seats taken or reserved now in each world this shard hosts (WorldInstance.occupancy), by id. */
  occupancy(): ReadonlyMap<string, number>;
  nowMs?: () => number;
}

/**
 * A shard's side of world placement (decision 0029): it serves `shardline.<cluster>.shard.<name>.worlds`
 * for the lobbies' coordinator — `start` makes a private world for a lobby's members on this
 * shard's own placement, `ticket` reserves a member's seat there with a token this shard signs and
 * whose addresses are its own, `end` ends it. A start that would take the shard past `maxPlayers`
 * seats or `maxWorlds` worlds is refused with WORLD_FULL: a started lobby's world counts as full of
 * its members (until its keepUntilMs) before they connect. Starts run one at a time, so two never
 * both take the last room.
 */
export class ShardWorlds {
  /** Seats promised to each world started here, until when (ms since the epoch). */
  private readonly promised = new Map<string, { seats: number; untilMs: number }>();
  private starts: Promise<unknown> = Promise.resolve();
  private readonly nowMs: () => number;
  private stop: Unsubscribe = async () => {};

  private constructor(private readonly options: ShardWorldsOptions) {
    this.nowMs = options.nowMs ?? Date.now;
  }

  static async serve(options: ShardWorldsOptions): Promise<ShardWorlds> {
    const worlds = new ShardWorlds(options);
    worlds.stop = await options.engine.serve(shardWorldsSubject(options.cluster, options.shard), (payload) =>
      worlds.answer(payload),
    );
    return worlds;
  }

  /** Stops serving; the worlds stay. */
  close(): Promise<void> {
    return this.stop();
  }

  private async answer(payload: Uint8Array): Promise<Uint8Array> {
    const { op, args } = decodeJson(payload, WorldsEnvelope, 'a shard worlds request');
    const checked = checkJson(args, WORLDS_OPS[op].args, `the arguments of ${op}`);
    if (op === 'start') return encodeJson(await this.start(checked as WorldsArgs<'start'>));
    if (op === 'ticket') return encodeJson(await this.ticket(checked as WorldsArgs<'ticket'>));
    await this.options.placement.end({ worldId: (checked as WorldsArgs<'end'>).worldId });
    this.promised.delete((checked as WorldsArgs<'end'>).worldId);
    return encodeJson({});
  }

  private start(args: WorldsArgs<'start'>): Promise<WorldsReply<'start'>> {
    const next = this.starts.then(
      () => this.startNow(args),
      () => this.startNow(args),
    );
    this.starts = next;
    return next;
  }

  private async startNow({
    kind,
    lobbyId,
    memberIds,
    keepUntilMs,
  }: WorldsArgs<'start'>): Promise<WorldsReply<'start'>> {
    const nowMs = this.nowMs();
    if (keepUntilMs > nowMs + MAX_KEEP_AHEAD_MS) {
      throw new ShardlineError('VALUE_INVALID', `a world is kept at most ${MAX_KEEP_AHEAD_MS} ms ahead`);
    }
    const { players, worlds } = this.load(nowMs);
    const { maxPlayers, maxWorlds } = this.options;
    if (players + memberIds.length > maxPlayers || worlds + 1 > maxWorlds) {
      throw new ShardlineError(
        'WORLD_FULL',
        `shard ${this.options.shard} has ${players} of ${maxPlayers} seats and ${worlds} of ${maxWorlds} worlds taken`,
        { shard: this.options.shard },
      );
    }
    const { worldId } = await this.options.placement.start(kind, lobbyId, memberIds, keepUntilMs);
    this.promised.set(worldId, { seats: memberIds.length, untilMs: keepUntilMs });
    return { worldId };
  }

  private async ticket({ worldId, player }: WorldsArgs<'ticket'>): Promise<ConnectTicket> {
    return this.options.placement.ticket({ worldId }, player);
  }

  /**
   * Seats taken: per world, its occupancy or the seats promised to it (the larger, while the
   * promise lasts); and how many worlds. Promises of worlds gone or past their time are dropped.
   */
  private load(nowMs: number): { players: number; worlds: number } {
    const occupancy = this.options.occupancy();
    for (const [worldId, { untilMs }] of this.promised) {
      if (!occupancy.has(worldId) || untilMs <= nowMs) this.promised.delete(worldId);
    }
    let players = 0;
    for (const [worldId, seats] of occupancy)
      players += Math.max(seats, this.promised.get(worldId)?.seats ?? 0);
    return { players, worlds: occupancy.size };
  }
}
