import { MAX_WORLD_BYTES } from '@shardline/core';
import { type Static, type TSchema, Type } from 'typebox';
import { LOBBY_LIMITS } from '../../services/lobbies/lobby.js';
import { Id, WorldKindName } from '../../services/lobbies/lobby-schemas.js';
import { ConnectTicketSchema } from './ticket-schema.js';

// What the coordinator asks a shard about its worlds over the engine: `{ op, args }` as JSON,
// answered with the op's reply as JSON. Both sides check what they read against these shapes.

const strict = { additionalProperties: false } as const;
const WorldId = Type.String({ minLength: 1, maxLength: MAX_WORLD_BYTES });

export const WORLDS_OPS = {
  start: {
    args: Type.Object(
      {
        kind: WorldKindName,
        lobbyId: Id,
        memberIds: Type.Array(Id, { minItems: 1, maxItems: LOBBY_LIMITS.maxPlayers }),
        keepUntilMs: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
      },
      strict,
    ),
    reply: Type.Object({ worldId: WorldId }, strict),
  },
  ticket: {
    args: Type.Object(
      {
        worldId: WorldId,
        player: Type.Object(
          { userId: Id, username: Type.String({ minLength: 1, maxLength: 64 }), lobbyId: Type.Optional(Id) },
          strict,
        ),
      },
      strict,
    ),
    reply: ConnectTicketSchema,
  },
  end: { args: Type.Object({ worldId: WorldId }, strict), reply: Type.Object({}, strict) },
} satisfies Record<string, { args: TSchema; reply: TSchema }>;

export type WorldsOp = keyof typeof WORLDS_OPS;
export type WorldsArgs<O extends WorldsOp> = Static<(typeof WORLDS_OPS)[O]['args']>;
export type WorldsReply<O extends WorldsOp> = Static<(typeof WORLDS_OPS)[O]['reply']>;

/** A shard worlds request's envelope (its args are checked by op). */
export const WorldsEnvelope = Type.Object(
  {
    op: Type.Union([Type.Literal('start'), Type.Literal('ticket'), Type.Literal('end')]),
    args: Type.Unknown(),
  },
  strict,
);
