import {
  type AnyDeclaration,
  type AnyEntitySchema,
  type ClientWorld,
  type DisconnectReason,
  decodeSeatMessage,
  encodeSeatMessage,
  isRpcChannel,
  isShardlineError,
  monotonicNowMs,
  type RpcCatalog,
  type RpcChannels,
  RpcClient,
  rpcRoute,
  ShardlineError,
  StateProxies,
  StatePublisher,
  TimeSync,
  worldFingerprint,
} from '@shardline/core';
import type { GameClient } from './game-client.js';

/** Timers exist in browsers and Node alike; core's ES-only typings do not declare them. */
const timers = globalThis as unknown as {
  setInterval(run: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
  queueMicrotask(run: () => void): void;
};

/** How often calls awaiting a reply are checked against their deadline, and a clock ping considered, ms. */
const HOUSEKEEPING_MS = 50;

export interface WorldClientOptions<
  D extends Record<string, AnyDeclaration> = Record<string, AnyDeclaration>,
> {
  client: GameClient;
  world: ClientWorld;
  /** The reliable channel for seat messages (see WorldHost). */
  controlChannel: number;
  snapshotChannel: number;
  ackChannel: number;
  /** State templates (see WorldHost): publish this client's state and see every other seat's. */
  states?: { channel: number; template: AnyEntitySchema };
  /** The token of a seat this client held before its link dropped: connect takes it back. */
  reconnectToken?: Uint8Array;
  /** RPC and events (see WorldHost): the shared catalog and the channels they travel on. */
  rpc?: { catalog: RpcCatalog<D>; channels: RpcChannels; replyTimeoutMs?: number };
}

/**
 * Joins a WorldHost's world from a GameClient and feeds a ClientWorld: its hello names the world's
 * fingerprint (schemas and RPC catalog), and a host that declared another world disconnects it
 * (`protocol-mismatch`) rather than seat it. Snapshots are decoded and
 * acknowledged at once. After its link drops (onDisconnect 'timeout'), connect a new GameClient and
 * pass this one's `reconnectToken` (and the same ClientWorld) to take the seat back within the
 * server's grace period. Other channels reach `onMessage`.
 */
export class WorldClient<D extends Record<string, AnyDeclaration> = Record<string, AnyDeclaration>> {
  onMessage: ((channel: number, bytes: Uint8Array) => void) | undefined;
  /** The server seated this client: a new seat, or (`resumed`) the one it held before. */
  onWelcome: ((seat: string, resumed: boolean) => void) | undefined;
  /**
   * A newer snapshot is shown (the world's replicas are updated): its tick. Interpolation and
   * reconciliation key off this moment, so it fires as the snapshot arrives.
   */
  onSnapshot: ((tick: number) => void) | undefined;
  /** Another client's seat was given up, and why ('timeout' when its grace period ran out). */
  onPeerLeft: ((seat: string, reason: DisconnectReason) => void) | undefined;
  /** This client's seat, once welcomed. */
  seat: string | undefined;
  /** Keep it to rejoin after a dropped link; each one works once and is replaced on every welcome. */
  reconnectToken: Uint8Array | undefined;
  /** The other seats' latest published states, with states enabled. */
  readonly proxies: StateProxies | undefined;
  /** With `rpc` configured: typed calls (`rpc.call.name(params)`), handlers and events. */
  readonly rpc: RpcClient<D> | undefined;
  /**
   * The server's clock as this client estimates it (pings on the ack channel, PROTOCOL.md §11.1):
   * `time.serverTimeMs(performance.now())`, `time.synchronized`, `time.latency`.
   */
  readonly time = new TimeSync();
  /**
   * How far behind the newest snapshots this client draws the world, ms (e.g. its interpolation
   * delay). Reported with each clock ping: the server's dashboard shows lag from it.
   */
  viewDelayMs: number | undefined;
  private readonly publisher: StatePublisher<AnyEntitySchema> | undefined;
  private timer: unknown;
  private flushQueued = false;

  constructor(private readonly options: WorldClientOptions<D>) {
    this.reconnectToken = options.reconnectToken;
    this.proxies = options.states && new StateProxies(options.states.template);
    this.publisher = options.states && new StatePublisher(options.states.template);
    const rpc = options.rpc;
    this.rpc =
      rpc &&
      new RpcClient({
        catalog: rpc.catalog,
        ...(rpc.replyTimeoutMs !== undefined ? { replyTimeoutMs: rpc.replyTimeoutMs } : {}),
        send: (bytes, delivery) => {
          const { channel, type } = rpcRoute(rpc.channels, delivery);
          options.client.send(channel, bytes, type);
          this.flushSoon();
        },
      });
    options.client.onMessage = (channel, bytes) => this.received(channel, bytes);
  }

  get world(): ClientWorld {
    return this.options.world;
  }

  /** Connects the GameClient and asks for a seat (the old one, with a reconnect token). */
  async connect(address?: string): Promise<void> {
    const { client, controlChannel } = this.options;
    await client.connect(address);
    const fingerprint = worldFingerprint(this.options.world.schema, this.options.rpc?.catalog);
    client.send(
      controlChannel,
      encodeSeatMessage({ type: 'hello', fingerprint, token: this.reconnectToken }),
      'reliable',
    );
    if (this.timer === undefined) this.timer = timers.setInterval(() => this.housekeeping(), HOUSEKEEPING_MS);
  }

  /** Calls and events made in this turn leave together at its end, not at the next connection tick. */
  private flushSoon(): void {
    if (this.flushQueued) return;
    this.flushQueued = true;
    timers.queueMicrotask(() => {
      this.flushQueued = false;
      this.options.client.flush();
    });
  }

  /**
   * Sends a clock ping when one is due and fails overdue calls; once the connection is gone, fails
   * every call still waiting and stops.
   */
  private housekeeping(): void {
    const { client, ackChannel } = this.options;
    if (client.state === 'connected') {
      const ping = this.time.update(monotonicNowMs(), this.viewDelayMs);
      if (ping) {
        client.send(ackChannel, ping, 'unreliable-no-delay');
        this.flushSoon();
      }
      this.rpc?.update();
      return;
    }
    this.rpc?.close();
    timers.clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Publishes this client's state taken at `timeMs` (e.g. TimeSync's server time) to the other seats. */
  publishState(state: Record<string, unknown>, timeMs: number): void {
    const { states, client } = this.options;
    if (!states || !this.publisher)
      throw new ShardlineError('VALUE_INVALID', 'this WorldClient has no states channel');
    client.send(states.channel, this.publisher.encode(state, timeMs), 'unreliable');
  }

  private received(channel: number, bytes: Uint8Array): void {
    const { client, world, controlChannel, snapshotChannel, ackChannel } = this.options;
    if (channel === controlChannel) {
      this.control(bytes);
      return;
    }
    if (this.proxies && channel === this.options.states?.channel) {
      ignoringMalformed(() => this.proxies!.receive(bytes));
      return;
    }
    if (this.rpc && isRpcChannel(this.options.rpc!.channels, channel)) {
      this.rpc.receive(bytes);
      return;
    }
    if (channel === ackChannel) {
      ignoringMalformed(() => this.time.receivePong(bytes, monotonicNowMs()));
      return;
    }
    if (channel !== snapshotChannel) {
      this.onMessage?.(channel, bytes);
      return;
    }
    const result = world.receive(bytes);
    if (result.kind === 'applied') this.onSnapshot?.(result.tick);
    // Over a reliable transport the server counts every snapshot as acknowledged once sent (§11).
    if (!('ack' in result) || client.capabilities.reliable) return;
    const ack = new Uint8Array(4);
    new DataView(ack.buffer).setUint32(0, result.ack, true);
    client.send(ackChannel, ack, 'unreliable');
  }

  private control(bytes: Uint8Array): void {
    const message = ignoringMalformed(() => decodeSeatMessage(bytes));
    if (!message) return;
    if (message.type === 'welcome') {
      this.seat = message.seat;
      this.reconnectToken = message.token;
      this.onWelcome?.(message.seat, message.resumed);
    } else if (message.type === 'left') {
      this.proxies?.remove(message.seat);
      this.onPeerLeft?.(message.seat, message.reason);
    }
  }
}

/** Runs `decode`; bytes from the server that do not decode are dropped (undefined). */
function ignoringMalformed<T>(decode: () => T): T | undefined {
  try {
    return decode();
  } catch (error) {
    if (isShardlineError(error)) return undefined;
    throw error;
  }
}
