import { ShardlineError } from '../errors.js';
import { MAX_MESSAGE_BYTES } from '../reliable/limits.js';

/** Largest frame on stream transports (TCP, WebSocket): one largest message plus packet headers. */
export const MAX_FRAME_BYTES = MAX_MESSAGE_BYTES + 64 * 1024;

/** Bytes of the length prefix in front of each frame on a byte stream (TCP). */
export const FRAME_HEADER_BYTES = 4;

/** A frame on a byte stream: its length as u32 little-endian, then the bytes. */
export function encodeFrame(datagram: Uint8Array): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + datagram.length);
  new DataView(frame.buffer).setUint32(0, datagram.length, true);
  frame.set(datagram, FRAME_HEADER_BYTES);
  return frame;
}

/**
 * Splits a byte stream back into frames, however the stream chunks them. A length prefix over
 * `maxFrameBytes` is WIRE_LIMIT, raised before anything is buffered for it: a hostile peer cannot make
 * the decoder hold more than one maximal frame. The limit may be changed between pushes (a server
 * raises it once the peer is admitted).
 */
export class FrameDecoder {
  private buffer = new Uint8Array(0);
  private length = 0;

  constructor(public maxFrameBytes: number) {}

  /** Bytes held of the frame not yet complete (its length prefix included). */
  get bufferedBytes(): number {
    return this.length;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    this.append(chunk);
    const frames: Uint8Array[] = [];
    let offset = 0;
    while (this.length - offset >= FRAME_HEADER_BYTES) {
      const size = new DataView(this.buffer.buffer, this.buffer.byteOffset + offset, 4).getUint32(0, true);
      if (size > this.maxFrameBytes) {
        throw new ShardlineError('WIRE_LIMIT', `frame of ${size} bytes exceeds ${this.maxFrameBytes}`);
      }
      if (this.length - offset - FRAME_HEADER_BYTES < size) break;
      const start = offset + FRAME_HEADER_BYTES;
      frames.push(this.buffer.slice(start, start + size));
      offset = start + size;
    }
    this.buffer.copyWithin(0, offset, this.length);
    this.length -= offset;
    return frames;
  }

  private append(chunk: Uint8Array): void {
    const needed = this.length + chunk.length;
    if (needed > this.buffer.length) {
      const grown = new Uint8Array(Math.max(needed, this.buffer.length * 2, 4096));
      grown.set(this.buffer.subarray(0, this.length));
      this.buffer = grown;
    }
    this.buffer.set(chunk, this.length);
    this.length = needed;
  }
}
