import { randomBytes } from 'node:crypto';
import { encodeSeatMessage, isShardlineError, ShardlineError } from '@shardline/core';
import type { Logger } from 'pino';
import type { Unsubscribe } from '../../bus/index.js';
import type { Player } from '../../worlds/player.js';
import type { Admission, PlayerHomes } from '../../worlds/player-homes.js';
import type { PortalState } from '../../worlds/serve-world.js';
import type { WorldInstance } from '../../worlds/world-instance.js';
import type { WorldTicket } from '../../worlds/world-runtime.js';
import type { ClusterEngine } from '../engine.js';
import type { ShardIndexStore, ShardPlayerRecord } from '../shard-index/shard-index-store.js';
import type { ShardMembership } from '../shard-membership.js';
import { PlayerClaims } from './player-claims.js';
import { isConflict, type LocationAt, PlayerDirectory } from './player-directory.js';
import type { PlayerIn, PlayerLeaving } from './player-location.js';
import { decodePlayerRecord, encodePlayerRecord, type PlayerRecord } from './player-record.js';
import { endKey, type PortalPairs } from './portal-pairs.js';
import { TransferDesk } from './transfer-desk.js';
import { type TransferReply, transfersSubject } from './transfer-wire.js';

/** How often arrivals whose seat lapsed, and (on the master) orphaned transfers, are looked at, ms. */
export const PLAYERS_SWEEP_MS = 1_000;
/** Admission tries this many times when the location keeps changing under it. */
const ADMISSION_TRIES = 3;
/** How long a move keeps trying to write its outcome while the directory is out of reach, ms. */
export const SETTLE_MS = 10_000;
const SETTLE_RETRY_MS = 200;

/** How a move ended in the directory, and the revision that says so. */
interface Settled {
  outcome: 'committed' | 'rolled-back';
  revision: number;
}

function failed(userId: string, cause: unknown): ShardlineError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new ShardlineError('MIGRATION_FAILED', `${userId} did not move: ${reason}`, {
    cause: isShardlineError(cause) ? cause.code : 'ERROR',
  });
}

export interface ShardPlayersOptions {
  engine: ClusterEngine;
  cluster: string;
  shard: string;
  membership: ShardMembership;
  store: ShardIndexStore;
  pairs: PortalPairs;
  /** The hosted world with that id, if any (persistent ones keep players). */
  world(id: string): WorldInstance | undefined;
  /** Reserves a seat in `world` for the player and issues its connect token (WORLD_FULL if none). */
  ticket(world: WorldInstance, holder: { clientId: string; userData?: Uint8Array }): WorldTicket;
  /** Where players reach this shard: its WebSocket and UDP addresses (what a redirect names). */
  addresses(): string[];
  logger: Logger | undefined;
  nowMs?: () => number;
}

/**
 * A shard's side of the cluster's players (docs/cluster/CLUSTER.md §8, decision 0031): it admits
 * players into its persistent worlds only as the player directory says, keeps the records of the
 * players those worlds hold (in memory, and in the shard index), moves players out through portals
 * (checkout, transfer, commit, then release), takes them in (TransferDesk), and resolves transfers
 * orphaned by a dead source — its own earlier life's at start, everyone's while it is master.
 */
