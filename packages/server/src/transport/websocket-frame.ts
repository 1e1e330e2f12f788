/** RFC 6455 §5.2: FIN set, opcode 2 (binary). */
const FIN_BINARY = 0x82;
/** Payload lengths up to this fit the 7-bit length field; up to 0xffff take 16 more bits, beyond 64. */
const SHORT_LENGTH_MAX = 125;
const LENGTH_16 = 126;
const LENGTH_64 = 127;

/** Bytes of a server frame's header for a payload of `length` bytes (unmasked: 2, 4 or 10). */
export function frameHeaderBytes(length: number): number {
  return length <= SHORT_LENGTH_MAX ? 2 : length <= 0xffff ? 4 : 10;
}

/**
 * One whole binary WebSocket message as a server sends it (RFC 6455 §5.2: unmasked, unfragmented,
 * no extension bits), header and payload in one buffer, so the socket takes it in one write.
 */
export function binaryFrame(payload: Uint8Array): Buffer {
  const length = payload.length;
  const header = frameHeaderBytes(length);
  const frame = Buffer.allocUnsafe(header + length);
  frame[0] = FIN_BINARY;
  if (header === 2) {
    frame[1] = length;
  } else if (header === 4) {
    frame[1] = LENGTH_16;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = LENGTH_64;
    frame.writeUInt32BE(0, 2); // lengths stay below 2^32 (MAX_FRAME_BYTES)
    frame.writeUInt32BE(length, 6);
  }
  frame.set(payload, header);
  return frame;
}
