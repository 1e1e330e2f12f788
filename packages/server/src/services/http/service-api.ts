import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { type TypeBoxTypeProvider, TypeBoxValidatorCompiler } from '@fastify/type-provider-typebox';
import { ShardlineError } from '@shardline/core';
import type {
  FastifyBaseLogger,
  FastifyInstance,
  FastifyRequest,
  onRequestAsyncHookHandler,
  RawReplyDefaultExpression,
  RawRequestDefaultExpression,
  RawServerDefault,
} from 'fastify';
import type { AccountsService } from '../accounts/accounts-service.js';
import type { UserRecord } from '../accounts/accounts-store.js';
import { sendError, sendNotFound } from './error-answers.js';

/**
 * Longest path parameter the router takes, characters (fastify's default is 100). Each route's
 * schema sets its own, smaller bound and answers REQUEST_INVALID past it; past this one the router
 * answers 414 REQUEST_INVALID.
 */
export const MAX_URL_PARAM_LENGTH = 512;

/** Requests a minute the services API takes, per client IP and per signed-in user. */
export interface ServiceRateLimits {
  perIpPerMinute: number;
  perUserPerMinute: number;
}

/**
 * Defaults sized for real players: a user's client rarely needs more than a few calls a second; an
 * address may be a NAT with many players behind it.
 */
export const DEFAULT_SERVICE_RATE_LIMITS: ServiceRateLimits = { perIpPerMinute: 3000, perUserPerMinute: 600 };

/** Who a signed-in request speaks for (from its Bearer access token). */
export interface Caller {
  user: UserRecord;
  sessionId: string;
}

/** The services' fastify scope: every route under `/v1`, bodies checked with typebox schemas. */
export type ServiceScope = FastifyInstance<
  RawServerDefault,
  RawRequestDefaultExpression,
  RawReplyDefaultExpression,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

/** What each service area's routes are given. */
export interface ServiceApi {
  /**
   * Adds one service area's routes under `/v1<prefix>` (e.g. `/leaderboards`): `routes` gets a
   * typed scope whose errors all come out as `{ code, message }`.
   */
  area(prefix: string, routes: (api: ServiceScope) => void | Promise<void>): Promise<void>;
  /**
   * The `onRequest` hook of every route that needs a signed-in user: checks `Authorization: Bearer
   * <access token>` (401 AUTH_*), then the user's rate limit (429 RATE_LIMITED), before the body is
   * read. `callerOf(request)` then gives the user.
   */
  signedIn: onRequestAsyncHookHandler;
}

const callers = new WeakMap<FastifyRequest, Caller>();

/** The signed-in user of a request that passed `signedIn` (a bug to ask otherwise). */
export function callerOf(request: FastifyRequest): Caller {
  const caller = callers.get(request);
  if (!caller) throw new Error('callerOf: the route has no signedIn onRequest hook');
  return caller;
}

/** The bearer token of a request ('' if none), for routes that authenticate some other way. */
export function bearerToken(header: string | undefined): string {
  return header?.startsWith('Bearer ') ? header.slice(7) : '';
}

function rateLimited(retryAfterSeconds: number): ShardlineError {
  return new ShardlineError(
    'RATE_LIMITED',
    `too many requests: retry in ${retryAfterSeconds} s`,
    retryAfterSeconds > 0 ? { retryAfterSeconds } : undefined,
  );
}

/**
 * Sets up the online services' HTTP API on `http`: the OpenAPI document (`/docs` for people,
 * `/docs/json` for tools), a `/v1` scope rate-limited per client IP, one error shape
 * (`{ code, message }`, a stable code from docs/errors.md), and `signedIn` for user routes.
 * `addRoutes` registers each service area's routes inside that scope.
 */
export async function serveServiceApi(
  http: FastifyInstance,
  options: {
    accounts: AccountsService;
    rateLimits?: ServiceRateLimits;
    addRoutes(api: ServiceApi): Promise<void>;
  },
): Promise<void> {
  const limits = options.rateLimits ?? DEFAULT_SERVICE_RATE_LIMITS;
  await http.register(swagger, {
    openapi: {
      info: {
        title: 'Shardline online services',
        version: '1',
        description:
          'Accounts, friends, lobbies and matchmaking, leaderboards, achievements and cloud saves. Errors are `{ code, message }` with a stable code.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
  });
  await http.register(swaggerUi, { routePrefix: '/docs' });
  await http.register(
    async (plain) => {
      const scope: ServiceScope = plain.withTypeProvider<TypeBoxTypeProvider>();
      scope.setValidatorCompiler(TypeBoxValidatorCompiler);
      scope.setErrorHandler(sendError);
      scope.setNotFoundHandler(sendNotFound);
      await scope.register(rateLimit, {
        max: limits.perIpPerMinute,
        timeWindow: 60_000,
        keyGenerator: (request) => `ip:${request.ip}`,
        errorResponseBuilder: (_request, context) => rateLimited(Math.ceil(context.ttl / 1000)),
      });
      const perUser = scope.createRateLimit({
        max: limits.perUserPerMinute,
        timeWindow: 60_000,
        keyGenerator: (request) => `user:${callerOf(request).user.id}`,
      });
      const signedIn: onRequestAsyncHookHandler = async (request, reply) => {
        callers.set(request, await options.accounts.authenticate(bearerToken(request.headers.authorization)));
        const limit = await perUser(request);
        if (!limit.isAllowed && limit.isExceeded) {
          reply.header('retry-after', limit.ttlInSeconds);
          throw rateLimited(limit.ttlInSeconds);
        }
      };
      const area: ServiceApi['area'] = async (prefix, routes) => {
        await scope.register(async (child) => routes(child.withTypeProvider<TypeBoxTypeProvider>()), {
          prefix,
        });
      };
      await options.addRoutes({ area, signedIn });
    },
    { prefix: '/v1' },
  );
}
