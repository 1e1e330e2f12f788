import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { ShardlineError } from '@shardline/core';
import { type WebSocket, WebSocketServer } from 'ws';
import type { AccountsService } from '../accounts/accounts-service.js';
import { refuseUpgrade } from '../http/error-answers.js';
import { answerHandshakeError } from '../http/socket-answers.js';

/** Where a signed-in client opens its push stream: `ws://host:httpPort/v1/stream?access_token=…`. */
export const USER_STREAM_PATH = '/v1/stream';
/** Largest message a client may send on its stream, bytes: clients send nothing but pings. */
const MAX_CLIENT_MESSAGE_BYTES = 1024;

export interface UserStreamsOptions {
  accounts: AccountsService;
  /** Streams one user may hold at once (tabs, devices); the oldest is closed past it. Default 4. */
  maxStreamsPerUser?: number;
  /** Streams the process holds at most; more are refused with 503. Default 10 000. */
  maxStreams?: number;
  /**
   * How long a user may be without any stream before they count as gone (their lobby and queue
   * place are given up), ms. Default 30 s: a reconnect within it loses nothing.
   */
  goneAfterMs?: number;
  /** Heard when a user has had no stream for `goneAfterMs`. */
  onUserGone?(userId: string): void;
  /** Heard when a user opens their first stream. */
  onUserConnected?(userId: string): void;
  /** Heard when an upgrade fails on the server's side (a store error), answered 500 INTERNAL. */
  onFailure?(error: unknown): void;
}

/** Close codes the stream uses: 4409 (4000–4999 are the application's) and 1001, going away. */
export const STREAM_CLOSE = { replaced: 4409, shuttingDown: 1001 } as const;

/**
 * Server-to-client pushes for signed-in users (lobby updates, matches, achievement unlocks) over a
 * WebSocket on the HTTP port. Browsers cannot set headers on a WebSocket, so the access token comes
 * in the query (`access_token`); it is checked once, at the upgrade. Messages are JSON objects with
 * a `type`. Clients send nothing but pings; anything else is ignored. Every 15 s unanswered pings
 * end dead streams.
 */
export class UserStreams {
  private readonly server = new WebSocketServer({ noServer: true, maxPayload: MAX_CLIENT_MESSAGE_BYTES });
  private readonly streams = new Map<string, Set<WebSocket>>();
  private readonly goneTimers = new Map<string, NodeJS.Timeout>();
  private readonly alive = new WeakSet<WebSocket>();
  private readonly heartbeat: NodeJS.Timeout;

  constructor(private readonly options: UserStreamsOptions) {
    this.server.on('wsClientError', answerHandshakeError);
    this.heartbeat = setInterval(() => this.beat(), 15_000);
    this.heartbeat.unref();
  }

  /**
   * Takes an HTTP upgrade for USER_STREAM_PATH: authenticates it, then holds the stream. Refusals
   * are HTTP answers `{ code, message }`: 401 AUTH_* without a good token (AUTH_TOKEN_INVALID when
   * there is none), 503 SERVER_BUSY past `maxStreams`, 400 REQUEST_INVALID for a bad handshake.
   */
  async handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const maxStreams = this.options.maxStreams ?? 10_000;
    if (this.count() >= maxStreams) {
      refuseUpgrade(socket, new ShardlineError('SERVER_BUSY', `${maxStreams} push streams are open`));
      return;
    }
    let userId: string;
    try {
      userId = (await this.options.accounts.authenticate(url.searchParams.get('access_token') ?? '')).user.id;
    } catch (error) {
      if (refuseUpgrade(socket, error) >= 500) this.options.onFailure?.(error);
      return;
    }
    this.server.handleUpgrade(request, socket, head, (stream) => this.hold(userId, stream));
  }

  /** Sends `message` (JSON) to every stream of each user; returns how many streams it reached. */
  push(
    userIds: Iterable<string>,
    message: { readonly type: string; readonly [field: string]: unknown },
  ): number {
    const text = JSON.stringify(message);
    let reached = 0;
    for (const userId of userIds) {
      for (const stream of this.streams.get(userId) ?? []) {
        stream.send(text);
        reached++;
      }
    }
    return reached;
  }

  /**
   * The users this process holds: those with a stream open, and those whose last one closed less
   * than `goneAfterMs` ago (not gone yet).
   */
  heldUsers(): string[] {
    return [...new Set([...this.streams.keys(), ...this.goneTimers.keys()])];
  }

  /** Whether a user has a stream open now. */
  isConnected(userId: string): boolean {
    return this.streams.has(userId);
  }

  count(): number {
    let streams = 0;
    for (const set of this.streams.values()) streams += set.size;
    return streams;
  }

  /** Closes every stream (server shutting down); no one counts as gone. */
  close(): void {
    clearInterval(this.heartbeat);
    for (const timer of this.goneTimers.values()) clearTimeout(timer);
    this.goneTimers.clear();
    for (const set of this.streams.values())
      for (const stream of set) stream.close(STREAM_CLOSE.shuttingDown);
    this.streams.clear();
    this.server.close();
  }

  private hold(userId: string, stream: WebSocket): void {
    clearTimeout(this.goneTimers.get(userId));
    this.goneTimers.delete(userId);
    let set = this.streams.get(userId);
    if (!set) {
      set = new Set();
      this.streams.set(userId, set);
      this.options.onUserConnected?.(userId);
    }
    if (set.size >= (this.options.maxStreamsPerUser ?? 4)) {
      const oldest = set.values().next().value!;
      set.delete(oldest);
      oldest.close(STREAM_CLOSE.replaced);
    }
    set.add(stream);
    this.alive.add(stream);
    stream.on('pong', () => this.alive.add(stream));
    stream.on('error', () => stream.terminate());
    stream.on('close', () => this.dropped(userId, stream));
  }

  private dropped(userId: string, stream: WebSocket): void {
    const set = this.streams.get(userId);
    if (!set?.delete(stream) || set.size > 0) return;
    this.streams.delete(userId);
    const timer = setTimeout(() => {
      this.goneTimers.delete(userId);
      this.options.onUserGone?.(userId);
    }, this.options.goneAfterMs ?? 30_000);
    this.goneTimers.set(userId, timer);
  }

  private beat(): void {
    for (const set of this.streams.values()) {
      for (const stream of set) {
        if (!this.alive.has(stream)) {
          stream.terminate();
          continue;
        }
        this.alive.delete(stream);
        stream.ping();
      }
    }
  }
}
