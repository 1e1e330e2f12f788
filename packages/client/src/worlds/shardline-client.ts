import {
  type AnyWorldKind,
  type ClientTransport,
  type ConnectTicket,
  type RedirectMessage,
  type ServiceUser,
  ShardlineError,
  WORLD_CHANNELS,
  type WorldSeatRequest,
  type WorldSummary,
} from '@shardline/core';
import { clientPlatform } from '../client-platform.js';
import { GameClient } from '../game-client.js';
import { base64FromBytes, bytesFromBase64 } from '../services/bytes.js';
import type { FetchLike } from '../services/platform.js';
import { ServicesClient } from '../services/services-client.js';
import type { SessionStorage } from '../services/session-manager.js';
import { WebSocketClientTransport, type WebSocketConstructor } from '../transport/websocket.js';
import { JoinedWorld } from './joined-world.js';
import { connectError } from './world-link.js';

/** Where a guest's device id is kept in `storage`. */
const DEVICE_KEY = 'shardline.deviceId';

export interface ShardlineClientOptions {
  /** Game links over 'websocket' (the default; browsers and Node) or 'udp' (Node). */
  transport?: 'websocket' | 'udp';
  /** Wraps each game link's transport (e.g. a ConditionedClientTransport, to feel a bad network). */
  wrapTransport?: (transport: ClientTransport) => ClientTransport;
  /**
   * Keeps the session's refresh token and the guest's device id between runs: `localStorage` in a
   * browser by default; in memory (a new guest each run) where there is none.
   */
  storage?: SessionStorage;
  fetch?: FetchLike;
  /** The server's join password, given with every seat asked for (when the server has one). */
  password?: string;
  /** The WebSocket class: the platform's by default (the browser's; `ws` in Node). */
  WebSocket?: WebSocketConstructor;
  /** How long after a dropped link a world keeps trying to take its seat back, ms. Default 30,000. */
  rejoinWithinMs?: number;
  /**
   * World kinds a portal may lead to besides the one joined (a cluster's Caves of another kind than
   * its Forest): a move into one opens a new handle, given to `onMigrated`.
   */
  kinds?: readonly AnyWorldKind[];
}

/**
 * A game's way into a Shardline server: signs in (the stored session, else this device's guest
 * account), asks the services for a seat in a world, connects and waits for the seat, and hands back
 * the world typed by its kind. Two lines:
 *
 * ```ts
 * const client = new ShardlineClient('http://127.0.0.1:8080');
 * const world = await client.join(arena);
 * ```
 *
 * Refusals reject with stable codes: WORLD_KIND_UNKNOWN, WORLD_NOT_FOUND, WORLD_FULL,
 * PROTOCOL_MISMATCH (naming what differs), TOKEN_EXPIRED, WORLD_JOIN_FAILED.
 */
export class ShardlineClient {
  /** The online services as the signed-in user: friends, lobbies, leaderboards, saves, … */
  readonly services: ServicesClient;
  private readonly storage: SessionStorage;
  private signingIn: Promise<ServiceUser> | undefined;

  constructor(
    /** The server's HTTP address, e.g. `http://127.0.0.1:8080`. */
    readonly url: string,
    private readonly options: ShardlineClientOptions = {},
  ) {
    this.storage = options.storage ?? browserStorage() ?? memoryStorage();
    this.services = new ServicesClient({
      baseUrl: url,
      storage: this.storage,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
    });
  }

  /** Signs in, once: the stored session if it is still good, else this device's guest account. */
  signIn(): Promise<ServiceUser> {
    const user = this.services.session.user;
    if (user) return Promise.resolve(user);
    this.signingIn ??= this.signInNow().finally(() => {
      this.signingIn = undefined;
    });
    return this.signingIn;
  }

  /** A seat in the oldest public instance of `kind` with room, or in a new one made with `options`. */
  async join<K extends AnyWorldKind>(kind: K, options?: Record<string, unknown>): Promise<JoinedWorld<K>> {
    await this.signIn();
    const ticket = await this.services.worlds.joinOrCreate({
      ...this.seatOf(kind),
      ...(options ? { options } : {}),
    });
    return this.open(kind, ticket);
  }

  /** A seat in a new instance of `kind`: `private` ones are not listed (others join them by id). */
  async create<K extends AnyWorldKind>(
    kind: K,
    options?: Record<string, unknown>,
    settings: { private?: boolean } = {},
  ): Promise<JoinedWorld<K>> {
    await this.signIn();
    const ticket = await this.services.worlds.create({
      ...this.seatOf(kind),
      ...(options ? { options } : {}),
      ...(settings.private ? { private: true } : {}),
    });
    return this.open(kind, ticket);
  }

  /** A seat in the instance `id` of `kind`. */
  async joinById<K extends AnyWorldKind>(kind: K, id: string): Promise<JoinedWorld<K>> {
    await this.signIn();
    return this.open(kind, await this.seatById(kind, id));
  }

  /** A seat with a ticket the services handed out (a lobby's start, `lobby.started`), naming a world of `kind`. */
  async joinTicket<K extends AnyWorldKind>(kind: K, ticket: ConnectTicket): Promise<JoinedWorld<K>> {
    if (!ticket.world) throw new ShardlineError('VALUE_INVALID', 'that ticket names no world');
    if (ticket.world.kind !== kind.name) {
      throw new ShardlineError(
        'PROTOCOL_MISMATCH',
        `the ticket is for a ${ticket.world.kind}, not a ${kind.name}`,
      );
    }
    await this.signIn();
    return this.open(kind, ticket);
  }

