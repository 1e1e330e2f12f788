import {
  type ChannelConfig,
  ClientConnection,
  type PacketLogEntry,
  PacketProtection,
  type PacketType,
  readConnectToken,
  ServerConnections,
  type TransportCapabilities,
} from '@shardline/core';
import { sealPacket } from '../../src/connection/protection.js';
import { aead, connectToken, countingRandom, privateKey, protocolId, SERVER } from './connection-fixtures.js';

export const channels: ChannelConfig[] = [{ kind: 'reliable-ordered' }, { kind: 'unreliable' }];
export const UDP: TransportCapabilities = {
  kind: 'udp',
  reliable: false,
  ordered: false,
  maxDatagramBytes: 1200,
};
export const WS: TransportCapabilities = {
  kind: 'websocket',
  reliable: true,
  ordered: true,
  maxDatagramBytes: 1 << 20,
};

/**
 * One server and its clients joined by perfect links (nothing lost, nothing late), on a clock the
 * test moves: `flush` hands every queued datagram across, both ways, until none is left.
 */
export class Rig {
  nowMs = 0;
  readonly server: ServerConnections;
  readonly clients = new Map<string, ClientConnection>();
  readonly serverLog: PacketLogEntry[] = [];
  /** The token each peer's client was given (its keys open what the server sends it). */
  readonly tokens = new Map<string, Uint8Array>();
  private tokensIssued = 0;

  constructor(
    readonly capabilities: TransportCapabilities,
    maxClients = 4,
  ) {
    this.server = new ServerConnections({
      protocolId,
      privateKey,
      aead,
      addresses: [SERVER],
      capabilities,
      channels,
      maxClients,
      packetLog: { record: (entry) => this.serverLog.push(entry) },
    });
  }

  /** A token for `peer`'s client (remembered for `opener`), valid 60 s, with its own keys. */
  tokenFor(peer: string, clientId = peer, timeoutMs = 5_000): Uint8Array {
    const token = connectToken(
      { clientId, timeoutMs, expiresInMs: 60_000 },
      this.nowMs,
      countingRandom(100 * this.tokensIssued++),
    );
    this.tokens.set(peer, token);
    return token;
  }

  /** A client for `peer` with a token for `clientId` (timeout in ms), not yet connected. */
  client(peer: string, clientId = peer, timeoutMs = 5_000): ClientConnection {
    const token = this.tokenFor(peer, clientId, timeoutMs);
    const client = new ClientConnection(
      {
        token,
        aead,
        capabilities: this.capabilities,
        channels,
      },
      this.nowMs,
    );
    this.clients.set(peer, client);
    return client;
  }

  /** A client connected through the whole handshake. */
  connected(peer: string, clientId = peer, timeoutMs = 5_000): ClientConnection {
    const client = this.client(peer, clientId, timeoutMs);
    this.flush();
    if (client.state !== 'connected') throw new Error(`${peer} did not connect: ${client.disconnectReason}`);
    return client;
  }

  /** Delivers every queued datagram, both ways, until none is left; returns how many moved. */
  flush(): number {
    let moved = 0;
    for (let round = 0; round < 20; round++) {
      let now = 0;
      for (const { peer, datagram } of this.server.outgoing.splice(0)) {
        this.clients.get(peer)?.receive(datagram, this.nowMs);
        now++;
      }
      for (const [peer, client] of this.clients) {
        for (const datagram of client.outgoing.splice(0)) {
          this.server.receive(peer, datagram, this.nowMs);
          now++;
        }
      }
      if (now === 0) return moved;
      moved += now;
    }
    throw new Error('datagrams kept flowing');
  }

  /**
   * Opens what the server sends `peer` over a datagram transport, as its client would (with its own
   * replay window): a fresh opener sees the server's packets from sequence 0.
   */
  opener(peer: string): (datagram: Uint8Array) => { type: number; payload: number[] } | undefined {
    const token = readConnectToken(this.tokens.get(peer)!);
    const protection = new PacketProtection(
      aead,
      token.clientToServerKey,
      token.serverToClientKey,
      protocolId,
    );
    return (datagram) => {
      const opened = protection.unprotect(datagram);
      return opened.ok ? { type: opened.type, payload: Array.from(opened.payload) } : undefined;
    };
  }

  /** Seals a packet as `peer`'s client would at `sequence` (to forge, replay or reorder). */
  sealAs(peer: string, type: PacketType, sequence: number, payload: Uint8Array): Uint8Array {
    const token = readConnectToken(this.tokens.get(peer)!);
    return sealPacket(aead, token.clientToServerKey, type, sequence, 0, protocolId, payload);
  }

  /** Moves the clock to `nowMs`, updating the server and every client. */
  at(nowMs: number): void {
    this.nowMs = nowMs;
    this.server.update(nowMs);
    for (const client of this.clients.values()) client.update(nowMs);
  }
}
