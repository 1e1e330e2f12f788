import { ShardlineError } from '@shardline/core';
import type { Directory, DirectoryChange } from './directory.js';
import type { ClusterEngine } from './engine.js';
import { Lease } from './lease.js';
import {
  checkShardName,
  decodeStatus,
  encodeStatus,
  type ShardStatus,
  type WorldStatus,
} from './shard-status.js';

/** A shard's lease time by default, ms: a killed shard is seen as gone within it (plus one beat). */
export const DEFAULT_LEASE_MS = 3_000;

export interface MembershipOptions {
  cluster: string;
  /** The configured master's name (a standby takes the role only while that shard is gone). */
  configuredMaster: string;
  /** How long a lease lives without renewal, ms. Renewals come every third of it; liveness is judged every sixth. */
  leaseMs?: number;
  /** What this shard publishes, read at every renewal (its worlds' player counts change). */
  status: () => ShardStatus;
  /** A renewal or a role change failed (the engine unreachable); the next beat tries again. */
  onError?: (error: unknown) => void;
}

/** A shard as the others see it: its last status, and how long ago its lease was last renewed. */
export interface ShardSeen {
  status: ShardStatus;
  /** ms since this shard heard its lease renewed (0 when it just did). */
  leaseAgeMs: number;
}

/** A shard lease as heard: its status, revision, and when this shard heard it (ms since the epoch). */
interface Heard {
  status: ShardStatus;
  revision: number;
  changedAtMs: number;
}

export type MembershipEvent =
  | { kind: 'shard-up'; shard: string }
  | { kind: 'shard-down'; shard: string }
  | { kind: 'world-available'; world: WorldStatus; shard: string }
  | { kind: 'world-unavailable'; world: string; shard: string }
  | { kind: 'master'; shard: string | undefined };

/**
 * One shard's membership of its cluster (DST's Shard_IsWorldAvailable): it holds the lease
 * `shard/<name>` in the directory `<cluster>-shards`, rewritten with its status every third of the
 * lease time, and watches the directory: every shard's renewals arrive as they are written. NATS
 * 2.9 tells no one when a TTL removes an entry, so the membership applies the lease itself: a shard
 * not heard from for a lease is gone (checked every sixth of one, and only while this shard's own
 * renewals are being heard, so a stalled watch or event loop declares no one dead). The master role
 * is the lease `master` in `<cluster>-roles`, watched the same way: the configured master takes
 * it, and a standby takes it while the configured master's shard is gone.
 */
export class ShardMembership {
  private readonly listeners = new Set<(event: MembershipEvent) => void>();
  /** The live shards as last judged (every beat), with when each was last heard (ms since the epoch). */
  private seen = new Map<string, Heard>();
  /** Every shard lease the watch has told of, and the master role's: what the beat judges from. */
  private readonly heardShards = new Map<string, Heard>();
  private heardMaster: { holder: string; revision: number; changedAtMs: number } | undefined;
  private masterName: string | undefined;
  private masterLease: Lease | undefined;
  private beat: ReturnType<typeof setInterval> | undefined;
  private readonly watches: (() => Promise<void>)[] = [];
  private judging = false;
  private readonly leaseMs: number;
  /** When this shard joined, ms since the epoch. */
  private readonly joinedAtMs = Date.now();

  private constructor(
    private readonly options: MembershipOptions,
    private shardLease: Lease,
    private readonly shards: Directory,
    private readonly roles: Directory,
  ) {
    this.leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
  }

  /**
   * Takes the shard's lease (SHARD_ALREADY_RUNNING if a live process holds it), reads the cluster
   * once, takes the master role if it may, and keeps all of it fresh until `leave`.
   */
  static async join(engine: ClusterEngine, options: MembershipOptions): Promise<ShardMembership> {
    checkShardName(options.cluster, 'cluster');
    const leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    const status = options.status();
    const shards = await engine.directories.directory(`${options.cluster}-shards`, { ttlMs: leaseMs });
    const roles = await engine.directories.directory(`${options.cluster}-roles`, { ttlMs: leaseMs });
    const lease = await Lease.tryAcquire(shards, `shard/${status.shard}`, encodeStatus(status));
    if (!lease) {
      throw new ShardlineError(
        'SHARD_ALREADY_RUNNING',
        `shard ${status.shard} of cluster ${options.cluster} is running elsewhere (its lease is held)`,
        { shard: status.shard },
      );
    }
    const membership = new ShardMembership(options, lease, shards, roles);
    try {
      await lease.renew(membership.leasedStatus()); // publishes the lease's token at once
      await membership.listen();
      await membership.judge();
    } catch (error) {
      await membership.leave();
      throw error;
    }
    membership.start();
    return membership;
  }

