/**
 * Stable error codes. Each code is part of the public contract: tests assert them, docs/errors.md lists
 * them, and peers may log them. Never rename a code; add new ones.
 */
export const ERROR_CODES = {
  /** A read went past the end of the received bytes. */
  WIRE_TRUNCATED: 'A read went past the end of the input',
  /** A length or count on the wire exceeds its declared maximum. */
  WIRE_LIMIT: 'A length or count exceeds its declared maximum',
  /** Bytes decode to a value the declaration does not allow (bad enum index, out-of-range code, bad UTF-8, …). */
  WIRE_INVALID: 'Decoded value is not allowed by its declaration',
  /** Bytes remain after a message that should have ended. */
  WIRE_TRAILING_DATA: 'Unexpected bytes after the end of a message',
  /** A writer would grow past its configured maximum size. */
  WIRE_OVERFLOW: 'Writer exceeded its maximum size',
  /** The sender tried to write a value its declaration does not allow (a programming error on this side). */
  VALUE_INVALID: 'Value does not fit its declared field kind',
  /** A schema declaration is malformed (bad bounds, too many fields, …). */
  SCHEMA_INVALID: 'Schema declaration is invalid',
  /** The two peers declared different schemas (fingerprints differ). */
  SCHEMA_MISMATCH: 'Peers declared different schemas',
  /** Connecting to a server failed; `details.reason` holds the disconnect reason (token-expired, server-full, …). */
  CONNECT_FAILED: 'Connecting to the server failed',
  /** A send would queue more than the connection's configured maximum of unsent and unacknowledged bytes. */
  SEND_QUEUE_FULL: 'Send queue is full',
  /** A client sent input for an entity it does not own (or that does not exist). */
  NOT_OWNER: 'Client does not own that entity',
  /** A client sent more messages of a kind than its rate allows; the excess is dropped. */
  RATE_LIMITED: 'Rate limit exceeded',
  /** An RPC's parameters do not decode, are out of their declared range, or fail its validator. */
  RPC_BAD_PARAMS: 'RPC parameters are invalid',
  /** An RPC or event id (or name) the catalog does not declare, or with no handler on this side. */
  RPC_UNKNOWN: 'Unknown RPC',
  /** A client called an RPC (or sent an event) more often than its rate allows; the excess is dropped. */
  RPC_RATE_LIMITED: 'RPC rate limit exceeded',
  /** A peer called an RPC it may not call: wrong direction, or refused by the host's checks. */
  RPC_NOT_ALLOWED: 'RPC not allowed',
  /** No reply came within the caller's timeout (or the connection ended first). */
  RPC_TIMEOUT: 'RPC reply timed out',
  /** The remote handler failed (threw something other than a ShardlineError). */
  RPC_FAILED: 'RPC handler failed',
  /** Lag compensation was asked to rewind further back than its maximum (or its history). */
  REWIND_TOO_FAR: 'Rewind beyond the allowed maximum',
  /** A cluster bus member was used after `close`. */
  BUS_CLOSED: 'Bus member is closed',
  /** A bus channel name is empty, too long, or has characters other than printable ASCII. */
  BUS_CHANNEL_INVALID: 'Bus channel name is invalid',
  /** A bus payload is larger than MAX_BUS_PAYLOAD_BYTES. */
  BUS_PAYLOAD_TOO_LARGE: 'Bus payload is too large',
  /** A database's applied schema migrations differ from the ones this code knows (or are newer). */
  STORE_SCHEMA_MISMATCH: 'Database schema does not match this version',
  /** Another account has that name (compared up to case and Unicode form). */
  ACCOUNT_NAME_TAKEN: 'Account name is taken',
  /** An access token is forged, malformed, for another issuer, or otherwise not ours. */
  AUTH_TOKEN_INVALID: 'Access token is not valid',
  /** An access token was ours but has expired: refresh the session. */
  AUTH_TOKEN_EXPIRED: 'Access token has expired',
  /** A name is not 3–32 letters, digits, `_`, `-` or `.`. */
  ACCOUNT_NAME_INVALID: 'Account name is not allowed',
  /** A password is shorter or longer than allowed. */
  ACCOUNT_PASSWORD_INVALID: 'Password is not allowed',
  /** A device id is not 8–128 printable ASCII characters. */
  ACCOUNT_DEVICE_INVALID: 'Device id is not allowed',
  /** The name or the password is wrong (the same answer for both, so names cannot be probed). */
  AUTH_LOGIN_FAILED: 'Login failed',
  /** The session was revoked, expired, is unknown, or its refresh token was used twice. */
  AUTH_SESSION_ENDED: 'Session has ended',
  /** An HTTP request's body or parameters do not match the API's schema (unknown fields included). */
  REQUEST_INVALID: 'Request does not match the API',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The one error type Shardline throws on purpose. `code` is stable; `message` is for humans. */
export class ShardlineError extends Error {
  override readonly name = 'ShardlineError';

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Readonly<Record<string, unknown>>,
  ) {
    super(`${code}: ${message}`);
  }
}

export function isShardlineError(error: unknown, code?: ErrorCode): error is ShardlineError {
  return error instanceof ShardlineError && (code === undefined || error.code === code);
}
