/** Messages between the soak runner and its children (the server, the bot processes), over Node's IPC. */

/** One sample of the server's memory, taken right after a full collection (live heap, not garbage). */
export interface MemorySample {
  /** Seconds since the soak's start. */
  atSeconds: number;
  rssMiB: number;
  heapUsedMiB: number;
  /** Memory of JavaScript objects held outside the heap (Buffers, typed arrays' stores, native addons). */
  externalMiB: number;
  /** The part of `external` that is ArrayBuffers (Buffers included). */
  arrayBuffersMiB: number;
}

/** What the server measured over the soak. */
export interface ServerReport {
  samples: MemorySample[];
  /** The server's user + system CPU over the measured window, ms. */
  cpuMs: number;
  /** Main-thread time in garbage collection over the window (forced sampling collections excluded), ms. */
  gcMs: number;
  /** gcMs by kind of collection (minor = scavenge, major = full mark-compact, incremental marking steps). */
  gcByKind: Record<string, { count: number; ms: number }>;
  /** Bytes the server allocated over the window (heap used before each collection less after the last). */
  allocatedBytes: number;
  /** Bytes every scavenge of the window left in the young generation (copied there), summed. */
  scavengeSurvivedBytes: number;
  /** Bytes scavenges of the window promoted to the old generation (copied there), summed. */
  scavengePromotedBytes: number;
  /** The measured window, s. */
  windowSeconds: number;
  /** Log lines at level error or fatal over the whole run. */
  errorsLogged: number;
  /** The first few of those, for the report. */
  errorSamples: string[];
}

/** What one bot process saw. */
export interface BotsReport {
  transport: 'udp' | 'websocket';
  connected: number;
  failed: number;
  /** Why joins failed: error code (and its reason), counted. */
  failures: Record<string, number>;
  /** Worlds left without the bot asking (a disconnect it did not choose), over the run. */
  dropped: number;
  /** Links lost and taken back by rejoining, over the run. */
  rejoined: number;
  rttMeanMs: number;
  lossMeanPercent: number;
}

/** `start`: the bots are in (measure from `measureFromSeconds` on); `stop`: report; `exit`: shut down. */
export type ToChild = { type: 'start'; measureFromSeconds: number } | { type: 'stop' } | { type: 'exit' };

export type FromChild =
  | { type: 'ready'; http: string }
  | { type: 'joined'; connected: number; failed: number }
  | { type: 'server-report'; report: ServerReport }
  | { type: 'bots-report'; report: BotsReport };

/** Sends to the parent process (children only). */
export function tellParent(message: FromChild): void {
  process.send!(message);
}
