/**
 * @shardline/server — the game server (Node). It re-exports the isomorphic core so game code imports
 * one package per side, and adds the Node transports (UDP, TCP, WebSocket).
 */
export * from '@shardline/core';
export * from './bus/index.js';
export * from './cluster/index.js';
export {
  GameServer,
  type GameServerOptions,
  type SessionInfo,
  type SessionObserver,
} from './game-server.js';
export { JsonLinesPacketLog, readPacketLog } from './packet-log.js';
export {
  type BotBrain,
  type BotsOptions,
  type BotsSummary,
  formatBotsSummary,
  runBots,
  type ShardlineBot,
} from './runtime/bots.js';
export {
  type ClusterConfig,
  DEFAULT_SAVE_INTERVAL_MS,
  loadClusterConfig,
  parseClusterConfig,
  type ShardConfig,
} from './runtime/cluster-config.js';
export {
  ConfigError,
  DEFAULT_CONFIG,
  loadConfig,
  parseConfig,
  type ShardlineConfig,
} from './runtime/config.js';
export { MAX_HTTP_BODY_BYTES, MAX_LIVE_VIEWERS } from './runtime/http-service.js';
export type { GameServicesConfig, OnlineServices } from './runtime/online-services.js';
export { SESSION_EVENTS_CHANNEL, type SessionEvent } from './runtime/session-events.js';
export type { ShardProcess, ShardSetup } from './runtime/shard-runtime.js';
export { regenerateShard, type ShardSave } from './runtime/shard-saves.js';
export {
  DATABASE_FILE,
  type PersistentWorld,
  type RunningShardline,
  type ShardlineGame,
  startShardline,
} from './runtime/start.js';
export { type RunningCluster, type StartClusterOptions, startCluster } from './runtime/start-cluster.js';
export { starterGame } from './runtime/starter-game.js';
export * from './services/index.js';
export * from './store/index.js';
export * from './transport/index.js';
export { TurnBudget, type TurnBudgetOptions, type TurnBudgetStats } from './turn-budget.js';
export * from './worlds/index.js';
