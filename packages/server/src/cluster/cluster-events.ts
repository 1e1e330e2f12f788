import { randomBytes } from 'node:crypto';
import { isShardlineError, ShardlineError, type StructValue, TokenBucket } from '@shardline/core';
import type { Unsubscribe } from '../bus/index.js';
import {
  type AnyClusterEventDeclaration,
  type ClusterEventCatalog,
  type ClusterEventParams,
  decodeEventRecord,
  encodeEventRecord,
} from './cluster-event-catalog.js';
import type { ClusterEngine } from './engine.js';
import type { EventLog, LoggedEvent } from './event-log.js';

/** The log subject the master's world settings travel on (the last value is what a shard catches up on). */
export const WORLD_SETTINGS_SUBJECT = 'settings.world';
/** Largest world settings, as JSON, bytes. */
export const MAX_WORLD_SETTINGS_BYTES = 16 * 1024;
/** How long `report` keeps trying while no master answers (a failover), ms, by default. */
export const DEFAULT_REPORT_DEADLINE_MS = 10_000;
/** Reports one shard may make per second (the master refuses more with RPC_RATE_LIMITED). */
const REPORT_RATE = { perSecond: 200, burst: 400 };
/** Applied events the dashboard shows. */
const RECENT_EVENTS = 50;

export const reportSubject = (cluster: string) => `shardline.${cluster}.role.master.report`;
export const eventLogName = (cluster: string) => `${cluster}-events`;

/** What a handler is told besides the event's data. */
export interface ClusterEventInfo {
  /** The event's id (the one it was reported with): the same on every shard. */
  id: string;
  /** The shard that reported it. */
  reporter: string;
  /** Its place in the cluster's event log. */
  sequence: number;
  /** When the log took it, ms since the epoch. */
  timeMs: number;
}

/** An applied event, as the dashboard lists it. */
export interface RecentClusterEvent extends ClusterEventInfo {
  kind: string;
  subject: string;
}

export type JsonObject = { [key: string]: unknown };

export interface ClusterEventsOptions<E extends Record<string, AnyClusterEventDeclaration>> {
  engine: ClusterEngine;
  cluster: string;
  shard: string;
  /** Every shard the cluster config names (reports from others are refused). */
  shards: readonly string[];
  catalog: ClusterEventCatalog<E>;
  isMaster: () => boolean;
  /** The highest sequence this shard applied before (kept with its saves): following resumes after it. */
  appliedThrough?: number;
  /** Each applied sequence, for the shard to keep with its next save. */
  onApplied?: (sequence: number) => void;
  onHandlerError?: (error: unknown, where: string) => void;
}

type Handler = (params: StructValue<never>, info: ClusterEventInfo) => void | Promise<void>;

/**
 * Global events (DST's Shard_SyncBossDefeated, Shard_SyncWorldSettings; docs/cluster/CLUSTER.md
 * §5). A shard reports an event to the master; the master checks it (its kind declared, its data
 * within bounds, the kind's `validate`) and appends it to the cluster's event log under its id, so
 * a report retried after a lost reply is logged once. Every shard follows the log from the last
 * sequence it applied and hands each event concerning it to its handlers, once, in log order; a
 * shard that was down catches up on the newest event of every subject. The master's world settings
 * ride the same log.
 */
export class ClusterEvents<E extends Record<string, AnyClusterEventDeclaration>> {
  private readonly handlers = new Map<string, Set<Handler>>();
  private readonly settingsListeners = new Set<(settings: JsonObject) => void>();
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly recentEvents: RecentClusterEvent[] = [];
  private log: Promise<EventLog> | undefined;
  private following: Unsubscribe | undefined;
  private masterServed: Unsubscribe | undefined;
  private applied: number;
  private settings: JsonObject | undefined;
  private reports = 0;
  private readonly reportPrefix = randomBytes(6).toString('base64url');

  constructor(private readonly options: ClusterEventsOptions<E>) {
    this.applied = options.appliedThrough ?? 0;
  }

  /** Opens the log and follows it from the last applied sequence (register handlers first). */
  async start(): Promise<void> {
    const log = await this.openLog();
    this.following = await log.follow(this.applied, (event) => this.apply(event));
  }

  async stop(): Promise<void> {
    await this.serveMaster(false);
    await this.following?.();
    this.following = undefined;
  }

  /** Starts or stops accepting reports (as this shard gains or loses the master role). */
  async serveMaster(serve: boolean): Promise<void> {
    if (serve && !this.masterServed) {
      this.masterServed = await this.options.engine.serve(reportSubject(this.options.cluster), (bytes) =>
        this.accept(bytes),
      );
    } else if (!serve && this.masterServed) {
      const stop = this.masterServed;
      this.masterServed = undefined;
      await stop();
    }
  }

