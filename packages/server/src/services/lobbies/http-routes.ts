import { Type } from 'typebox';
import { callerOf, type ServiceApi } from '../http/service-api.js';
import { LOBBY_LIMITS } from './lobby.js';
import { MAX_FIND_RESULTS } from './lobby-filter.js';
import { JOIN_CODE_LENGTH } from './lobby-record.js';
import type { LobbyService } from './lobby-service.js';
import { type Matchmaker, QUEUE_LIMITS } from './matchmaker.js';

/** A user or lobby id in a request: ids are UUIDs (36 characters); this bounds hostile ones. */
const Id = Type.String({ minLength: 1, maxLength: 64 });
const Access = Type.Union([Type.Literal('public'), Type.Literal('private'), Type.Literal('friends')]);
const Attributes = Type.Record(
  Type.String({ maxLength: LOBBY_LIMITS.attributeKeyLength }),
  Type.Union([Type.Number(), Type.String({ maxLength: LOBBY_LIMITS.attributeStringLength })]),
  { maxProperties: LOBBY_LIMITS.attributes },
);
/** A world kind's name (see defineWorld). */
const WorldKindName = Type.String({ minLength: 1, maxLength: 32 });
const MaxPlayers = Type.Integer({ minimum: LOBBY_LIMITS.minPlayers, maximum: LOBBY_LIMITS.maxPlayers });
const Settings = Type.Object(
  {
    maxPlayers: Type.Optional(MaxPlayers),
    access: Type.Optional(Access),
    attributes: Type.Optional(Attributes),
    world: Type.Optional(WorldKindName),
  },
  { additionalProperties: false },
);
const Changes = Type.Object(
  {
    maxPlayers: Type.Optional(MaxPlayers),
    access: Type.Optional(Access),
    attributes: Type.Optional(Attributes),
    world: Type.Optional(WorldKindName),
    ownerId: Type.Optional(Id),
  },
  { additionalProperties: false },
);
const Filter = Type.Object(
  {
    openSlots: Type.Optional(Type.Integer({ minimum: 0, maximum: LOBBY_LIMITS.maxPlayers })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_FIND_RESULTS })),
    equals: Type.Optional(Attributes),
    ranges: Type.Optional(
      Type.Record(
        Type.String({ maxLength: LOBBY_LIMITS.attributeKeyLength }),
        Type.Object(
          { min: Type.Optional(Type.Number()), max: Type.Optional(Type.Number()) },
          { additionalProperties: false },
        ),
        { maxProperties: LOBBY_LIMITS.attributes },
      ),
    ),
    near: Type.Optional(
      Type.Object(
        { key: Type.String({ maxLength: LOBBY_LIMITS.attributeKeyLength }), value: Type.Number() },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
const Join = Type.Object(
  { joinCode: Type.Optional(Type.String({ maxLength: JOIN_CODE_LENGTH })) },
  { additionalProperties: false },
);
const Kick = Type.Object({ userId: Id }, { additionalProperties: false });
const Queue = Type.Object(
  {
    skill: Type.Number({ minimum: 0, maximum: QUEUE_LIMITS.maxSkill }),
    region: Type.String({ minLength: 1, maxLength: QUEUE_LIMITS.nameLength }),
    mode: Type.Optional(Type.String({ minLength: 1, maxLength: QUEUE_LIMITS.nameLength })),
  },
  { additionalProperties: false },
);
const LobbyParams = Type.Object({ id: Id });
const security = [{ bearer: [] }];

/**
 * Lobbies under `/v1/lobbies` and the queue under `/v1/matchmaking`, all for signed-in users.
 * Members hear every change over their push stream (`/v1/stream`).
 */
export async function lobbyRoutes(
  { area, signedIn }: ServiceApi,
  lobbies: LobbyService,
  matchmaker: Matchmaker,
): Promise<void> {
  const me = (request: Parameters<typeof callerOf>[0]) => {
    const { user } = callerOf(request);
    return { id: user.id, username: user.username };
  };
  await area('/lobbies', (api) => {
    const tags = ['lobbies'];
    const schema = { tags, security };
    api.post('/', { schema: { ...schema, body: Settings }, onRequest: signedIn }, async (request, reply) => {
      reply.code(201);
      return lobbies.create(me(request), request.body);
    });
    api.post('/search', { schema: { ...schema, body: Filter }, onRequest: signedIn }, async (request) => ({
      lobbies: await lobbies.find(me(request).id, request.body),
    }));
    api.get('/:id', { schema: { ...schema, params: LobbyParams }, onRequest: signedIn }, async (request) =>
      lobbies.get(me(request).id, request.params.id),
    );
    api.post(
      '/:id/join',
      { schema: { ...schema, params: LobbyParams, body: Join }, onRequest: signedIn },
      async (request) => lobbies.join(me(request), request.params.id, request.body.joinCode),
    );
    api.post(
      '/:id/leave',
      { schema: { ...schema, params: LobbyParams }, onRequest: signedIn },
      async (request, reply) => {
        lobbies.leave(me(request).id, request.params.id);
        return reply.code(204).send();
      },
    );
    api.post(
      '/:id/kick',
      { schema: { ...schema, params: LobbyParams, body: Kick }, onRequest: signedIn },
      async (request, reply) => {
        lobbies.kick(me(request).id, request.params.id, request.body.userId);
        return reply.code(204).send();
      },
    );
    api.patch(
      '/:id',
      { schema: { ...schema, params: LobbyParams, body: Changes }, onRequest: signedIn },
      async (request) => lobbies.update(me(request).id, request.params.id, request.body),
    );
    api.post(
      '/:id/start',
      { schema: { ...schema, params: LobbyParams }, onRequest: signedIn },
      async (request) => lobbies.start(me(request).id, request.params.id),
    );
    api.post(
      '/:id/ticket',
      { schema: { ...schema, params: LobbyParams }, onRequest: signedIn },
      async (request) => lobbies.ticket(me(request).id, request.params.id),
    );
  });
  await area('/matchmaking', (api) => {
    const schema = { tags: ['matchmaking'], security };
    api.post(
      '/ticket',
      { schema: { ...schema, body: Queue }, onRequest: signedIn },
      async (request, reply) => {
        reply.code(201);
        return matchmaker.enqueue(me(request), request.body);
      },
    );
    api.get('/ticket', { schema, onRequest: signedIn }, async (request) => {
      const ticket = matchmaker.ticketOf(me(request).id);
      return { queued: ticket !== undefined, ...(ticket ? { ticket } : {}) };
    });
    api.delete('/ticket', { schema, onRequest: signedIn }, async (request, reply) => {
      matchmaker.cancel(me(request).id);
      return reply.code(204).send();
    });
  });
}
