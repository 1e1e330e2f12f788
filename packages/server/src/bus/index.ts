export {
  type BusHandler,
  type ClusterBus,
  MAX_BUS_PAYLOAD_BYTES,
  MAX_CHANNEL_NAME_LENGTH,
  type Unsubscribe,
} from './cluster-bus.js';
export { InProcessBroker, InProcessBus } from './in-process-bus.js';
