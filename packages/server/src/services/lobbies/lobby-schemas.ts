import { Type } from 'typebox';
import { LOBBY_LIMITS } from './lobby.js';
import { MAX_FIND_RESULTS } from './lobby-filter.js';
import { JOIN_CODE_LENGTH } from './lobby-record.js';
import { QUEUE_LIMITS } from './matchmaker.js';

// What lobby and queue requests may hold: exactly these fields, bounded (the services check the
// finer rules). The HTTP API checks its bodies with them, and the lobbies' coordinator checks the
// same requests coming over the cluster engine (decision 0029).

/** A user or lobby id in a request: ids are UUIDs (36 characters); this bounds hostile ones. */
export const Id = Type.String({ minLength: 1, maxLength: 64 });
export const Access = Type.Union([Type.Literal('public'), Type.Literal('private'), Type.Literal('friends')]);
export const Attributes = Type.Record(
  Type.String({ maxLength: LOBBY_LIMITS.attributeKeyLength }),
  Type.Union([Type.Number(), Type.String({ maxLength: LOBBY_LIMITS.attributeStringLength })]),
  { maxProperties: LOBBY_LIMITS.attributes },
);
/** A world kind's name (see defineWorld). */
export const WorldKindName = Type.String({ minLength: 1, maxLength: 32 });
export const MaxPlayers = Type.Integer({
  minimum: LOBBY_LIMITS.minPlayers,
  maximum: LOBBY_LIMITS.maxPlayers,
});
export const Settings = Type.Object(
  {
    maxPlayers: Type.Optional(MaxPlayers),
    access: Type.Optional(Access),
    attributes: Type.Optional(Attributes),
    world: Type.Optional(WorldKindName),
  },
  { additionalProperties: false },
);
export const Changes = Type.Object(
  {
    maxPlayers: Type.Optional(MaxPlayers),
    access: Type.Optional(Access),
    attributes: Type.Optional(Attributes),
    world: Type.Optional(WorldKindName),
    ownerId: Type.Optional(Id),
  },
  { additionalProperties: false },
);
export const Filter = Type.Object(
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
export const Join = Type.Object(
  { joinCode: Type.Optional(Type.String({ maxLength: JOIN_CODE_LENGTH })) },
  { additionalProperties: false },
);
export const Kick = Type.Object({ userId: Id }, { additionalProperties: false });
export const Queue = Type.Object(
  {
    skill: Type.Number({ minimum: 0, maximum: QUEUE_LIMITS.maxSkill }),
    region: Type.String({ minLength: 1, maxLength: QUEUE_LIMITS.nameLength }),
    mode: Type.Optional(Type.String({ minLength: 1, maxLength: QUEUE_LIMITS.nameLength })),
  },
  { additionalProperties: false },
);

/** A user as the lobbies know them (see callerOf): the account's id and name. */
export const LobbyUserSchema = Type.Object(
  { id: Id, username: Type.String({ minLength: 1, maxLength: 64 }) },
  { additionalProperties: false },
);

/** A lobby as the coordinator answers with it (LobbyView). */
export const LobbyViewSchema = Type.Object({
  id: Id,
  ownerId: Id,
  access: Access,
  maxPlayers: MaxPlayers,
  attributes: Attributes,
  members: Type.Array(
    Type.Object({
      userId: Id,
      username: Type.String({ maxLength: 64 }),
      joinedAtMs: Type.Number(),
    }),
    { maxItems: LOBBY_LIMITS.maxPlayers },
  ),
  openSlots: Type.Integer({ minimum: 0, maximum: LOBBY_LIMITS.maxPlayers }),
  state: Type.Union([Type.Literal('open'), Type.Literal('started')]),
  createdAtMs: Type.Number(),
  joinCode: Type.Optional(Type.String({ maxLength: JOIN_CODE_LENGTH })),
  world: Type.Optional(WorldKindName),
  worldId: Type.Optional(Id),
});

/** A waiting ticket as the coordinator answers with it (QueueTicket). */
export const QueueTicketSchema = Type.Object({
  userId: Id,
  skill: Type.Number({ minimum: 0, maximum: QUEUE_LIMITS.maxSkill }),
  region: Type.String({ maxLength: QUEUE_LIMITS.nameLength }),
  mode: Type.String({ maxLength: QUEUE_LIMITS.nameLength }),
  queuedAtMs: Type.Number(),
  skillWindow: Type.Number(),
});
