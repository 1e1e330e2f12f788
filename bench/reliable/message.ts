/** Benchmark messages: 64 bytes holding the phase, an index and the send time (epoch ms, µs precision). */
export const MESSAGE_BYTES = 64;
export const STEADY = 1;
export const BURST = 2;

/** Wall-clock ms with sub-ms precision, comparable across processes on one machine. */
export function clockMs(): number {
  return performance.timeOrigin + performance.now();
}

export function makeMessage(phase: number, index: number): Uint8Array {
  const bytes = new Uint8Array(MESSAGE_BYTES);
  const view = new DataView(bytes.buffer);
  view.setUint8(0, phase);
  view.setUint32(1, index, true);
  view.setFloat64(5, clockMs(), true);
  return bytes;
}

export function readMessage(bytes: Uint8Array): { phase: number; index: number; sentAtMs: number } {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { phase: view.getUint8(0), index: view.getUint32(1, true), sentAtMs: view.getFloat64(5, true) };
}
