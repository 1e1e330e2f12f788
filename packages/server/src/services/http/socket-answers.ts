import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorBody } from './error-answers.js';

/**
 * Answers on a raw socket (an upgrade refused, a request the HTTP parser refused) with `status` and
 * the one error shape as JSON, then closes it.
 */
export function answerSocket(
  socket: Duplex,
  status: number,
  body: ErrorBody,
  headers: Readonly<Record<string, string>> = {},
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const json = JSON.stringify(body);
  const head = [
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}`,
    'connection: close',
    'content-type: application/json; charset=utf-8',
    `content-length: ${Buffer.byteLength(json)}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
  ];
  socket.end(`${head.join('\r\n')}\r\n\r\n${json}`, () => socket.destroy());
}

/**
 * The HTTP server's `clientError` handler: a request its parser refuses answers 431 (headers over
 * the server's limit), 408 (not sent whole in time) or 400, as REQUEST_INVALID.
 */
export function answerClientError(error: Error & { code?: string }, socket: Duplex): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'the headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'the request was not sent whole in time']
        : [400, 'the request is malformed'];
  answerSocket(socket, status, { code: 'REQUEST_INVALID', message });
}

/**
 * The `wsClientError` handler of a WebSocketServer on the HTTP port: a handshake ws refuses (bad
 * key or version) answers 400 REQUEST_INVALID, an upgrade by another method than GET 405.
 */
export function answerHandshakeError(error: Error, socket: Duplex, request: IncomingMessage): void {
  if (request.method !== 'GET') {
    answerSocket(
      socket,
      405,
      { code: 'METHOD_NOT_ALLOWED', message: 'a WebSocket opens with GET' },
      { allow: 'GET' },
    );
    return;
  }
  answerSocket(socket, 400, { code: 'REQUEST_INVALID', message: error.message });
}
