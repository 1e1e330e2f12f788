import { ShardlineError } from '../errors.js';
import { ByteReader, ByteWriter } from '../wire/bytes.js';
import { decodeUtf8, encodeUtf8 } from '../wire/utf8.js';
import { type Aead, KEY_BYTES, NONCE_BYTES, randomBytes, TAG_BYTES } from './crypto.js';
import { readU64, writeU64 } from './u64.js';

/** "SLT1" little-endian: the connect-token format and protocol generation. */
export const TOKEN_MAGIC = 0x31_54_4c_53;
/** The private part is padded to a fixed size, so requests carrying it are always larger than replies. */
export const SEALED_PRIVATE_BYTES = 1024;
const PRIVATE_PLAINTEXT_BYTES = SEALED_PRIVATE_BYTES - TAG_BYTES;
export const MAX_CLIENT_ID_BYTES = 64;
export const MAX_USER_DATA_BYTES = 256;
export const MAX_SERVER_ADDRESSES = 8;
export const MAX_ADDRESS_BYTES = 64;
/** Longest world instance name a token may carry, in UTF-8 bytes (`arena/7f3a9c…`). */
export const MAX_WORLD_BYTES = 64;
export const DEFAULT_CONNECTION_TIMEOUT_MS = 10_000;

/** What an issuer grants one client. */
export interface TokenGrant {
  /** The account or player id the game trusts (1–64 UTF-8 bytes). */
  clientId: string;
  /** Opaque data for the game server (≤ 256 bytes): a session ticket, a team, … */
  userData?: Uint8Array;
  /**
   * The world instance the session is for (1–64 UTF-8 bytes): a server hosting many worlds routes
   * the session there. Absent: the token names no world.
   */
  world?: string;
  /** Addresses of the servers this token may connect to, as they name themselves (`udp://…`, `ws://…`). */
  serverAddresses: readonly string[];
  /** How long the token may be presented. */
  expiresInMs: number;
  /** Inactivity timeout of the connection it opens. Default 10 s. */
  timeoutMs?: number;
}

/** What the server learns from a token's sealed private part. */
export interface PrivateToken {
  clientId: string;
  userData: Uint8Array;
  /** The world instance named by the issuer, or '' for none. */
  world: string;
  timeoutMs: number;
  serverAddresses: string[];
  clientToServerKey: Uint8Array;
  serverToClientKey: Uint8Array;
}

/** A connect token as its holder (the client) sees it: public fields, its keys, and the sealed part. */
export interface ConnectToken {
  protocolId: number;
  createdAtMs: number;
  expiresAtMs: number;
  nonce: Uint8Array;
  timeoutMs: number;
  serverAddresses: string[];
  clientToServerKey: Uint8Array;
  serverToClientKey: Uint8Array;
  sealedPrivate: Uint8Array;
}

export interface TokenKeys {
  protocolId: number;
  /** The secret shared by the issuer and the game servers (32 bytes). */
  privateKey: Uint8Array;
  aead: Aead;
}

/** Associated data of the sealed private part: tampering with any of these fails authentication. */
export function privateTokenAssociatedData(protocolId: number, expiresAtMs: number): Uint8Array {
  const writer = new ByteWriter(16);
  writer.u32(TOKEN_MAGIC);
  writer.u32(protocolId);
  writeU64(writer, expiresAtMs);
  return writer.toBytes();
}

function writeString(writer: ByteWriter, text: string, maxBytes: number, what: string): void {
  const bytes = encodeUtf8(text);
  if (bytes.length === 0 || bytes.length > maxBytes) {
    throw new ShardlineError('VALUE_INVALID', `${what} must be 1–${maxBytes} UTF-8 bytes`);
  }
  writer.u8(bytes.length);
  writer.raw(bytes);
}

function readString(reader: ByteReader, maxBytes: number): string {
  const length = reader.u8();
  if (length === 0 || length > maxBytes) throw new ShardlineError('WIRE_LIMIT', `string of ${length} bytes`);
  return decodeUtf8(reader.slice(length));
}

/** A world name: u8 length (0 for none, else 1–64) + UTF-8. */
export function writeWorld(writer: ByteWriter, world: string): void {
  const bytes = encodeUtf8(world);
  if (bytes.length > MAX_WORLD_BYTES) {
    throw new ShardlineError('VALUE_INVALID', `a world name is at most ${MAX_WORLD_BYTES} UTF-8 bytes`);
  }
  writer.u8(bytes.length);
  writer.raw(bytes);
}

export function readWorld(reader: ByteReader): string {
  const length = reader.u8();
  if (length > MAX_WORLD_BYTES) throw new ShardlineError('WIRE_LIMIT', `world name of ${length} bytes`);
  return decodeUtf8(reader.slice(length));
}

function writeAddresses(writer: ByteWriter, addresses: readonly string[]): void {
  if (addresses.length === 0 || addresses.length > MAX_SERVER_ADDRESSES) {
    throw new ShardlineError('VALUE_INVALID', `a token names 1–${MAX_SERVER_ADDRESSES} server addresses`);
  }
  writer.u8(addresses.length);
  for (const address of addresses) writeString(writer, address, MAX_ADDRESS_BYTES, 'a server address');
}

