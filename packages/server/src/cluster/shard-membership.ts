import { ShardlineError } from '@shardline/core';
import type { Directory } from './directory.js';
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
  /** How long a lease lives without renewal, ms. Renewals come every third of it, reads every sixth. */
  leaseMs?: number;
  /** What this shard publishes, read at every renewal (its worlds' player counts change). */
  status: () => ShardStatus;
  /** A renewal or read failed (the engine unreachable); the next beat tries again. */
  onError?: (error: unknown) => void;
}

/** A shard as the others see it: its last status, and how long ago its lease was last renewed. */
export interface ShardSeen {
  status: ShardStatus;
  /** ms since this shard saw its lease's revision change (0 when it just did). */
  leaseAgeMs: number;
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
 * lease time, and reads every shard's lease every sixth, telling listeners what came and went. The
 * master role is the lease `master` in `<cluster>-roles`: the configured master takes it, and a
 * standby takes it while the configured master's shard lease is gone. A killed shard stops
 * renewing, so its lease runs out and it is seen gone within leaseMs plus one read.
 */
export class ShardMembership {
  private readonly listeners = new Set<(event: MembershipEvent) => void>();
  private seen = new Map<string, { status: ShardStatus; revision: number; changedAtMs: number }>();
  private masterName: string | undefined;
  private masterLease: Lease | undefined;
  private beat: ReturnType<typeof setInterval> | undefined;
  private reading = false;
  /** Reads begun so far: only the newest may publish what it found. */
  private reads = 0;
  private readonly leaseMs: number;

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
    await membership.read();
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

  /** Gives up the master role (if held) and the shard's lease: the others see it go at their next read. */
  async leave(): Promise<void> {
    if (this.beat) clearInterval(this.beat);
    this.beat = undefined;
    await this.masterLease?.release();
    await this.shardLease.release();
  }

  /** Stops renewing without releasing anything, as a killed process would (tests, chaos). */
  abandon(): void {
    if (this.beat) clearInterval(this.beat);
    this.beat = undefined;
    this.masterLease?.stop();
    this.shardLease.stop();
  }

  private start(): void {
    const onError = this.options.onError ?? (() => {});
    this.renewShardLease();
    this.beat = setInterval(() => {
      if (this.reading) return;
      this.reading = true;
      // A read that hangs (the engine unreachable) gives way after a lease, so reads resume.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const givenUp = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new ShardlineError('CLUSTER_TIMEOUT', 'a membership read took a lease')),
          this.leaseMs,
        );
      });
      Promise.race([this.read(), givenUp])
        .catch(onError)
        .finally(() => {
          clearTimeout(timer);
          this.reading = false;
        });
    }, this.leaseMs / 6);
    this.beat.unref?.();
  }

  private renewShardLease(): void {
    const onError = this.options.onError ?? (() => {});
    this.shardLease.keepRenewed(
      this.leaseMs / 3,
      () => encodeStatus(this.options.status()),
      onError,
      onError,
    );
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
    this.renewShardLease();
  }

  /** Reads every shard's lease and the master role, takes the role if it may, and tells what changed. */
  private async read(): Promise<void> {
    if (!this.shardLease.held && this.beat) await this.retakeShardLease();
    const generation = ++this.reads;
    const nowMs = Date.now();
    const next = new Map<string, { status: ShardStatus; revision: number; changedAtMs: number }>();
    for (const key of await this.shards.keys()) {
      if (!key.startsWith('shard/')) continue;
      const entry = await this.shards.get(key);
      const status = entry && decodeStatus(entry.value);
      if (!entry || !status || `shard/${status.shard}` !== key) continue;
      const before = this.seen.get(status.shard);
      const changedAtMs = before?.revision === entry.revision ? before.changedAtMs : nowMs;
      next.set(status.shard, { status, revision: entry.revision, changedAtMs });
    }
    if (generation !== this.reads) return; // a read that gave way: a newer one has the say
    const before = this.seen;
    this.seen = next;
    this.tellShardChanges(before, next);
    await this.readMaster();
  }

  private async readMaster(): Promise<void> {
    if (this.masterLease && !this.masterLease.held) this.masterLease = undefined;
    let holder = this.masterLease ? this.shard : await this.holderOfMaster();
    if (holder === undefined && this.mayTakeMaster()) {
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
      } else {
        holder = await this.holderOfMaster();
      }
    }
    if (holder !== this.masterName) {
      this.masterName = holder;
      this.tell({ kind: 'master', shard: holder });
    }
  }

  private async holderOfMaster(): Promise<string | undefined> {
    const entry = await this.roles.get('master');
    return entry ? new TextDecoder().decode(entry.value) : undefined;
  }

  /** The configured master always may; a standby only while the configured master's shard is gone. */
  private mayTakeMaster(): boolean {
    const own = this.options.status();
    if (own.role === 'master') return true;
    return own.standby && !this.seen.has(this.options.configuredMaster);
  }

  private tellShardChanges(
    before: Map<string, { status: ShardStatus }>,
    after: Map<string, { status: ShardStatus }>,
  ): void {
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
