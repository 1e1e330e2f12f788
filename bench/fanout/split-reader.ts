/**
 * The reading end for split.ts: `split-reader.ts <url> <count>` opens `count` WebSocket connections
 * (a bare upgrade request each), sends one one-byte binary frame on each so the server learns its
 * peer, then discards everything it reads. Tells its parent 'ready' once every upgrade is answered.
 */
import { connect } from 'node:net';

const [url, countArgument] = process.argv.slice(2);
const { hostname, port, pathname } = new URL(url!);
const count = Number(countArgument);
/** A masked binary frame holding one zero byte (clients must mask, RFC 6455 §5.3). */
const HELLO_FRAME = Uint8Array.of(0x82, 0x81, 0, 0, 0, 0, 0);

let upgraded = 0;
for (let i = 0; i < count; i++) {
  const socket = connect({ host: hostname, port: Number(port) }, () => {
    socket.write(
      `GET ${pathname} HTTP/1.1\r\nHost: ${hostname}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
  });
  let open = false;
  socket.on('data', () => {
    if (open) return;
    open = true;
    socket.write(HELLO_FRAME);
    if (++upgraded === count) process.send!('ready');
  });
}
process.on('SIGTERM', () => process.exit(0));