function readAddresses(reader: ByteReader): string[] {
  const count = reader.u8();
  if (count === 0 || count > MAX_SERVER_ADDRESSES)
    throw new ShardlineError('WIRE_LIMIT', `${count} addresses`);
  return Array.from({ length: count }, () => readString(reader, MAX_ADDRESS_BYTES));
}

function readKey(reader: ByteReader): Uint8Array {
  return reader.slice(KEY_BYTES).slice();
}

/**
 * Issues a connect token (the issuer's side: online services, or the server itself in development).
 * Fresh per-connection keys are drawn here; the private part is sealed under the shared private key.
 */
export function issueConnectToken(
  grant: TokenGrant,
  keys: TokenKeys,
  nowMs: number,
  /** Source of keys and the nonce; tests and golden vectors pass a deterministic one. */
  drawRandom: (length: number) => Uint8Array = randomBytes,
): Uint8Array {
  if (!(grant.expiresInMs > 0)) throw new ShardlineError('VALUE_INVALID', 'expiresInMs must be positive');
  const userData = grant.userData ?? new Uint8Array(0);
  if (userData.length > MAX_USER_DATA_BYTES) {
    throw new ShardlineError('VALUE_INVALID', `userData over ${MAX_USER_DATA_BYTES} bytes`);
  }
  const timeoutMs = grant.timeoutMs ?? DEFAULT_CONNECTION_TIMEOUT_MS;
  const expiresAtMs = nowMs + grant.expiresInMs;
  const clientToServerKey = drawRandom(KEY_BYTES);
  const serverToClientKey = drawRandom(KEY_BYTES);
  const nonce = drawRandom(NONCE_BYTES);

  const secret = new ByteWriter(PRIVATE_PLAINTEXT_BYTES);
  writeString(secret, grant.clientId, MAX_CLIENT_ID_BYTES, 'clientId');
  secret.u32(timeoutMs);
  writeAddresses(secret, grant.serverAddresses);
  secret.raw(clientToServerKey);
  secret.raw(serverToClientKey);
  secret.u16(userData.length);
  secret.raw(userData);
  writeWorld(secret, grant.world ?? '');
  const plaintext = new Uint8Array(PRIVATE_PLAINTEXT_BYTES); // zero padding to the fixed size
  plaintext.set(secret.toBytes());
  const sealed = keys.aead.seal(
    keys.privateKey,
    nonce,
    privateTokenAssociatedData(keys.protocolId, expiresAtMs),
    plaintext,
  );

  const writer = new ByteWriter(2048);
  writer.u32(TOKEN_MAGIC);
  writer.u32(keys.protocolId);
  writeU64(writer, nowMs);
  writeU64(writer, expiresAtMs);
  writer.raw(nonce);
  writer.u32(timeoutMs);
  writeAddresses(writer, grant.serverAddresses);
  writer.raw(clientToServerKey);
  writer.raw(serverToClientKey);
  writer.raw(sealed);
  return writer.toBytes();
}

/** Parses a connect token (the client's side). WIRE_* codes for malformed tokens. */
export function readConnectToken(bytes: Uint8Array): ConnectToken {
  const reader = new ByteReader(bytes);
  if (reader.u32() !== TOKEN_MAGIC) throw new ShardlineError('WIRE_INVALID', 'not a Shardline connect token');
  const token: ConnectToken = {
    protocolId: reader.u32(),
    createdAtMs: readU64(reader),
    expiresAtMs: readU64(reader),
    nonce: reader.slice(NONCE_BYTES).slice(),
    timeoutMs: reader.u32(),
    serverAddresses: readAddresses(reader),
    clientToServerKey: readKey(reader),
    serverToClientKey: readKey(reader),
    sealedPrivate: reader.slice(SEALED_PRIVATE_BYTES).slice(),
  };
  if (reader.remaining !== 0) throw new ShardlineError('WIRE_TRAILING_DATA', 'bytes after the connect token');
  return token;
}

/** Opens a sealed private part (the server's side); undefined when it does not authenticate. */
export function openPrivateToken(
  sealed: Uint8Array,
  nonce: Uint8Array,
  expiresAtMs: number,
  keys: TokenKeys,
): PrivateToken | undefined {
  const plaintext = keys.aead.open(
    keys.privateKey,
    nonce,
    privateTokenAssociatedData(keys.protocolId, expiresAtMs),
    sealed,
  );
  if (!plaintext) return undefined;
  try {
    const reader = new ByteReader(plaintext);
    const clientId = readString(reader, MAX_CLIENT_ID_BYTES);
    const timeoutMs = reader.u32();
    const serverAddresses = readAddresses(reader);
    const clientToServerKey = readKey(reader);
    const serverToClientKey = readKey(reader);
    const userDataLength = reader.u16();
    if (userDataLength > MAX_USER_DATA_BYTES) return undefined;
    // Stryker disable next-line MethodExpression: the plaintext is this call's own; a view differs in memory only
    const userData = reader.slice(userDataLength).slice();
    const world = readWorld(reader);
    return { clientId, userData, world, timeoutMs, serverAddresses, clientToServerKey, serverToClientKey };
  } catch (error) {
    // Authentic but malformed means our own issuer is broken; treat as invalid rather than crash.
    if (error instanceof ShardlineError) return undefined;
    throw error;
  }
}