  /** Hears events of `kind` that concern this shard; the result stops it. */
  onEvent<K extends keyof E & string>(
    kind: K,
    handler: (params: ClusterEventParams<E[K]>, info: ClusterEventInfo) => void | Promise<void>,
  ): () => void {
    this.options.catalog.definition(kind);
    const handlers = this.handlers.get(kind) ?? new Set();
    handlers.add(handler as Handler);
    this.handlers.set(kind, handlers);
    return () => handlers.delete(handler as Handler);
  }

  /**
   * Reports an event to the master, which checks it and logs it for every shard it concerns (this
   * one included). Retries with the same id while no master answers, up to `deadlineMs`; resolves
   * once logged. CLUSTER_EVENT_REJECTED if the master refuses it; SHARD_UNAVAILABLE past the deadline.
   */
  async report<K extends keyof E & string>(
    kind: K,
    params: ClusterEventParams<E[K]>,
    options: { deadlineMs?: number } = {},
  ): Promise<{ id: string; sequence: number }> {
    const definition = this.options.catalog.definition(kind);
    definition.subjectOf(params as never); // a bad key is the reporter's error, found here
    const record = encodeEventRecord(definition, {
      kind,
      reporter: this.options.shard,
      shards: [],
      params: params as never,
    });
    const id = `${this.options.shard}-${this.reportPrefix}-${++this.reports}`;
    const request = encodeReport(this.options.catalog.fingerprint, id, record);
    const deadlineMs = Date.now() + (options.deadlineMs ?? DEFAULT_REPORT_DEADLINE_MS);
    for (let waitMs = 100; ; waitMs = Math.min(waitMs * 2, 1_000)) {
      try {
        const remainingMs = Math.max(1, deadlineMs - Date.now());
        const reply = await this.options.engine.request(
          reportSubject(this.options.cluster),
          request,
          Math.min(remainingMs, 2_000),
        );
        return { id, sequence: decodeReportReply(reply) };
      } catch (error) {
        const retry =
          isShardlineError(error, 'CLUSTER_NO_RESPONDER') ||
          isShardlineError(error, 'CLUSTER_TIMEOUT') ||
          isShardlineError(error, 'SHARD_UNAVAILABLE');
        if (!retry) throw error;
        if (Date.now() + waitMs >= deadlineMs) {
          throw new ShardlineError('SHARD_UNAVAILABLE', `no master took the ${kind} report in time`, { id });
        }
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }

  /** The master's world settings as last applied here (undefined until the master sets them). */
  get worldSettings(): JsonObject | undefined {
    return this.settings;
  }

  /** Sets the world settings every shard gets (master only: RPC_NOT_ALLOWED elsewhere). */
  async setWorldSettings(settings: JsonObject): Promise<void> {
    if (!this.options.isMaster()) {
      throw new ShardlineError(
        'RPC_NOT_ALLOWED',
        `${this.options.shard} is not the master: it cannot set world settings`,
      );
    }
    const bytes = new TextEncoder().encode(JSON.stringify(settings));
    if (
      bytes.byteLength > MAX_WORLD_SETTINGS_BYTES ||
      typeof settings !== 'object' ||
      Array.isArray(settings)
    ) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `world settings are a JSON object of at most ${MAX_WORLD_SETTINGS_BYTES} bytes`,
      );
    }
    const id = `${this.options.shard}-${this.reportPrefix}-settings-${++this.reports}`;
    await (await this.openLog()).append(WORLD_SETTINGS_SUBJECT, id, bytes);
  }

  /** Hears the world settings each time they are applied here (once now if known); the result stops it. */
  onWorldSettings(listener: (settings: JsonObject) => void): () => void {
    this.settingsListeners.add(listener);
    if (this.settings) listener(this.settings);
    return () => this.settingsListeners.delete(listener);
  }

  /** The highest log sequence applied on this shard. */
  get appliedThrough(): number {
    return this.applied;
  }

  /** The last events applied here, newest first. */
  get recent(): readonly RecentClusterEvent[] {
    return this.recentEvents;
  }

