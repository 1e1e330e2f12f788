import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { type ErrorCode, isShardlineError } from '@shardline/core';
import type { FastifyError, FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { AccountsService } from './accounts-service.js';
import { MAX_PASSWORD_LENGTH } from './passwords.js';

/** HTTP status for each code the accounts API answers with (anything else is a 500). */
const STATUS: Partial<Record<ErrorCode, number>> = {
  REQUEST_INVALID: 400,
  ACCOUNT_NAME_INVALID: 400,
  ACCOUNT_PASSWORD_INVALID: 400,
  ACCOUNT_DEVICE_INVALID: 400,
  ACCOUNT_NAME_TAKEN: 409,
  AUTH_LOGIN_FAILED: 401,
  AUTH_SESSION_ENDED: 401,
  AUTH_TOKEN_INVALID: 401,
  AUTH_TOKEN_EXPIRED: 401,
};

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

/**
 * The accounts API under `/v1/accounts`: register, login, device (guest) login, refresh, logout,
 * me. Errors are `{ code, message }` with a stable code (docs/errors.md); bodies with unknown
 * fields, wrong types or oversized values get 400 REQUEST_INVALID and change nothing.
 */
export async function accountRoutes(http: FastifyInstance, accounts: AccountsService): Promise<void> {
  await http.register(
    async (scope) => {
      const api = scope.withTypeProvider<TypeBoxTypeProvider>();
      api.setValidatorCompiler(TypeBoxValidatorCompiler);
      api.setErrorHandler((error: FastifyError, _request, reply) => {
        if (error.validation) {
          return reply.code(400).send({ code: 'REQUEST_INVALID', message: error.message });
        }
        if (isShardlineError(error) && STATUS[error.code]) {
          return reply.code(STATUS[error.code]!).send({ code: error.code, message: error.message });
        }
        // Not JSON, too large, wrong content type: fastify's own refusals, before any handler.
        if (error.statusCode === 400 || error.statusCode === 413 || error.statusCode === 415) {
          return reply.code(error.statusCode).send({ code: 'REQUEST_INVALID', message: error.message });
        }
        reply.log.error(error);
        return reply.code(500).send({ code: 'INTERNAL', message: 'internal error' });
      });
      /** The signed-in caller, from `Authorization: Bearer <access token>`. */
      const caller = (request: FastifyRequest) => {
        const header = request.headers.authorization ?? '';
        return accounts.authenticate(header.startsWith('Bearer ') ? header.slice(7) : '');
      };

      api.post('/register', { schema: { body: Credentials } }, async (request, reply) => {
        reply.code(201);
        return accounts.register(request.body.username, request.body.password);
      });
      api.post('/login', { schema: { body: Credentials } }, async (request) =>
        accounts.login(request.body.username, request.body.password),
      );
      api.post('/device', { schema: { body: Device } }, async (request) =>
        accounts.deviceLogin(request.body.deviceId),
      );
      api.post('/refresh', { schema: { body: Refresh } }, async (request) =>
        accounts.refresh(request.body.refreshToken),
      );
      api.post('/logout', async (request, reply) => {
        const { sessionId } = await caller(request);
        await accounts.logout(sessionId);
        return reply.code(204).send();
      });
      api.get('/me', async (request) => {
        const { user } = await caller(request);
        return { id: user.id, username: user.username, guest: user.passwordHash === null };
      });
    },
    { prefix: '/v1/accounts' },
  );
}