  get shard(): string {
    return this.shardLease.key.slice('shard/'.length);
  }

  /** The shard holding the master role now, if any. */
  get master(): string | undefined {
    return this.masterName;
  }

  get isMaster(): boolean {
    return this.masterLease?.held === true;
  }

  /** The fencing token of this shard's own lease. */
  get token(): number {
    return this.shardLease.token;
  }

  /** Every live shard, this one included, by name. */
  liveShards(nowMs = Date.now()): Map<string, ShardSeen> {
    const live = new Map<string, ShardSeen>();
    for (const [name, { status, changedAtMs }] of this.seen) {
      live.set(name, { status, leaseAgeMs: Math.max(0, nowMs - changedAtMs) });
    }
    return live;
  }

  /** The live shard hosting world `id`, and the world's status; undefined if no live shard does. */
  locate(id: string): { shard: string; world: WorldStatus } | undefined {
    for (const [shard, { status }] of this.seen) {
      const world = status.worlds.find((candidate) => candidate.id === id);
      if (world) return { shard, world };
    }
    return undefined;
  }

  isWorldAvailable(id: string): boolean {
    return this.locate(id) !== undefined;
  }

  /** True when the world is available and every seat is taken (false if it is not available). */
  isWorldFull(id: string): boolean {
    const located = this.locate(id);
    return located !== undefined && located.world.players >= located.world.capacity;
  }

