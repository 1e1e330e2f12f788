export {
  decodeInputAck,
  decodeInputs,
  encodeInputAck,
  encodeInputs,
  INPUT_ACK_BYTES,
  InputQueue,
  InputStream,
  MAX_INPUTS_PER_MESSAGE,
} from './input-stream.js';
export {
  type Blend,
  InterpolationBuffer,
  type InterpolationBufferOptions,
  InterpolationDelay,
  type Sample,
  type SampleMode,
} from './interpolation.js';
export { type Hit, type HitSphere, LagCompensator, type Ray, rayHitsSphere } from './lag-compensation.js';
export { Predictor, type PredictorOptions, type Step } from './predictor.js';
