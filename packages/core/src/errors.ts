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
  /** A directory write's condition failed: the key exists (create) or its revision moved (update). */
  DIRECTORY_CONFLICT: 'Directory entry changed',
  /** A cluster engine request found nobody serving its subject (the shard or role it names is down). */
  CLUSTER_NO_RESPONDER: 'Nobody serves that subject',
  /** A cluster engine request had no reply in its time limit. */
  CLUSTER_TIMEOUT: 'Cluster request timed out',
  /** A lease was taken by another holder, or expired, before its holder renewed it: the holder is fenced out. */
  LEASE_LOST: 'Lease lost',
  /** The cluster config names no shard by that name. */
  SHARD_UNKNOWN: 'No such shard',
  /** The shard (or the master role) is not running now. */
  SHARD_UNAVAILABLE: 'Shard is not available',
  /** Another live process holds that shard's lease: one shard runs once. */
  SHARD_ALREADY_RUNNING: 'Shard is already running',
  /** A shard RPC had no reply in its time limit (the call may or may not have run). */
  SHARD_RPC_TIMEOUT: 'Shard RPC reply timed out',
  /** The master refused a reported cluster event (its validation failed, or its kind is not declared). */
  CLUSTER_EVENT_REJECTED: 'Cluster event rejected',
  /** A portal id the world does not have (the cluster's portal pairs name none there), or no cluster to move through. */
  PORTAL_UNKNOWN: 'No such portal',
  /** The portal is closed: its other world is not available, is full, or does not pair back (details.reason). */
  PORTAL_CLOSED: 'Portal is closed',
  /** The player moved through a portal too recently (details.retryInMs). */
  PORTAL_COOLDOWN: 'Player moved too recently',
  /** The player is moving already, or is not connected (a waiting seat cannot be redirected). */
  MIGRATION_BUSY: 'Player cannot move now',
  /** The move did not happen: the other shard did not take the player in time, or refused; the player stays. */
  MIGRATION_FAILED: 'Player did not move',
  /** A transfer from a shard whose lease is not the one it claims (a fenced-out source): refused. */
  MIGRATION_FENCED: 'Transfer from a fenced-out shard',
  /** The cluster's directory says another world holds this player (details.world): join that one. */
  PLAYER_ELSEWHERE: 'Player is in another world',
  /** A seat was asked for without the server's join password, or with another one. */
  WORLD_PASSWORD_INVALID: 'Wrong or missing join password',
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
  /** An HTTP request does not match the API: its body (unknown fields included), parameters, URL, size or type. */
  REQUEST_INVALID: 'Request does not match the API',
  /** A client wrote to a leaderboard or achievement the game marks authoritative (only the game server may). */
  SERVICE_WRITE_FORBIDDEN: 'A client may not write to an authoritative service entry',
  /** A friend request names a user that does not exist. */
  FRIEND_USER_NOT_FOUND: 'No such user',
  /** A user asked to befriend themselves. */
  FRIEND_SELF: 'Cannot befriend oneself',
  /** Accepting or declining a request that was never made (or was withdrawn). */
  FRIEND_REQUEST_NOT_FOUND: 'No such friend request',
  /** A leaderboard id the game does not define. */
  LEADERBOARD_NOT_FOUND: 'No such leaderboard',
  /** A leaderboard definition is malformed (bad id, order or operator). */
  LEADERBOARD_INVALID: 'Leaderboard definition is invalid',
  /** A score or subscore is not a safe integer, or the metadata is too large. */
  LEADERBOARD_SCORE_INVALID: 'Score is not allowed',
  /** An achievement id the game does not define. */
  ACHIEVEMENT_NOT_FOUND: 'No such achievement',
  /** An achievement definition is malformed. */
  ACHIEVEMENT_INVALID: 'Achievement definition is invalid',
  /** Progress for an achievement without a target, or not a non-negative whole number. */
  ACHIEVEMENT_PROGRESS_INVALID: 'Achievement progress is not allowed',
  /** A save slot name, title or description is malformed. */
  SAVE_INVALID: 'Save is not allowed',
  /** A save blob is larger than the configured cap. */
  SAVE_TOO_LARGE: 'Save is too large',
  /** The checksum sent with a save does not match its bytes. */
  SAVE_CHECKSUM_MISMATCH: 'Save checksum does not match',
  /** A write with replace=false found the slot taken. */
  SAVE_SLOT_EXISTS: 'Save slot already exists',
  /** A write named a version that is no longer the slot's current one. */
  SAVE_VERSION_CONFLICT: 'Save version conflict',
  /** Reading or deleting a slot that holds nothing. */
  SAVE_NOT_FOUND: 'No such save',
  /** A user already has the most slots allowed. */
  SAVE_SLOTS_FULL: 'Too many save slots',
  /** A lobby that does not exist (or has closed). */
  LOBBY_NOT_FOUND: 'No such lobby',
  /** Lobby settings or a filter are malformed. */
  LOBBY_INVALID: 'Lobby request is invalid',
  /** Joining a lobby with no open slot. */
  LOBBY_FULL: 'Lobby is full',
  /** A private lobby without its join code, a friends-only lobby of a stranger, or a kicked member. */
  LOBBY_FORBIDDEN: 'Not allowed into that lobby',
  /** A member who is not the owner tried an owner's action. */
  LOBBY_NOT_OWNER: 'Only the lobby owner may do that',
  /** Acting in a lobby one is not in. */
  LOBBY_NOT_MEMBER: 'Not a member of that lobby',
  /** Creating or joining a lobby while in another. */
  LOBBY_ALREADY_MEMBER: 'Already in a lobby',
  /** Joining or changing a lobby whose game has started. */
  LOBBY_STARTED: 'Lobby has started',
  /** A queue ticket's skill, region or size is malformed. */
  MATCHMAKING_INVALID: 'Matchmaking request is invalid',
  /** Queueing while a ticket is already waiting. */
  MATCHMAKING_ALREADY_QUEUED: 'Already queued',
  /** Cancelling without a waiting ticket. */
  MATCHMAKING_NOT_QUEUED: 'Not queued',
  /** The services could not be reached, or failed on their side (HTTP 5xx); retry later. */
  SERVICE_UNAVAILABLE: 'Online services unavailable',
  /** A user has as many friends or pending requests as allowed. */
  FRIEND_LIMIT_REACHED: 'Friend limit reached',
  /** The server hosts no world kind of that name. */
  WORLD_KIND_UNKNOWN: 'Unknown world kind',
  /** No world instance has that id here (never did, or it was disposed). */
  WORLD_NOT_FOUND: 'No such world',
  /** The world has no free seat (or is reserved for others: a lobby's or match's world). */
  WORLD_FULL: 'World is full',
  /** The client's declaration of a world kind differs from the server's (schemas, RPCs, templates, rates or channels). */
  PROTOCOL_MISMATCH: 'Client and server declare the world differently',
  /** The connect token was presented after it expired (fetch a new one: the world's seat reservation lapsed too). */
  TOKEN_EXPIRED: 'Connect token has expired',
  /** A world could not be joined: the connection failed, the seat was refused, or the link ended before it. */
  WORLD_JOIN_FAILED: 'Joining the world failed',
  /** The world's creation options were refused (not a JSON object, too large). */
  WORLD_OPTIONS_INVALID: 'World options are invalid',
  /** Nothing is served at that HTTP path (no route, no WebSocket, or the file a route serves is missing). */
  ROUTE_NOT_FOUND: 'No such route',
  /** An HTTP path is served, but not for that method; the answer's `allow` header lists the methods. */
  METHOD_NOT_ALLOWED: 'Method not allowed',
  /** The server is at a capacity limit for that kind of connection (push streams, live dashboards); retry later. */
  SERVER_BUSY: 'Server is busy',
  /** The server failed on its side (a bug): the HTTP answer (500) says no more; the details are logged. */
  INTERNAL: 'Internal error',
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
