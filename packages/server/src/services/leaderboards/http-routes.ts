import { Type } from 'typebox';
import { callerOf, type ServiceApi } from '../http/service-api.js';
import { LEADERBOARD_LIMITS } from './leaderboard-rules.js';
import type { LeaderboardsService } from './leaderboards-service.js';

/** A whole number the service can store: within ±(2^53−1). */
const Whole = Type.Integer({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER });
const PageSize = Type.Integer({ minimum: 1, maximum: LEADERBOARD_LIMITS.pageSize });

/**
 * Requests: exactly these fields, bounded (the service checks the finer rules: metadata's size; a
 * well-formed id the game does not define is 404 LEADERBOARD_NOT_FOUND).
 */
const Board = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);
const Score = Type.Object(
  {
    score: Whole,
    subscore: Type.Optional(Whole),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);
const TopPage = Type.Object(
  {
    limit: Type.Optional(PageSize),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: LEADERBOARD_LIMITS.maxOffset })),
  },
  { additionalProperties: false },
);
const Window = Type.Object({ limit: Type.Optional(PageSize) }, { additionalProperties: false });

const tags = ['leaderboards'];
const security = [{ bearer: [] }];

/**
 * The leaderboards API under `/v1/leaderboards`: the boards the game defines (`GET /`), a board's
 * top page (`GET /:id/top`, public), and for the signed-in user: submit a score (`POST /:id/scores`,
 * 403 SERVICE_WRITE_FORBIDDEN on an authoritative board), the window around them (`/around-me`),
 * them and their friends (`/friends`) and their own entry (`/me`, `{ entry: null }` if none).
 * Entries are `{ rank, userId, username, score, subscore, metadata, updatedAtMs }`.
 * `friendIdsOf` gives a user's friends' ids (at most 999; default: none, so only the caller).
 */
export async function leaderboardRoutes(
  { area, signedIn }: ServiceApi,
  leaderboards: LeaderboardsService,
  options: { friendIdsOf?: (userId: string) => Promise<readonly string[]> } = {},
): Promise<void> {
  const friendIdsOf = options.friendIdsOf ?? (async () => []);
  await area('/leaderboards', (api) => {
    api.get('/', { schema: { tags } }, async () => ({ leaderboards: leaderboards.definitions() }));
    api.post(
      '/:id/scores',
      { schema: { tags, security, params: Board, body: Score }, onRequest: signedIn },
      async (request) => {
        const { user } = callerOf(request);
        const { score, subscore, metadata } = request.body;
        const entry = await leaderboards.submit(
          request.params.id,
          { id: user.id, username: user.username },
          score,
          { subscore, metadata },
          { fromClient: true },
        );
        return { entry };
      },
    );
    api.get('/:id/top', { schema: { tags, params: Board, querystring: TopPage } }, async (request) => ({
      entries: await leaderboards.top(request.params.id, request.query),
    }));
    api.get(
      '/:id/around-me',
      { schema: { tags, security, params: Board, querystring: Window }, onRequest: signedIn },
      async (request) => ({
        entries: await leaderboards.aroundUser(
          request.params.id,
          callerOf(request).user.id,
          request.query.limit,
        ),
      }),
    );
    api.get(
      '/:id/friends',
      { schema: { tags, security, params: Board }, onRequest: signedIn },
      async (request) => {
        const { id } = callerOf(request).user;
        return { entries: await leaderboards.forUsers(request.params.id, [id, ...(await friendIdsOf(id))]) };
      },
    );
    api.get(
      '/:id/me',
      { schema: { tags, security, params: Board }, onRequest: signedIn },
      async (request) => ({
        entry: (await leaderboards.entryOf(request.params.id, callerOf(request).user.id)) ?? null,
      }),
    );
  });
}
