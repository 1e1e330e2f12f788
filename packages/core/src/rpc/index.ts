export { isRpcChannel, type RpcChannels, rpcRoute } from './channels.js';
export { type RpcCalls, RpcClient, type RpcClientOptions, type ServerCallContext } from './client.js';
export {
  type AnyDeclaration,
  type AnyEventDefinition,
  type AnyRpcDefinition,
  type DeclarationsOf,
  defineRpcs,
  type EventDeclaration,
  EventDefinition,
  type EventOptions,
  event,
  MAX_CATALOG_ENTRIES,
  type RateLimit,
  RpcCatalog,
  type RpcDeclaration,
  RpcDefinition,
  type RpcDelivery,
  type RpcDirection,
  type RpcOptions,
  rpc,
} from './define.js';
export type { EventInfo, EventListener, ReplyOf, RpcHandler } from './handlers.js';
export { MAX_PENDING_CALLS } from './pending-calls.js';
export { MovementCheck, type Point, withinReach } from './reach.js';
export { type RpcCallContext, type RpcClientStats, RpcRouter, type RpcRouterOptions } from './router.js';
export { TokenBucket } from './token-bucket.js';
export {
  decodeRpcMessage,
  type EventFlags,
  encodeCall,
  encodeEvent,
  encodeFailure,
  encodeReply,
  MAX_SENDER_BYTES,
  RPC_FAILURES,
  type RpcFailure,
  type RpcMessage,
} from './wire.js';
