/**
 * The transport seam: datagrams (or frames) between a server and its peers. Transports move bytes and
 * declare what they guarantee; reliability, ordering per channel, handshakes and encryption live
 * above them, so one model works over UDP, WebSocket, TCP and memory.
 */

export type TransportKind = 'udp' | 'websocket' | 'tcp' | 'memory';

/** What a transport guarantees, declared rather than faked (DESIGN principle 8). */
export interface TransportCapabilities {
  readonly kind: TransportKind;
  /** Every datagram sent arrives while the link is up. */
  readonly reliable: boolean;
  /** Datagrams arrive in the order sent. */
  readonly ordered: boolean;
  /** Largest datagram this transport carries; larger sends are refused (VALUE_INVALID). */
  readonly maxDatagramBytes: number;
}

/** Why a peer's link ended. */
export type LinkCloseReason = 'closed-locally' | 'closed-by-peer' | 'protocol-error' | 'error';

export interface ServerTransport {
  readonly capabilities: TransportCapabilities;
  /** Binds and starts receiving; resolves with the address clients connect to (port 0 → the chosen one). */
  listen(): Promise<string>;
  /** Every datagram from any peer. `peer` names the source and is stable while its link lasts. */
  onDatagram: ((peer: string, datagram: Uint8Array) => void) | undefined;
  /** Stream transports: a peer's link ended. Datagram transports (UDP) have no links to end. */
  onPeerClosed: ((peer: string, reason: LinkCloseReason) => void) | undefined;
  /**
   * Sends to a peer; false if the peer is gone (a race with its link closing, not an error). Never
   * calls onDatagram or onPeerClosed before returning (what happens meanwhile is reported later).
   * The datagram is the transport's from then on: the caller never changes it, so the transport may
   * write it later, and reuse what it made of it when the same array is sent to another peer.
   */
  send(peer: string, datagram: Uint8Array): boolean;
  /**
   * The server accepted the peer's connect request: it is a session now. Stream transports hold
   * peers to pre-handshake limits (time, count, frame size) until then; others need not implement it.
   */
  admitted?(peer: string): void;
  /** Ends a peer's link (streams); a no-op for datagram transports. */
  disconnect(peer: string): void;
  /** Stops receiving and ends every link. */
  close(): Promise<void>;
}

export interface ClientTransport {
  readonly capabilities: TransportCapabilities;
  /** Resolves once datagrams can flow (a stream is open; a UDP socket is bound and aimed). */
  connect(address: string): Promise<void>;
  onDatagram: ((datagram: Uint8Array) => void) | undefined;
  onClosed: ((reason: LinkCloseReason) => void) | undefined;
  /** Sends to the server; false if the link is not open. */
  send(datagram: Uint8Array): boolean;
  close(): void;
}
