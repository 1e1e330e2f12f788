/** A GameServer and WorldRuntime on loopback ports, and clients that join its worlds over WebSocket or UDP. */
import * as nodeCrypto from 'node:crypto';
import { connectError, GameClient, JoinedWorld, WebSocketClientTransport } from '@shardline/client';
import { UdpClientTransport } from '@shardline/client/node';
import {
  type AnyWorldKind,
  aeadFromNodeCrypto,
  type ClientTransport,
  GameServer,
  type ServerTransport,
  UdpServerTransport,
  WebSocketServerTransport,
  WORLD_CHANNELS,
  WorldRuntime,
  type WorldRuntimeOptions,
  type WorldTicket,
} from '@shardline/server';

export const aead = aeadFromNodeCrypto(nodeCrypto);

export interface WorldServerHandle {
  server: GameServer;
  runtime: WorldRuntime;
  addresses: { udp: string; ws: string };
  stop(): Promise<void>;
}

/**
 * Starts a GameServer (UDP and WebSocket on free loopback ports, or `transports`: a datagram one
 * first, then a stream one) with a WorldRuntime over it.
 */
export async function startWorldServer(
  options: Omit<WorldRuntimeOptions, 'server'> & { transports?: [ServerTransport, ServerTransport] },
): Promise<WorldServerHandle> {
  const { transports, ...runtimeOptions } = options;
  const server = new GameServer({
    protocolId: 0x77,
    privateKey: nodeCrypto.randomBytes(32),
    aead,
    transports: transports ?? [
      new UdpServerTransport({ port: 0 }),
      new WebSocketServerTransport({ port: 0 }),
    ],
    channels: WORLD_CHANNELS,
  });
  const runtime = new WorldRuntime({
    server,
    onHandlerError: (error) => {
      throw error;
    },
    ...runtimeOptions,
  });
  const [udp, ws] = await server.start();
  runtime.start();
  return {
    server,
    runtime,
    addresses: { udp: udp!, ws: ws! },
    async stop() {
      runtime.stop();
      await server.stop();
    },
  };
}

/** A client's link, kept so a test can cut it. */
export interface TestLink {
  transport: ClientTransport;
  client: GameClient;
}

/**
 * Joins a world with the runtime's tickets (what the services hand out over HTTP), over WebSocket
 * (default) or UDP; every connection made (the first and each rejoin) is pushed to `links`.
 */
export function joinWith<K extends AnyWorldKind>(
  handle: WorldServerHandle,
  kind: K,
  firstTicket: WorldTicket,
  options: {
    clientId: string;
    udp?: boolean;
    links?: TestLink[];
    rejoinWithinMs?: number;
    /** Wraps each connection's transport (a ConditionedClientTransport, to cut the link). */
    wrap?: (transport: ClientTransport) => ClientTransport;
  },
): Promise<JoinedWorld<K>> {
  let ticket: WorldTicket | undefined = firstTicket;
  return JoinedWorld.open({
    kind,
    world: firstTicket.world,
    ...(options.rejoinWithinMs !== undefined ? { rejoinWithinMs: options.rejoinWithinMs } : {}),
    connect: async (timeoutMs) => {
      const next =
        ticket ??
        handle.runtime.ticket(handle.runtime.get(firstTicket.world.id), { clientId: options.clientId });
      ticket = undefined;
      const base = options.udp ? new UdpClientTransport() : new WebSocketClientTransport();
      const transport = options.wrap ? options.wrap(base) : base;
      const client = new GameClient({ transport, token: next.token, channels: WORLD_CHANNELS, aead });
      options.links?.push({ transport, client });
      try {
        await client.connect(
          options.udp ? handle.addresses.udp : handle.addresses.ws,
          timeoutMs ? { timeoutMs } : {},
        );
      } catch (error) {
        throw connectError(error, kind);
      }
      return client;
    },
  });
}

export async function waitFor(condition: () => boolean, timeoutMs = 8_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
