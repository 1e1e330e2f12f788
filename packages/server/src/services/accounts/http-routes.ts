import type { ConnectTicket, SignedIn } from '@shardline/core';
import { Type } from 'typebox';
import type { IssueConnectTicket } from '../connect-tickets.js';
import { callerOf, type ServiceApi } from '../http/service-api.js';
import type { AccountsService } from './accounts-service.js';
import { MAX_PASSWORD_LENGTH } from './passwords.js';

/**
 * Longest string each body field may hold, in characters: generous outer bounds that keep hostile
 * bodies small, so a value just past a finer rule (a 129-character password) still reaches the
 * service and gets that rule's own code.
 */
export const ACCOUNT_FIELD_LIMITS = {
  username: 64,
  password: 4 * MAX_PASSWORD_LENGTH,
  deviceId: 256,
  refreshToken: 512,
} as const;

/** Request bodies: exactly these fields, bounded (the service checks the finer rules). */
const Credentials = Type.Object(
  {
    username: Type.String({ maxLength: ACCOUNT_FIELD_LIMITS.username }),
    password: Type.String({ maxLength: ACCOUNT_FIELD_LIMITS.password }),
  },
  { additionalProperties: false },
);
const Device = Type.Object(
  { deviceId: Type.String({ maxLength: ACCOUNT_FIELD_LIMITS.deviceId }) },
  { additionalProperties: false },
);
const Refresh = Type.Object(
  { refreshToken: Type.String({ maxLength: ACCOUNT_FIELD_LIMITS.refreshToken }) },
  { additionalProperties: false },
);

const tags = ['accounts'];
const security = [{ bearer: [] }];

/**
 * The accounts API under `/v1/accounts`: register, login, device (guest) login, refresh, logout,
 * me, and a fresh connect token. Signing in (any of the first four) also hands out a connect token
 * for the game (`connect`), when the process runs one.
 */
export async function accountRoutes(
  { area, signedIn }: ServiceApi,
  accounts: AccountsService,
  issueTicket?: IssueConnectTicket,
): Promise<void> {
  const withTicket = (session: SignedIn): SignedIn & { connect?: ConnectTicket } =>
    issueTicket
      ? {
          ...session,
          connect: issueTicket({ userId: session.user.id, username: session.user.username }),
        }
      : session;
  await area('/accounts', (api) => {
    api.post('/register', { schema: { tags, body: Credentials } }, async (request, reply) => {
      reply.code(201);
      return withTicket(await accounts.register(request.body.username, request.body.password));
    });
    api.post('/login', { schema: { tags, body: Credentials } }, async (request) =>
      withTicket(await accounts.login(request.body.username, request.body.password)),
    );
    api.post('/device', { schema: { tags, body: Device } }, async (request) =>
      withTicket(await accounts.deviceLogin(request.body.deviceId)),
    );
    api.post('/refresh', { schema: { tags, body: Refresh } }, async (request) =>
      withTicket(await accounts.refresh(request.body.refreshToken)),
    );
    api.post('/logout', { schema: { tags, security }, onRequest: signedIn }, async (request, reply) => {
      await accounts.logout(callerOf(request).sessionId);
      return reply.code(204).send();
    });
    api.get('/me', { schema: { tags, security }, onRequest: signedIn }, async (request) => {
      const { user } = callerOf(request);
      return { id: user.id, username: user.username, guest: user.passwordHash === null };
    });
    if (issueTicket) {
      api.post('/connect-token', { schema: { tags, security }, onRequest: signedIn }, async (request) => {
        const { user } = callerOf(request);
        return issueTicket({ userId: user.id, username: user.username });
      });
    }
  });
}
