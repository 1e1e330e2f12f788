export * from './accounts/index.js';
export * from './achievements/index.js';
export {
  CONNECT_TICKET_TTL_MS,
  type IssueConnectTicket,
  type PlayerTicket,
  playerTicketData,
  readPlayerTicket,
} from './connect-tickets.js';
export * from './friends/index.js';
export * from './http/index.js';
export * from './leaderboards/index.js';
export * from './lobbies/index.js';
export * from './push/index.js';
export * from './saves/index.js';
export type { ServiceDatabase } from './service-database.js';