  /** The public instances (of one kind), with their players and the game's metadata. */
  list(kind?: AnyWorldKind | string): Promise<WorldSummary[]> {
    return this.services.worlds.list(typeof kind === 'string' ? kind : kind?.name);
  }

  private async signInNow(): Promise<ServiceUser> {
    const resumed = await this.services.session.resume();
    if (resumed) return resumed.user;
    let deviceId = this.storage.getItem(DEVICE_KEY);
    if (!deviceId) {
      deviceId = randomDeviceId();
      this.storage.setItem(DEVICE_KEY, deviceId);
    }
    return (await this.services.session.loginDevice(deviceId)).user;
  }

  private seatById(kind: AnyWorldKind, id: string): Promise<ConnectTicket> {
    return this.services.worlds.joinById(id, this.seatOf(kind));
  }

  /** What every seat request says: the kind, as this client declares it, and the join password. */
  private seatOf(kind: AnyWorldKind): Pick<WorldSeatRequest, 'kind' | 'fingerprints' | 'password'> {
    return {
      kind: kind.name,
      fingerprints: kind.fingerprints,
      ...(this.options.password === undefined ? {} : { password: this.options.password }),
    };
  }

  /**
   * Joins with `first`; each rejoin after a dropped link asks for a fresh ticket to the instance it
   * is in now; a redirect (a portal) is followed with the redirect's own token.
   */
  private async open<K extends AnyWorldKind>(kind: K, first: ConnectTicket): Promise<JoinedWorld<K>> {
    let next: ConnectTicket | undefined = first;
    let joined: JoinedWorld<K> | undefined;
    let landed: string | undefined;
    joined = await JoinedWorld.open({
      kind,
      world: first.world!,
      ...(this.options.rejoinWithinMs !== undefined ? { rejoinWithinMs: this.options.rejoinWithinMs } : {}),
      connect: async (timeoutMs) => {
        const ticket = next ?? (await this.seatById(kind, joined?.id ?? first.world!.id));
        next = undefined; // a token connects once
        landed = ticket.world?.id;
        return this.connect(kind, ticket, timeoutMs);
      },
      connectedWorld: () => landed,
      follow: (redirect, timeoutMs) => this.connect(kind, ticketOf(redirect), timeoutMs),
      followOther: (redirect) => {
        const other = this.options.kinds?.find((candidate) => candidate.name === redirect.kind);
        return other ? this.open(other, ticketOf(redirect)) : undefined;
      },
    });
    return joined;
  }

  private async connect(kind: AnyWorldKind, ticket: ConnectTicket, timeoutMs?: number): Promise<GameClient> {
    const udp = this.options.transport === 'udp';
    const base = udp ? this.udpTransport() : new WebSocketClientTransport(this.webSocketOptions());
    const transport = this.options.wrapTransport ? this.options.wrapTransport(base) : base;
    const client = new GameClient({
      transport,
      token: bytesFromBase64(ticket.token),
      channels: WORLD_CHANNELS,
    });
    try {
      await client.connect(
        this.addressFor(ticket, udp ? 'udp' : 'ws'),
        timeoutMs === undefined ? {} : { timeoutMs },
      );
    } catch (error) {
      throw connectError(error, kind);
    }
    return client;
  }

  /** The ticket's address for the transport; a server listening on every interface is reached as the page was. */
  private addressFor(ticket: ConnectTicket, scheme: 'udp' | 'ws'): string {
    const address = ticket.serverAddresses.find((candidate) =>
      scheme === 'udp' ? candidate.startsWith('udp://') : /^wss?:\/\//.test(candidate),
    );
    if (!address) {
      throw new ShardlineError(
        'WORLD_JOIN_FAILED',
        `the server offers no ${scheme === 'udp' ? 'UDP' : 'WebSocket'} address`,
      );
    }
    const pageHost = /^\w+:\/\/(\[[^\]]*\]|[^:/]+)/.exec(this.url)?.[1];
    return pageHost ? address.replace(/^(\w+:\/\/)(0\.0\.0\.0|\[::\])(?=[:/]|$)/, `$1${pageHost}`) : address;
  }

  private udpTransport(): ClientTransport {
    if (!clientPlatform.createUdpTransport) {
      throw new ShardlineError('VALUE_INVALID', 'UDP needs Node (import @shardline/client there)');
    }
    return clientPlatform.createUdpTransport();
  }

  private webSocketOptions(): { WebSocket?: WebSocketConstructor } {
    return this.options.WebSocket ? { WebSocket: this.options.WebSocket } : {};
  }
}

/** A redirect (PROTOCOL.md §13) as the ticket it amounts to: its token, addresses and world. */
function ticketOf(redirect: RedirectMessage): ConnectTicket {
  return {
    token: base64FromBytes(redirect.token),
    expiresAtMs: 0,
    serverAddresses: redirect.addresses,
    world: { id: redirect.world, kind: redirect.kind },
  };
}

function browserStorage(): SessionStorage | undefined {
  try {
    return (globalThis as { localStorage?: SessionStorage }).localStorage;
  } catch {
    return undefined; // storage disabled (a sandboxed frame)
  }
}

function memoryStorage(): SessionStorage {
  const items = new Map<string, string>();
  return {
    getItem: (key) => items.get(key) ?? null,
    setItem: (key, value) => void items.set(key, value),
    removeItem: (key) => void items.delete(key),
  };
}

/** 32 hex digits from Web Crypto (browsers and Node alike). */
function randomDeviceId(): string {
  const { crypto } = globalThis as unknown as { crypto: { getRandomValues(array: Uint8Array): Uint8Array } };
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) =>
    byte.toString(16).padStart(2, '0'),
  ).join('');
}