export class ShardPlayers implements PlayerHomes {
  readonly claims = new PlayerClaims();
  /** Moves out and in since start, and moves rolled back (the dashboard's figures). */
  readonly counts = { movedOut: 0, movedIn: 0, rolledBack: 0, orphansResolved: 0 };
  private readonly desk: TransferDesk;
  private readonly nowMs: () => number;
  private stopServing: Unsubscribe = async () => {};
  private stopWatching: (() => Promise<void>) | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  /** Leaving locations the master has heard of, with when it first heard each. */
  private readonly leaving = new Map<string, { at: LocationAt; heardAtMs: number }>();
  private sweeping = false;
  /** Writes to the shard index under way (a shutdown waits for them). */
  private readonly writes = new Set<Promise<unknown>>();
  /**
   * The last record write or delete queued: they run one after another, in the order asked, so a
   * save's write of a player cannot land after the delete of its move (and bring the row back).
   */
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly options: ShardPlayersOptions,
    readonly directory: PlayerDirectory,
  ) {
    this.nowMs = options.nowMs ?? Date.now;
    this.desk = new TransferDesk({
      ...options,
      claims: this.claims,
      directory,
      nowMs: this.nowMs,
      arrived: () => this.counts.movedIn++,
    });
  }

  /** Opens the directory, loads the shard's stored records, and serves transfers to this shard. */
  static async open(options: ShardPlayersOptions): Promise<ShardPlayers> {
    const players = new ShardPlayers(options, await PlayerDirectory.open(options.engine, options.cluster));
    await players.load();
    players.stopServing = await options.engine.serve(
      transfersSubject(options.cluster, options.shard),
      (bytes) => players.desk.answer(bytes),
    );
    players.timer = setInterval(() => void players.sweep(), PLAYERS_SWEEP_MS);
    players.timer.unref?.();
    return players;
  }

  /** Stops serving transfers and sweeping (records stay in the shard index). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.stopServing();
    await this.stopWatching?.();
    this.stopWatching = undefined;
  }

  /** Follows the master role: the master watches the directory for transfers orphaned by a dead source. */
  async serveMaster(isMaster: boolean): Promise<void> {
    if (isMaster && !this.stopWatching) {
      this.stopWatching = await this.directory.watch((userId, at) => {
        if (at?.location.state === 'leaving') this.leaving.set(userId, { at, heardAtMs: this.nowMs() });
        else this.leaving.delete(userId);
      });
    } else if (!isMaster && this.stopWatching) {
      await this.stopWatching();
      this.stopWatching = undefined;
      this.leaving.clear();
    }
  }

  /**
   * The world the directory holds the player in (the one it is leaving, while it moves); undefined
   * if the cluster never held it or the directory cannot be read now (admission decides then).
   */
  async homeOf(userId: string): Promise<string | undefined> {
    try {
      return (await this.directory.read(userId))?.location.world;
    } catch {
      return undefined;
    }
  }

  // ── PlayerHomes: what the worlds ask ────────────────────────────────────────────────────────────

  async admit(world: WorldInstance, clientId: string): Promise<Admission> {
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.admitOnce(world, clientId);
        } catch (error) {
          if (!isConflict(error) || attempt >= ADMISSION_TRIES) throw error;
        }
      }
    } catch (error) {
      const refusal = isShardlineError(error)
        ? error
        : new ShardlineError('MIGRATION_BUSY', `the cluster could not place ${clientId} now`);
      this.options.logger?.warn(
        { err: error, user: clientId, world: world.id },
        'players: admission refused',
      );
      return { kind: 'refused', error: refusal };
    }
  }

  seated(world: WorldInstance, player: Player, admission: Admission): void {
    this.claims.away.delete(player.id);
    if (admission.kind === 'returning' && admission.arrival) {
      this.claims.movedAtMs.set(player.id, admission.record.movedAtMs ?? this.nowMs());
    }
    // Stored at once: a crash before the shard's next save loses nothing the player came in with.
    this.store(world.id, player.id, world.playerRecord(player));
  }

  away(world: WorldInstance, player: Player, record: PlayerRecord): void {
    if (this.claims.claims.get(player.id)?.world !== world.id) return; // moved on meanwhile
    this.claims.away.set(player.id, { ...record, ...this.movedAt(player.id) });
    this.store(world.id, player.id, record);
  }

  portalsOf(world: WorldInstance): readonly string[] {
    return Object.keys(this.options.pairs.endsOf(world.id));
  }

  portal(world: WorldInstance, id: string): PortalState {
    const to = this.options.pairs.partnerOf(world.id, id);
    if (!to) throw new ShardlineError('PORTAL_UNKNOWN', `${world.id} has no portal ${JSON.stringify(id)}`);
    const located = this.options.membership.locate(to.world);
    const closed = !located
      ? 'unavailable'
      : located.world.portals?.[to.portal] !== endKey({ world: world.id, portal: id })
        ? 'unpaired'
        : located.world.players >= located.world.capacity
          ? 'full'
          : undefined;
    return { id, to, open: closed === undefined, ...(closed ? { closed } : {}) };
  }

  /** Moves `player` out of `world` through `portal` (see HostedWorld.migrate). */
  async migrate(world: WorldInstance, player: Player, portalId: string): Promise<void> {
    const portal = this.portal(world, portalId);
    if (!portal.open) {
      throw new ShardlineError('PORTAL_CLOSED', `the portal ${portalId} is closed: ${portal.closed}`, {
        reason: portal.closed,
      });
    }
    const userId = player.id;
    const sinceMs = this.nowMs() - (this.claims.movedAtMs.get(userId) ?? Number.NEGATIVE_INFINITY);
    if (sinceMs < this.options.pairs.cooldownMs) {
      throw new ShardlineError('PORTAL_COOLDOWN', `${userId} moved ${Math.round(sinceMs)} ms ago`, {
        retryInMs: Math.ceil(this.options.pairs.cooldownMs - sinceMs),
      });
    }
    const claim = this.claims.claims.get(userId);
    if (!player.connected || this.claims.moving.has(userId) || claim?.world !== world.id) {
      throw new ShardlineError('MIGRATION_BUSY', `${userId} cannot move now`);
    }
    const target = this.options.membership.locate(portal.to.world)!;
    const targetToken = this.options.membership.liveShards().get(target.shard)?.status.leaseToken ?? 1;
    this.claims.moving.add(userId);
    world.freeze(player, true);
    try {
      await this.move(
        world,
        player,
        portalId,
        {
          state: 'leaving',
          world: world.id,
          shard: this.options.shard,
          fence: this.options.membership.token,
          transfer: randomBytes(12).toString('base64url'),
          to: { ...portal.to, shard: target.shard },
          atMs: this.nowMs(),
        },
        targetToken,
      );
    } finally {
      this.claims.moving.delete(userId);
    }
  }

  // ── Inside ─────────────────────────────────────────────────────────────────────────────────────

  private async admitOnce(world: WorldInstance, userId: string): Promise<Admission> {
    if (this.claims.moving.has(userId)) {
      throw new ShardlineError('MIGRATION_BUSY', `${userId} is moving`);
    }
    const hinted = this.claims.arrivals.get(userId);
    if (hinted?.world === world.id && hinted.committedAt !== undefined) {
      const arrived = this.arrive(userId, hinted.committedAt);
      if (arrived) return arrived;
    }
    const at = await this.directory.read(userId);
    if (!at) {
      const created = await this.directory.create(userId, this.inHere(world.id));
      this.claims.claims.set(userId, { world: world.id, revision: created.revision });
      const kept = this.claims.away.get(userId);
      return kept ? { kind: 'returning', record: kept } : { kind: 'new' };
    }
    const { location } = at;
    if (location.state === 'leaving') {
      if (!(await this.resolveIfOrphaned(userId, at))) {
        throw new ShardlineError('MIGRATION_BUSY', `${userId} is moving to ${location.to.world}`);
      }
      throw new ShardlineError('DIRECTORY_CONFLICT', `${userId}'s move was resolved: look again`);
    }
    if (location.world !== world.id) {
      throw new ShardlineError('PLAYER_ELSEWHERE', `${userId} is in ${location.world}`, {
        world: location.world,
      });
    }
    let revision = at.revision;
    if (location.shard !== this.options.shard || location.fence < this.options.membership.token) {
      // Held here by an earlier life of this shard (or before the world moved here): claimed again,
      // so that a fenced-out process still running somewhere cannot check the player out.
      revision = (await this.directory.replace(userId, this.inHere(world.id, location.transfer), revision))
        .revision;
    }
    // Read again after the awaits: a sweep may have made the arrival an away record meanwhile.
    const arrival = this.claims.arrivals.get(userId);
    if (arrival?.world === world.id && arrival.transfer === location.transfer) {
      const arrived = this.arrive(userId, revision);
      if (arrived) return arrived;
    }
    this.claims.claims.set(userId, {
      world: world.id,
      revision,
      ...(location.transfer ? { transfer: location.transfer } : {}),
    });
    const kept = this.claims.away.get(userId) ?? (await this.storedRecord(userId, world.id));
    return kept ? { kind: 'returning', record: kept } : { kind: 'new' };
  }

  /** A stored arrival the directory names: the player comes in with it. */
  private arrive(userId: string, revision: number): Admission | undefined {
    const arrival = this.claims.arrivals.get(userId);
    if (!arrival) return undefined;
    this.claims.arrivals.delete(userId);
    this.counts.movedIn++;
    this.claims.claims.set(userId, { world: arrival.world, revision, transfer: arrival.transfer });
    return {
      kind: 'returning',
      record: arrival.record,
      arrival: { portal: arrival.portal, from: arrival.from },
    };
  }

  private inHere(world: string, transfer?: string): PlayerIn {
    return {
      state: 'in',
      world,
      shard: this.options.shard,
      fence: this.options.membership.token,
      ...(transfer ? { transfer } : {}),
    };
  }

  /** Checkout: `in` here becomes `leaving` (one CAS; a stale cached revision is read again once). */
  private async checkout(
    userId: string,
    claim: { revision: number },
    leaving: PlayerLeaving,
  ): Promise<number> {
    try {
      return (
        await this.directory.checkout(
          userId,
          { location: this.inHere(leaving.world), revision: claim.revision },
          leaving,
        )
      ).revision;
    } catch (error) {
      if (!isConflict(error)) throw error;
      const now = await this.directory.read(userId);
      if (!now) throw new ShardlineError('MIGRATION_FAILED', `${userId} has no location`);
      return (await this.directory.checkout(userId, now, leaving)).revision;
    }
  }

  /**
   * The move after the checks (the player frozen): checkout, transfer, then the outcome settled in
   * the directory. Committed: released to the target. Rolled back: resumed here, MIGRATION_FAILED.
   * Not settled (the directory out of reach): the player is let go without a redirect, its record
   * stored here; wherever the directory ends up holding it, its client's rejoin is routed there.
   */
  private async move(
    world: WorldInstance,
    player: Player,
    portal: string,
    leaving: PlayerLeaving,
    targetToken: number,
  ): Promise<void> {
    const userId = player.id;
    let checkedOut: number;
    try {
      checkedOut = await this.checkout(userId, this.claims.claims.get(userId)!, leaving);
    } catch (error) {
      // Nothing was sent: if the checkout was written after all, its orphan resolves back here.
      world.freeze(player, false);
      throw isShardlineError(error, 'MIGRATION_BUSY') || isShardlineError(error, 'MIGRATION_FENCED')
        ? error
        : failed(userId, error);
    }
    const record = world.playerRecord(player);
    const transfer = () =>
      this.desk.send(leaving, {
        userId,
        portal,
        revision: checkedOut,
        record,
        userData: player.session?.userData,
      });
    let reply: TransferReply | undefined;
    let refusal: unknown;
    try {
      reply = await transfer();
    } catch (error) {
      refusal = error;
    }
    const wanted: PlayerIn = reply
      ? {
          state: 'in',
          world: leaving.to.world,
          shard: leaving.to.shard,
          fence: targetToken,
          transfer: leaving.transfer,
        }
      : this.inHere(leaving.world);
    let settled: Settled;
    try {
      settled = await this.settle(userId, leaving, checkedOut, wanted);
    } catch (error) {
      this.options.logger?.error(
        { err: error, user: userId, transfer: leaving.transfer },
        'players: a move could not be settled; the player is let go',
      );
      this.store(world.id, userId, record);
      this.claims.forget(userId);
      world.release(player, undefined);
      throw failed(userId, error);
    }
    if (settled.outcome === 'rolled-back') {
      this.claims.claims.set(userId, { world: leaving.world, revision: settled.revision });
      this.counts.rolledBack++;
      world.freeze(player, false);
      throw failed(userId, refusal ?? 'the cluster rolled the move back');
    }
    // Committed (by this shard, or by the master first): the target answers the same transfer the same.
    reply ??= await transfer().catch(() => undefined);
    this.release(world, player, leaving, settled.revision, reply);
  }

  /**
   * Writes the move's outcome (`wanted`) over its `leaving` entry and returns the outcome that
   * stands: its own, or the one a resolver wrote first. An engine error leaves the outcome unknown:
   * it reads and tries again for SETTLE_MS, then throws.
   */
  private async settle(
    userId: string,
    leaving: PlayerLeaving,
    revision: number,
    wanted: PlayerIn,
  ): Promise<Settled> {
    const deadline = this.nowMs() + SETTLE_MS;
    const outcome = wanted.world === leaving.world ? 'rolled-back' : 'committed';
    let lastError: unknown;
    while (this.nowMs() < deadline) {
      try {
        return { outcome, revision: (await this.directory.replace(userId, wanted, revision)).revision };
      } catch (error) {
        lastError = error;
      }
      try {
        const now = await this.directory.read(userId);
        const location = now?.location;
        if (now && location?.state === 'leaving' && location.transfer === leaving.transfer) {
          revision = now.revision; // still ours to decide: write again
          continue;
        }
        if (now && location?.state === 'in') {
          const moved = location.transfer === leaving.transfer || location.world !== leaving.world;
          return { outcome: moved ? 'committed' : 'rolled-back', revision: now.revision };
        }
        lastError = new ShardlineError('VALUE_INVALID', `${userId}'s location is gone or another move's`);
      } catch (error) {
        lastError = error;
      }
      await new Promise((resolve) => setTimeout(resolve, SETTLE_RETRY_MS));
    }
    throw lastError;
  }

  /**
   * The move stands: the record here goes, the target hears the commit, and the client is
   * redirected with the target's token (or, without one, let go: its rejoin is routed there).
   */
  private release(
    world: WorldInstance,
    player: Player,
    leaving: PlayerLeaving,
    revision: number,
    reply: TransferReply | undefined,
  ): void {
    const userId = player.id;
    this.claims.forget(userId);
    this.counts.movedOut++;
    this.desk.tellCommitted(leaving.to.shard, { transfer: leaving.transfer, userId, revision });
    this.track(
      this.inOrder(() =>
        this.options.store.deletePlayer(this.options.cluster, this.options.shard, userId, {
          world: world.id,
        }),
      ),
      userId,
      'a moved record stayed (the directory decides at the next start)',
    );
    world.release(
      player,
      reply &&
        encodeSeatMessage({
          type: 'redirect',
          world: leaving.to.world,
          kind: reply.kind,
          portal: leaving.to.portal,
          addresses: reply.addresses,
          token: new Uint8Array(Buffer.from(reply.token, 'base64')),
        }),
    );
  }

  /**
   * Resolves a `leaving` location whose source is gone (its lease lapsed, or a later life of it holds
   * another token) or has been leaving far longer than a transfer takes: the target says whether it
   * stored the transfer (then it commits there) or not (then the player stays with the source).
   * Returns whether it was resolved (here or by someone else meanwhile).
   */
  private async resolveIfOrphaned(userId: string, at: LocationAt): Promise<boolean> {
    const location = at.location as PlayerLeaving;
    const source = this.options.membership.liveShards().get(location.shard)?.status;
    const sourceAlive = source !== undefined && source.leaseToken === location.fence;
    const overdueMs = 4 * this.options.pairs.transferTimeoutMs;
    if (sourceAlive && this.nowMs() - location.atMs < overdueMs) return false;
    const holds = await this.desk.holds(location.to.shard, { transfer: location.transfer, userId });
    const targetToken = this.options.membership.liveShards().get(location.to.shard)?.status.leaseToken ?? 1;
    const next: PlayerIn = holds
      ? {
          state: 'in',
          world: location.to.world,
          shard: location.to.shard,
          fence: targetToken,
          transfer: location.transfer,
        }
      : { state: 'in', world: location.world, shard: location.shard, fence: location.fence };
    try {
      await this.directory.replace(userId, next, at.revision);
      this.counts.orphansResolved++;
      this.options.logger?.info(
        { user: userId, transfer: location.transfer, to: next.world },
        'players: orphaned transfer resolved',
      );
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    return true;
  }

  /** The record this shard's index keeps for a player of `world`, if any. */
  private async storedRecord(userId: string, world: string): Promise<PlayerRecord | undefined> {
    const row = await this.options.store.player(this.options.cluster, this.options.shard, userId);
    if (!row || row.world !== world) return undefined;
    return decodePlayerRecord(row.data);
  }

  private movedAt(userId: string): { movedAtMs?: number } {
    const movedAtMs = this.claims.movedAtMs.get(userId);
    return movedAtMs === undefined ? {} : { movedAtMs };
  }

  /** Stores a held player's record (in the background: the directory, not this row, says where it is). */
  private store(world: string, userId: string, record: PlayerRecord): void {
    this.track(
      this.putRecords([{ world, userId, record: { ...record, ...this.movedAt(userId) } }]),
      userId,
      'a record was not stored',
    );
  }

  /** Keeps a background write until it settles (see flush); a failure is logged. */
  private track(write: Promise<unknown>, userId: string, failure: string): void {
    const tracked = write.catch((error) =>
      this.options.logger?.error({ err: error, user: userId }, `players: ${failure}`),
    );
    this.writes.add(tracked);
    void tracked.finally(() => this.writes.delete(tracked));
  }

  /** Waits for the records being written or deleted now (a shutdown calls it before the last save). */
  async flush(): Promise<void> {
    await Promise.all([...this.writes]);
  }

  /** The records this shard's index keeps now (held and arriving), by user id order. */
  stored(): Promise<ShardPlayerRecord[]> {
    return this.options.store.players(this.options.cluster, this.options.shard);
  }

  /** Stores held players' records in one write (the shard's saves call this for every seated player). */
  putRecords(records: readonly { world: string; userId: string; record: PlayerRecord }[]): Promise<void> {
    const nowMs = this.nowMs();
    const rows = records.map(({ world, userId, record }) => ({
      userId,
      world,
      state: 'held' as const,
      transfer: this.claims.claims.get(userId)?.transfer,
      data: encodePlayerRecord(record),
      updatedAtMs: nowMs,
    }));
    return this.inOrder(() => this.options.store.putPlayers(this.options.cluster, this.options.shard, rows));
  }

  /** Runs a write after every write queued before it (see `queue`). */
  private inOrder<T>(write: () => Promise<T>): Promise<T> {
    const next = this.queue.then(write);
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * At start: the shard index's records come back as the directory says. Held ones whose location
   * names a world here are kept (as away records, claimed again at the player's admission); arriving
   * ones wait for their sweep; a record of a player the directory places elsewhere is deleted.
   */
  private async load(): Promise<void> {
    const rows = await this.options.store.players(this.options.cluster, this.options.shard);
    for (const row of rows) {
      let record: PlayerRecord;
      try {
        record = decodePlayerRecord(row.data);
      } catch (error) {
        this.options.logger?.error(
          { err: error, user: row.userId },
          'players: a stored record does not decode',
        );
        continue;
      }
      if (row.state === 'arriving' && row.transfer) {
        this.claims.arrivals.set(row.userId, {
          transfer: row.transfer,
          world: row.world,
          portal: record.via?.portal ?? '',
          from: record.via?.from ?? { world: '', portal: '' },
          record,
          expiresAtMs: 0, // the next sweep asks the directory
        });
        continue;
      }
      const at = await this.directory.read(row.userId).catch(() => undefined);
      const location = at?.location;
      if (location?.state === 'leaving' && location.shard === this.options.shard && at) {
        await this.resolveIfOrphaned(row.userId, at).catch(() => undefined);
      }
      let now = await this.directory.read(row.userId);
      if (!now) {
        // The directory forgot the player (the in-process engine keeps it in memory only): the
        // shard index that holds its record says where it is.
        now = await this.directory
          .create(row.userId, this.inHere(row.world, row.transfer))
          .catch(async (error: unknown) => {
            if (!isConflict(error)) throw error;
            return this.directory.read(row.userId);
          });
      }
      if (now?.location.state === 'in' && now.location.world === row.world) {
        this.claims.claims.set(row.userId, {
          world: row.world,
          revision: now.revision,
          ...(row.transfer ? { transfer: row.transfer } : {}),
        });
        this.claims.away.set(row.userId, record);
      } else if (now && now.location.world !== row.world) {
        // Another world holds the player (or is moving it on): this row is stale.
        await this.options.store.deletePlayer(this.options.cluster, this.options.shard, row.userId, {
          world: row.world,
        });
      }
    }
  }

  /** Arrivals whose seat lapsed; on the master, transfers orphaned by a dead source. */
  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      await this.desk.expireArrivals();
      for (const [userId, { at, heardAtMs }] of [...this.leaving]) {
        if (this.nowMs() - heardAtMs < 2 * this.options.pairs.transferTimeoutMs) continue;
        const fresh = await this.directory.read(userId);
        if (fresh?.location.state !== 'leaving' || fresh.revision !== at.revision) {
          this.leaving.delete(userId);
          continue;
        }
        if (await this.resolveIfOrphaned(userId, fresh)) this.leaving.delete(userId);
      }
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'players: the sweep failed (tried again next time)');
    } finally {
      this.sweeping = false;
    }
  }
}
