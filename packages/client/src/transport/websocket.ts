import {
  type ClientTransport,
  type LinkCloseReason,
  MAX_FRAME_BYTES,
  ShardlineError,
  type TransportCapabilities,
} from '@shardline/core';
import { clientPlatform } from '../client-platform.js';

/** The parts of the WHATWG WebSocket this transport uses (browsers; `ws` in Node has the same shape). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onclose: ((event: { code: number }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

const OPEN = 1;
const CLOSE_PROTOCOL_ERROR = 1002;

export const WEBSOCKET_CLIENT_CAPABILITIES: TransportCapabilities = {
  kind: 'websocket',
  reliable: true,
  ordered: true,
  maxDatagramBytes: MAX_FRAME_BYTES,
};

export interface WebSocketClientOptions {
  /** The WebSocket class: the platform's by default (the browser's; `ws` in Node through `@shardline/client`). */
  WebSocket?: WebSocketConstructor;
}

/** WebSocket client: one binary message per datagram. Works in browsers with no Node built-ins. */
export class WebSocketClientTransport implements ClientTransport {
  readonly capabilities = WEBSOCKET_CLIENT_CAPABILITIES;
  onDatagram: ((datagram: Uint8Array) => void) | undefined;
  onClosed: ((reason: LinkCloseReason) => void) | undefined;
  private socket: WebSocketLike | undefined;
  private closedLocally = false;
  private readonly WebSocketClass: WebSocketConstructor;

  constructor(options: WebSocketClientOptions = {}) {
    const WebSocketClass = options.WebSocket ?? clientPlatform.WebSocket;
    if (!WebSocketClass)
      throw new ShardlineError('VALUE_INVALID', 'no WebSocket class: pass one in the options');
    this.WebSocketClass = WebSocketClass;
  }

  connect(address: string): Promise<void> {
    const socket = new this.WebSocketClass(address);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    return new Promise((resolve, reject) => {
      let open = false;
      socket.onopen = () => {
        open = true;
        resolve();
      };
      socket.onerror = () => {
        if (!open) reject(new Error(`WebSocket connection to ${address} failed`));
      };
      socket.onmessage = (event) => {
        if (!(event.data instanceof ArrayBuffer)) {
          socket.close(CLOSE_PROTOCOL_ERROR, 'binary messages only');
          return;
        }
        this.onDatagram?.(new Uint8Array(event.data));
      };
      socket.onclose = (event) => {
        if (!open) reject(new Error(`WebSocket connection to ${address} closed before opening`));
        this.socket = undefined;
        const reason = this.closedLocally
          ? 'closed-locally'
          : event.code === CLOSE_PROTOCOL_ERROR
            ? 'protocol-error'
            : event.code === 1000 || event.code === 1001
              ? 'closed-by-peer'
              : 'error';
        if (open) this.onClosed?.(reason);
      };
    });
  }

  send(datagram: Uint8Array): boolean {
    if (datagram.length > this.capabilities.maxDatagramBytes) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `datagram of ${datagram.length} bytes exceeds the frame maximum`,
      );
    }
    if (!this.socket || this.socket.readyState !== OPEN) return false;
    this.socket.send(datagram);
    return true;
  }

  close(): void {
    if (!this.socket) return;
    this.closedLocally = true;
    this.socket.close(1000);
  }
}
