/**
 * What a stream connection (TCP, WebSocket) may cost before it is a session, i.e. before the server
 * accepted its connect request (`ServerTransport.admitted`). Such a connection is "pending".
 */
export interface PreHandshakeLimits {
  /** How long a connection may stay pending, ms, from its TCP accept; then it is closed. */
  handshakeTimeoutMs: number;
  /** Pending connections from one remote address (as the socket reports it); more are refused. */
  maxPendingPerAddress: number;
  /** Pending connections in all; more are refused. */
  maxPendingConnections: number;
  /** Largest frame (WebSocket: message payload) a pending connection may send, bytes; larger ends it. */
  maxPendingFrameBytes: number;
  /** Bytes of unfinished frames all pending connections may hold together; the one going over is closed. */
  maxPendingBufferedBytes: number;
}

/**
 * A connect request is 1,053 bytes, sent at once: 5 s is ample on any real network. 64 per address
 * lets a NAT, a proxy or a bot driver (`shardline bots` joins 20 at a time, the benches up to 50)
 * connect many players at once, while one address takes at most 1/16 of the 1,024 in all. Frames of
 * 2 KiB fit a request; 1 MiB of unfinished frames is what about 500 pending connections can hold at
 * their largest, where legitimate ones hold about nothing.
 */
export const DEFAULT_PRE_HANDSHAKE_LIMITS: PreHandshakeLimits = {
  handshakeTimeoutMs: 5_000,
  maxPendingPerAddress: 64,
  maxPendingConnections: 1_024,
  maxPendingFrameBytes: 2_048,
  maxPendingBufferedBytes: 1_048_576,
};

/** Why a connection was refused at its TCP accept. */
export type PendingRefusal = 'per-address' | 'total';
/** Why a pending connection was closed by the limits. */
export type PendingCloseReason = 'timeout' | 'frame-too-large' | 'over-budget';

/** A pending connection's place in its admission. */
export interface PendingConnection {
  readonly address: string;
  /** Bytes of unfinished frames it holds now. */
  heldBytes: number;
  /** False once it became a session or closed. */
  pending: boolean;
  /** Ends the connection (the transport's way); called once, by `fail`. */
  readonly end: (reason: PendingCloseReason) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

/**
 * Pending connections, counted per address and in all, timed, and their held bytes budgeted. One
 * admission may serve several stream transports (their caps are then shared). Counters only grow.
 */
export class StreamAdmission {
  readonly limits: PreHandshakeLimits;
  readonly refused: Record<PendingRefusal, number> = { 'per-address': 0, total: 0 };
  readonly closed: Record<PendingCloseReason, number> = {
    timeout: 0,
    'frame-too-large': 0,
    'over-budget': 0,
  };
  private readonly byAddress = new Map<string, number>();
  private count = 0;
  private held = 0;

  /** Takes the limits' fields of `limits` (a whole ShardlineConfig may be given), defaults for the rest. */
  constructor(limits: Partial<PreHandshakeLimits> = {}) {
    const given = { ...DEFAULT_PRE_HANDSHAKE_LIMITS, ...limits };
    this.limits = {
      handshakeTimeoutMs: given.handshakeTimeoutMs,
      maxPendingPerAddress: given.maxPendingPerAddress,
      maxPendingConnections: given.maxPendingConnections,
      maxPendingFrameBytes: given.maxPendingFrameBytes,
      maxPendingBufferedBytes: given.maxPendingBufferedBytes,
    };
  }

  /** Connections pending now. */
  get pending(): number {
    return this.count;
  }

  /** Bytes of unfinished frames pending connections hold now. */
  get heldBytes(): number {
    return this.held;
  }

  /**
   * A connection from `address` was accepted: its pending place, timed (`end('timeout')` when it is
   * up), or undefined if a cap is reached (counted; the caller closes it at once).
   */
  enter(address: string, end: (reason: PendingCloseReason) => void): PendingConnection | undefined {
    const fromAddress = this.byAddress.get(address) ?? 0;
    if (fromAddress >= this.limits.maxPendingPerAddress) {
      this.refused['per-address']++;
      return undefined;
    }
    if (this.count >= this.limits.maxPendingConnections) {
      this.refused.total++;
      return undefined;
    }
    this.byAddress.set(address, fromAddress + 1);
    this.count++;
    const connection: PendingConnection = {
      address,
      heldBytes: 0,
      pending: true,
      end,
      timer: setTimeout(() => this.fail(connection, 'timeout'), this.limits.handshakeTimeoutMs),
    };
    return connection;
  }

  /** The connection holds `bytes` of unfinished frames now; past the budget it is closed ('over-budget'). */
  hold(connection: PendingConnection, bytes: number): void {
    if (!connection.pending) return;
    this.held += bytes - connection.heldBytes;
    connection.heldBytes = bytes;
    if (this.held > this.limits.maxPendingBufferedBytes) this.fail(connection, 'over-budget');
  }

  /** Leaves the pending ones, counts why, and ends the connection. A no-op once it is not pending. */
  fail(connection: PendingConnection, reason: PendingCloseReason): void {
    if (!connection.pending) return;
    this.leave(connection);
    this.closed[reason]++;
    connection.end(reason);
  }

  /** The connection became a session or closed: no longer pending. A no-op once it is not. */
  leave(connection: PendingConnection): void {
    if (!connection.pending) return;
    connection.pending = false;
    clearTimeout(connection.timer);
    this.held -= connection.heldBytes;
    connection.heldBytes = 0;
    this.count--;
    const fromAddress = this.byAddress.get(connection.address)! - 1;
    if (fromAddress === 0) this.byAddress.delete(connection.address);
    else this.byAddress.set(connection.address, fromAddress);
  }
}
