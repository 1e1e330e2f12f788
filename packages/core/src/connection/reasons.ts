/**
 * Why a connection ended or was refused: carried on the wire as one byte (PROTOCOL.md §10.5). Codes
 * never change meaning; add new ones at the end.
 */
export const DISCONNECT_REASONS = [
  'unknown',
  'closed-by-client',
  'closed-by-server',
  'timeout',
  'kicked',
  'server-full',
  'token-expired',
  'token-invalid',
  'token-replayed',
  'wrong-address',
  'protocol-mismatch',
  'server-shutting-down',
  'already-connected',
  /** A stream transport (WebSocket, TCP) closed without a Disconnect packet: the link dropped. */
  'link-lost',
  /** The server dropped a client that kept sending what it rejects (RPC floods, bad calls). */
  'misbehaving',
  /** The world its token names has no free seat (and none was reserved for it). */
  'world-full',
  /** The world its token names is not hosted here (never was, or was disposed). */
  'world-not-found',
  /**
   * The player moved to another world (a portal): the server sent a redirect first, then closed this
   * connection.
   */
  'migrated',
] as const;

export type DisconnectReason = (typeof DISCONNECT_REASONS)[number];

export function reasonCode(reason: DisconnectReason): number {
  return DISCONNECT_REASONS.indexOf(reason);
}

/** The reason for a code off the wire; unknown codes read as 'unknown' (newer peers may add codes). */
export function reasonFromCode(code: number): DisconnectReason {
  return DISCONNECT_REASONS[code] ?? 'unknown';
}
