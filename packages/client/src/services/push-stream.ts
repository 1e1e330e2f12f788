import type { PushEvent } from '@shardline/core';
import type { WebSocketConstructor, WebSocketLike } from '../transport/websocket.js';
import { platform } from './platform.js';
import type { AccessTokenSource } from './service-http.js';

type Listener<T extends PushEvent['type']> = (event: Extract<PushEvent, { type: T }>) => void;

/** Reconnect delays, ms: doubling from the first to the last, then staying there. */
const RETRY_FIRST_MS = 500;
const RETRY_LAST_MS = 10_000;

/**
 * The signed-in user's push stream (`/v1/stream`): lobby updates, matches, achievement unlocks, as
 * typed events. Opens on `open()`, reconnects with growing delays until `close()` (a reconnect within
 * the server's 30 s grace keeps the user's lobby and queue place).
 */
export class PushStream {
  private socket: WebSocketLike | undefined;
  private retryMs = RETRY_FIRST_MS;
  private retryTimer: unknown;
  private wanted = false;
  private readonly listeners = new Map<string, Set<(event: PushEvent) => void>>();
  /** Waiting `open()` calls, resolved when the stream opens. */
  private readonly onOpened = new Set<() => void>();
  /** Hears the stream opening (true) and dropping (false). */
  onConnectionChange: ((open: boolean) => void) | undefined;

  constructor(
    private readonly baseUrl: string,
    private readonly tokens: AccessTokenSource,
    private readonly WebSocketClass: WebSocketConstructor,
  ) {}

  /** Listens for one type of event; returns how to stop. */
  on<T extends PushEvent['type']>(type: T, listener: Listener<T>): () => void {
    const set = this.listeners.get(type) ?? new Set();
    this.listeners.set(type, set);
    set.add(listener as (event: PushEvent) => void);
    return () => set.delete(listener as (event: PushEvent) => void);
  }

  /** Whether the stream is open now. */
  get isOpen(): boolean {
    return this.socket?.readyState === 1;
  }

  /** Opens the stream (and keeps it open until `close`); resolves once it is open. */
  open(): Promise<void> {
    this.wanted = true;
    return new Promise((resolve) => {
      const stop = () => {
        this.onOpened.delete(stop);
        resolve();
      };
      this.onOpened.add(stop);
      if (this.isOpen) stop();
      else if (!this.socket && !this.retryTimer) void this.connect();
    });
  }

  close(): void {
    this.wanted = false;
    platform.clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    this.socket?.close(1000);
    this.socket = undefined;
  }

  private async connect(): Promise<void> {
    let token: string;
    try {
      token = await this.tokens.accessToken();
    } catch {
      this.retryLater();
      return;
    }
    if (!this.wanted) return;
    const url = `${this.baseUrl.replace(/^http/, 'ws')}/v1/stream?access_token=${encodeURIComponent(token)}`;
    const socket = new this.WebSocketClass(url);
    this.socket = socket;
    socket.onopen = () => {
      this.retryMs = RETRY_FIRST_MS;
      this.onConnectionChange?.(true);
      for (const opened of [...this.onOpened]) opened();
    };
    socket.onmessage = (message) => this.deliver(message.data);
    socket.onerror = () => {};
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.onConnectionChange?.(false);
      this.retryLater();
    };
  }

  private retryLater(): void {
    if (!this.wanted) return;
    this.retryTimer = platform.setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, this.retryMs);
    this.retryMs = Math.min(this.retryMs * 2, RETRY_LAST_MS);
  }

  private deliver(data: unknown): void {
    let event: PushEvent;
    try {
      event = JSON.parse(String(data)) as PushEvent;
    } catch {
      return; // not ours: ignore
    }
    for (const listener of this.listeners.get(event?.type) ?? []) listener(event);
  }
}
