export { BitReader } from './bit-reader.js';
export { BitCounter, BitSink, type BitString } from './bit-sink.js';
export { BitWriter, type BitWriterOptions } from './bit-writer.js';
export { ByteReader, ByteWriter, concatBytes, varuintSize } from './bytes.js';
export {
  bitLength,
  bitsForCount,
  wrapAdd,
  wrappedDifference,
  zigzagDecode,
  zigzagEncode,
} from './integers.js';
export * from './limits.js';
export {
  AngleQuantizer,
  type QuantizeOptions,
  Quantizer,
  type Quaternion,
  QuaternionQuantizer,
  type ScalarQuantizer,
  type Vec2,
  type Vec3,
} from './quantize.js';
export { decodeUtf8, encodeUtf8 } from './utf8.js';
