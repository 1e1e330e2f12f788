/**
 * The UDP server transport beyond the transport contract (transport-contract.test.ts): its socket
 * takes the buffer sizes it is given (one socket carries every peer: issue 18's soak lost 4.2% of
 * UDP packets in the kernel with the default), a peer keeps one name for all its datagrams, and many
 * peers each get their own datagrams back through the cache of parsed addresses.
 */
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { UDP_SOCKET_BUFFER_BYTES, UdpServerTransport } from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';

/** The kernel's cap on a socket buffer asked for (Linux), or undefined elsewhere. */
function kernelCap(name: 'rmem_max' | 'wmem_max'): number | undefined {
  try {
    return Number(readFileSync(`/proc/sys/net/core/${name}`, 'utf8'));
  } catch {
    return undefined;
  }
}

async function waitFor(condition: () => boolean, timeoutMs = 3_000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('timed out waiting for a condition');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const open: (UdpServerTransport | Socket)[] = [];
afterEach(async () => {
  for (const item of open.splice(0)) {
    if (item instanceof UdpServerTransport) await item.close();
    else item.close();
  }
});

describe('UDP server transport', () => {
  it('asks for the socket buffers it is given, and leaves the system’s otherwise', async () => {
    const plain = new UdpServerTransport();
    open.push(plain);
    await plain.listen();
    const system = plain.bufferSizes!;
    const large = new UdpServerTransport({
      receiveBufferBytes: UDP_SOCKET_BUFFER_BYTES,
      sendBufferBytes: UDP_SOCKET_BUFFER_BYTES,
    });
    open.push(large);
    await large.listen();
    // The kernel grants at most its cap (Linux reports twice what it granted).
    const receiveCap = kernelCap('rmem_max') ?? UDP_SOCKET_BUFFER_BYTES;
    const sendCap = kernelCap('wmem_max') ?? UDP_SOCKET_BUFFER_BYTES;
    expect(large.bufferSizes!.receive).toBeGreaterThanOrEqual(Math.min(UDP_SOCKET_BUFFER_BYTES, receiveCap));
    expect(large.bufferSizes!.send).toBeGreaterThanOrEqual(Math.min(UDP_SOCKET_BUFFER_BYTES, sendCap));
    if (receiveCap > UDP_SOCKET_BUFFER_BYTES) expect(system.receive).toBeLessThan(large.bufferSizes!.receive);
  });

  it('names a peer the same for every datagram, and answers each of many peers at its own address', async () => {
    const server = new UdpServerTransport();
    open.push(server);
    const address = await server.listen();
    const port = Number(address.split(':').at(-1));
    const names: string[] = [];
    server.onDatagram = (peer, datagram) => {
      names.push(peer);
      server.send(peer, datagram); // echo
    };
    // More peers than the caches hold would be slow to open here; each sends twice and must get both back.
    const peers = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const socket = createSocket('udp4');
        open.push(socket);
        const echoed: number[] = [];
        socket.on('message', (message) => echoed.push(message[0]!));
        await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
        socket.send(Uint8Array.of(i), port, '127.0.0.1');
        socket.send(Uint8Array.of(i + 100), port, '127.0.0.1');
        return { socket, echoed, i };
      }),
    );
    await waitFor(() => peers.every((peer) => peer.echoed.length === 2));
    for (const { socket, echoed, i } of peers) {
      expect(echoed.sort((a, b) => a - b)).toEqual([i, i + 100]);
      const name = `udp://127.0.0.1:${socket.address().port}`;
      expect(names.filter((peer) => peer === name)).toHaveLength(2);
    }
  });
});