  /** Hears shards and worlds come and go, and the master role move; the result stops it. */
  onChange(listener: (event: MembershipEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Gives up the master role (if held) and the shard's lease: the others hear it go. */
  async leave(): Promise<void> {
    if (this.beat) clearInterval(this.beat);
    this.beat = undefined;
    for (const stop of this.watches.splice(0)) await stop();
    await this.masterLease?.release();
    await this.shardLease.release();
  }

  /** Stops renewing and watching without releasing anything, as a killed process would (tests, chaos). */
  abandon(): void {
    if (this.beat) clearInterval(this.beat);
    this.beat = undefined;
    for (const stop of this.watches.splice(0)) void stop();
    this.masterLease?.stop();
    this.shardLease.stop();
  }

  private start(): void {
    const onError = this.options.onError ?? (() => {});
    this.renewShardLease();
    this.beat = setInterval(() => {
      if (this.judging) return; // taking the role or the lease again takes a round trip
      this.judging = true;
      this.judge()
        .catch(onError)
        .finally(() => {
          this.judging = false;
        });
    }, this.leaseMs / 6);
    this.beat.unref?.();
  }

  /**
   * Reads both directories once (so the membership knows the cluster when `join` returns), then
   * watches them: every renewal, new lease and release after.
   */
  private async listen(): Promise<void> {
    const nowMs = Date.now();
    for (const key of await this.shards.keys()) {
      const entry = await this.shards.get(key);
      if (entry) this.hearShard(entry, nowMs);
    }
    const master = await this.roles.get('master');
    if (master) this.hearRole(master, nowMs);
    this.watches.push(await this.shards.watch((change) => this.hearShard(change, Date.now())));
    this.watches.push(await this.roles.watch((change) => this.hearRole(change, Date.now())));
  }

  private async rewatch(): Promise<void> {
    for (const stop of this.watches.splice(0)) await stop();
    await this.listen();
  }

  /** A shard lease written or deleted (another shard's status is not trusted: checked, or ignored). */
  private hearShard(change: DirectoryChange, nowMs: number): void {
    if (!change.key.startsWith('shard/')) return;
    const name = change.key.slice('shard/'.length);
    const before = this.heardShards.get(name);
    if (before && before.revision >= change.revision) return; // the seed and the watch overlap
    const status = change.value && decodeStatus(change.value);
    if (!status || status.shard !== name) this.heardShards.delete(name);
    else this.heardShards.set(name, { status, revision: change.revision, changedAtMs: nowMs });
  }

  private hearRole(change: DirectoryChange, nowMs: number): void {
    if (change.key !== 'master' || (this.heardMaster && this.heardMaster.revision >= change.revision)) return;
    this.heardMaster = change.value && {
      holder: new TextDecoder().decode(change.value),
      revision: change.revision,
      changedAtMs: nowMs,
    };
  }

  private renewShardLease(): void {
    const onError = this.options.onError ?? (() => {});
    this.shardLease.keepRenewed(this.leaseMs / 3, () => this.leasedStatus(), onError, onError);
  }

  /** This shard's status as its lease publishes it: with the lease's fencing token. */
  private leasedStatus(): Uint8Array {
    return encodeStatus({ ...this.options.status(), leaseToken: this.shardLease.token });
  }

  /**
   * Takes the shard's lease again after losing it (the engine was out of reach longer than a
   * lease): the shard is back once no one else holds it.
   */
  private async retakeShardLease(): Promise<void> {
    const key = this.shardLease.key;
    const lease = await Lease.tryAcquire(this.shards, key, encodeStatus(this.options.status()));
    if (!lease) {
      throw new ShardlineError(
        'SHARD_ALREADY_RUNNING',
        `${key} is held by another process since this one lost it`,
      );
    }
    this.shardLease = lease;
    await lease.renew(this.leasedStatus());
    this.renewShardLease();
  }

  /**
   * Judges what the watch told: shards heard from within a lease are live (while this shard's own
   * renewals are heard: else the watch or this process stalled, and the last judgement stands);
   * takes the master role if it may; tells what changed.
   */
  private async judge(): Promise<void> {
    if (!this.shardLease.held && this.beat) await this.retakeShardLease();
    const nowMs = Date.now();
    const own = this.heardShards.get(this.shard);
    if (this.beat && (!own || nowMs - own.changedAtMs >= this.leaseMs)) {
      // Our own renewals unheard for two leases while we hold the lease: the watch ended; start again.
      if (this.shardLease.held && (!own || nowMs - own.changedAtMs >= 2 * this.leaseMs)) await this.rewatch();
      return;
    }
    const next = new Map(
      [...this.heardShards].filter(([, heard]) => nowMs - heard.changedAtMs < this.leaseMs),
    );
    const before = this.seen;
    this.seen = next;
    this.tellShardChanges(before, next);
    await this.judgeMaster(nowMs);
  }

  private async judgeMaster(nowMs: number): Promise<void> {
    if (this.masterLease && !this.masterLease.held) this.masterLease = undefined;
    const heard = this.heardMaster;
    let holder = this.masterLease
      ? this.shard
      : heard && nowMs - heard.changedAtMs < this.leaseMs
        ? heard.holder
        : undefined;
    if (holder === undefined && this.mayTakeMaster(nowMs)) {
      // The engine decides: a lease it has not expired yet is refused here, and tried again next beat.
      const lease = await Lease.tryAcquire(this.roles, 'master', new TextEncoder().encode(this.shard));
      if (lease) {
        this.masterLease = lease;
        const onError = this.options.onError ?? (() => {});
        lease.keepRenewed(
          this.leaseMs / 3,
          () => new TextEncoder().encode(this.shard),
          () => {},
          onError,
        );
        holder = this.shard;
      }
    }
    if (holder !== this.masterName) {
      this.masterName = holder;
      this.tell({ kind: 'master', shard: holder });
    }
  }

  /**
   * The configured master always may; a standby only while the configured master's shard is gone,
   * and not in its first lease (a master starting at the same moment gets the role first).
   */
  private mayTakeMaster(nowMs: number): boolean {
    const own = this.options.status();
    if (own.role === 'master') return true;
    return (
      own.standby && nowMs - this.joinedAtMs >= this.leaseMs && !this.seen.has(this.options.configuredMaster)
    );
  }

  private tellShardChanges(before: Map<string, Heard>, after: Map<string, Heard>): void {
    for (const [shard, { status }] of before) {
      const now = after.get(shard)?.status;
      for (const world of status.worlds) {
        if (!now?.worlds.some((candidate) => candidate.id === world.id)) {
          this.tell({ kind: 'world-unavailable', world: world.id, shard });
        }
      }
      if (!now) this.tell({ kind: 'shard-down', shard });
    }
    for (const [shard, { status }] of after) {
      const then = before.get(shard)?.status;
      if (!then) this.tell({ kind: 'shard-up', shard });
      for (const world of status.worlds) {
        if (!then?.worlds.some((candidate) => candidate.id === world.id)) {
          this.tell({ kind: 'world-available', world, shard });
        }
      }
    }
  }

  private tell(event: MembershipEvent): void {
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch (error) {
        this.options.onError?.(error);
      }
    }
  }
}
