import {
  type Aead,
  type ChannelConfig,
  ClientConnection,
  type ClientTransport,
  type DisconnectReason,
  type EndpointStats,
  type PacketLog,
  readConnectToken,
  type SendType,
  ShardlineError,
  type TransportCapabilities,
  type TunableEndpointOptions,
} from '@shardline/core';

/** Timers exist in browsers and Node alike; core's ES-only typings do not declare them. */
const timers = globalThis as unknown as {
  setInterval(run: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
};

export interface GameClientOptions {
  transport: ClientTransport;
  /** The connect token from the issuer (online services, or the server in development). */
  token: Uint8Array;
  channels: readonly ChannelConfig[];
  /** ChaCha20-Poly1305 over UDP (packets are encrypted). Default: core's `chacha20Poly1305`. */
  aead?: Aead;
  /** How often the connection is updated, in ms. Default 10. */
  tickMs?: number;
  endpoint?: TunableEndpointOptions;
  /** Records every packet in and out. */
  packetLog?: PacketLog;
}

/** A game client: connects with a token over any transport, then sends and receives on channels. */
export class GameClient {
  onMessage: ((channel: number, bytes: Uint8Array) => void) | undefined;
  onDisconnect: ((reason: DisconnectReason) => void) | undefined;
  private connection: ClientConnection | undefined;
  private lastReason: DisconnectReason | undefined;
  private timer: unknown;

  constructor(private readonly options: GameClientOptions) {}

  /**
   * Connects to `address` (default: the token's first server address). Resolves once the server
   * accepted; rejects with CONNECT_FAILED (details.reason) if it refused or never answered: by
   * the token's expiry, or within `timeoutMs` if given (reason `timeout`; the time counts from
   * this call, the transport's own opening included).
   */
  async connect(address?: string, options: { timeoutMs?: number } = {}): Promise<void> {
    const startedMs = Date.now();
    const { transport } = this.options;
    const target = address ?? readConnectToken(this.options.token).serverAddresses[0]!;
    await openWithin(transport, target, options.timeoutMs);
    const connection = new ClientConnection(
      {
        token: this.options.token,
        capabilities: transport.capabilities,
        channels: this.options.channels,
        ...(this.options.aead ? { aead: this.options.aead } : {}),
        ...(this.options.endpoint ? { endpoint: this.options.endpoint } : {}),
        ...(this.options.packetLog ? { packetLog: this.options.packetLog } : {}),
      },
      Date.now(),
    );
    this.connection = connection;
    return new Promise((resolve, reject) => {
      let settled = false;
      const settle = () => {
        for (const datagram of connection.outgoing.splice(0)) transport.send(datagram);
        for (const event of connection.events.splice(0)) {
          if (event.type === 'connected' && !settled) {
            settled = true;
            resolve();
          } else if (event.type === 'message') {
            this.onMessage?.(event.channel, event.bytes);
          } else if (event.type === 'disconnected') {
            this.lastReason = event.reason;
            this.stopTimer();
            transport.close();
            if (!settled) {
              settled = true;
              reject(
                new ShardlineError('CONNECT_FAILED', `connection refused: ${event.reason}`, {
                  reason: event.reason,
                }),
              );
            } else {
              this.onDisconnect?.(event.reason);
            }
          }
        }
      };
      this.pump = settle;
      transport.onDatagram = (datagram) => {
        connection.receive(datagram, Date.now());
        settle();
      };
      transport.onClosed = () => {
        if (connection.state !== 'disconnected') {
          connection.end('link-lost');
          settle();
        }
      };
      this.timer = timers.setInterval(() => {
        const nowMs = Date.now();
        connection.update(nowMs);
        if (!settled && options.timeoutMs !== undefined && nowMs - startedMs >= options.timeoutMs) {
          connection.end('timeout');
        }
        settle();
      }, this.options.tickMs ?? 10);
      settle();
    });
  }

  /** What the transport guarantees (a reliable one delivers every message while the link is up). */
  get capabilities(): TransportCapabilities {
    return this.options.transport.capabilities;
  }

  get state(): ClientConnection['state'] | 'idle' {
    return this.connection?.state ?? 'idle';
  }

  /** Why the connection ended, once it has (undefined while it has not). */
  get disconnectReason(): DisconnectReason | undefined {
    return this.lastReason;
  }

  send(channel: number, bytes: Uint8Array, type?: SendType): void {
    const connection = this.connected();
    const nowMs = Date.now();
    if (connection.send(channel, bytes, nowMs, type)) {
      connection.update(nowMs);
      this.pump();
    } else if (connection.outgoing.length > 0) {
      this.pump(); // a no-delay packet that left at once
    }
  }

  /** Sends what is queued now instead of at the next tick (e.g. calls made in this turn). */
  flush(): void {
    const connection = this.connection;
    if (connection?.state !== 'connected') return;
    connection.update(Date.now());
    this.pump();
  }

  stats(): EndpointStats | undefined {
    return this.connection?.stats(Date.now());
  }

  /** Leaves, telling the server (closed-by-client). */
  disconnect(): void {
    const connection = this.connection;
    if (!connection || connection.state === 'disconnected') return;
    connection.disconnect();
    this.pump();
  }

  private pump: () => void = () => {};

  private stopTimer(): void {
    if (this.timer !== undefined) timers.clearInterval(this.timer);
    this.timer = undefined;
  }

  private connected(): ClientConnection {
    if (this.connection?.state !== 'connected') throw new ShardlineError('VALUE_INVALID', 'not connected');
    return this.connection;
  }
}

/** Opens the transport, or closes it and fails as CONNECT_FAILED (reason `timeout`) after `timeoutMs`. */
function openWithin(
  transport: ClientTransport,
  address: string,
  timeoutMs: number | undefined,
): Promise<void> {
  const opening = transport.connect(address);
  if (timeoutMs === undefined) return opening;
  return new Promise((resolve, reject) => {
    const timer = timers.setTimeout(() => {
      transport.close();
      reject(
        new ShardlineError('CONNECT_FAILED', `no link to ${address} within ${timeoutMs} ms`, {
          reason: 'timeout',
        }),
      );
    }, timeoutMs);
    opening.then(
      () => {
        timers.clearTimeout(timer);
        resolve();
      },
      (error: unknown) => {
        timers.clearTimeout(timer);
        reject(error);
      },
    );
  });
}
