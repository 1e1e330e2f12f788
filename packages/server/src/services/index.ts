export * from './accounts/index.js';
export {
  CONNECT_TICKET_TTL_MS,
  type ConnectTicket,
  type IssueConnectTicket,
  type PlayerTicket,
  playerTicketData,
  readPlayerTicket,
} from './connect-tickets.js';
export * from './http/index.js';
export type { ServiceDatabase } from './service-database.js';