  /** The master's side of a report: check it, then log it under its id. */
  private async accept(bytes: Uint8Array): Promise<Uint8Array> {
    if (!this.options.isMaster()) {
      throw new ShardlineError('SHARD_UNAVAILABLE', `${this.options.shard} is no longer the master`);
    }
    const { catalog, shards } = this.options;
    let report: ReturnType<typeof decodeReport>;
    let decoded: ReturnType<typeof decodeEventRecord>;
    try {
      report = decodeReport(bytes);
      decoded = decodeEventRecord(catalog, report.record);
    } catch (error) {
      throw new ShardlineError('CLUSTER_EVENT_REJECTED', `not a cluster event: ${(error as Error).message}`);
    }
    const { definition, record } = decoded;
    if (report.fingerprint !== catalog.fingerprint) {
      throw new ShardlineError('PROTOCOL_MISMATCH', `${record.reporter} declares other cluster events`);
    }
    if (!shards.includes(record.reporter) || !report.id.startsWith(`${record.reporter}-`)) {
      throw new ShardlineError(
        'CLUSTER_EVENT_REJECTED',
        `a report from ${JSON.stringify(record.reporter)}, not a shard`,
      );
    }
    if (!this.bucketOf(record.reporter).take(Date.now())) {
      throw new ShardlineError('RPC_RATE_LIMITED', `${record.reporter} reports too often`);
    }
    let subject: string;
    let concerned: readonly string[];
    try {
      const reason = definition.options.validate?.(record.params as never);
      if (reason !== undefined) throw new Error(reason);
      subject = definition.subjectOf(record.params as never);
      concerned = definition.options.shards?.(record.params as never) ?? [];
    } catch (error) {
      throw new ShardlineError('CLUSTER_EVENT_REJECTED', `${record.kind}: ${(error as Error).message}`);
    }
    const logged = encodeEventRecord(definition, { ...record, shards: concerned });
    const { sequence } = await (await this.openLog()).append(subject, report.id, logged);
    return encodeReportReply(sequence);
  }

  /** A follower's side: hand the event to this shard's handlers (if it concerns it), once. */
  private async apply(event: LoggedEvent): Promise<void> {
    if (event.sequence <= this.applied) return;
    try {
      if (event.subject === WORLD_SETTINGS_SUBJECT) this.applySettings(event.payload);
      else await this.applyEvent(event);
    } finally {
      this.applied = event.sequence;
      this.options.onApplied?.(event.sequence);
    }
  }

  private applySettings(payload: Uint8Array): void {
    const settings = JSON.parse(new TextDecoder().decode(payload)) as JsonObject;
    this.settings = settings;
    for (const listener of this.settingsListeners) listener(settings);
  }

  private async applyEvent(event: LoggedEvent): Promise<void> {
    const { record } = decodeEventRecord(this.options.catalog, event.payload);
    if (record.shards.length > 0 && !record.shards.includes(this.options.shard)) return;
    const info = { id: event.id, reporter: record.reporter, sequence: event.sequence, timeMs: event.timeMs };
    this.recentEvents.unshift({ ...info, kind: record.kind, subject: event.subject });
    this.recentEvents.length = Math.min(this.recentEvents.length, RECENT_EVENTS);
    for (const handler of this.handlers.get(record.kind) ?? []) {
      try {
        await handler(record.params as never, info);
      } catch (error) {
        this.options.onHandlerError?.(error, `cluster event ${record.kind}`);
      }
    }
  }

  /** The cluster's event log, opened once (on first use). */
  private openLog(): Promise<EventLog> {
    this.log ??= this.options.engine.eventLog(eventLogName(this.options.cluster)).catch((error: unknown) => {
      this.log = undefined; // the next use tries again
      throw error;
    });
    return this.log;
  }

  private bucketOf(shard: string): TokenBucket {
    let bucket = this.buckets.get(shard);
    if (!bucket) {
      bucket = new TokenBucket(REPORT_RATE, Date.now());
      this.buckets.set(shard, bucket);
    }
    return bucket;
  }
}

/** A report (docs/cluster/CLUSTER.md §5): version 1, the catalog fingerprint, the id, the record. */
function encodeReport(fingerprint: string, id: string, record: Uint8Array): Uint8Array {
  const fingerprintBytes = new TextEncoder().encode(fingerprint);
  const idBytes = new TextEncoder().encode(id);
  const bytes = new Uint8Array(2 + fingerprintBytes.length + idBytes.length + record.length);
  bytes[0] = 1;
  bytes.set(fingerprintBytes, 1);
  bytes[1 + fingerprintBytes.length] = idBytes.length;
  bytes.set(idBytes, 2 + fingerprintBytes.length);
  bytes.set(record, 2 + fingerprintBytes.length + idBytes.length);
  return bytes;
}

function decodeReport(bytes: Uint8Array): { fingerprint: string; id: string; record: Uint8Array } {
  if (bytes.length < 18 || bytes[0] !== 1) throw new Error('not a version 1 report');
  const fingerprint = new TextDecoder().decode(bytes.subarray(1, 17));
  const idLength = bytes[17]!;
  if (idLength < 1 || idLength > 128 || bytes.length < 18 + idLength)
    throw new Error('a report id of bad length');
  const id = new TextDecoder().decode(bytes.subarray(18, 18 + idLength));
  return { fingerprint, id, record: bytes.subarray(18 + idLength) };
}

function encodeReportReply(sequence: number): Uint8Array {
  return new TextEncoder().encode(String(sequence));
}

function decodeReportReply(bytes: Uint8Array): number {
  const sequence = Number(new TextDecoder().decode(bytes));
  if (!Number.isSafeInteger(sequence) || sequence < 1) {
    throw new ShardlineError('WIRE_INVALID', 'the master answered a report with no sequence');
  }
  return sequence;
}
