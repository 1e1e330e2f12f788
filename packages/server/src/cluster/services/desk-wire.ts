import { ShardlineError } from '@shardline/core';
import { type Static, type TSchema, Type } from 'typebox';
import type { LobbyDesk } from '../../services/lobbies/lobby-desk.js';
import { MAX_FIND_RESULTS } from '../../services/lobbies/lobby-filter.js';
import { JOIN_CODE_LENGTH } from '../../services/lobbies/lobby-record.js';
import {
  Changes,
  Filter,
  Id,
  LobbyUserSchema,
  LobbyViewSchema,
  Queue,
  QueueTicketSchema,
  Settings,
} from '../../services/lobbies/lobby-schemas.js';
import { MAX_PRESENCE_BATCH } from '../../services/push/presence-reporter.js';
import { PROCESS_NAME } from '../../services/push/presence-tally.js';
import { checkJson, decodeJson, encodeJson } from './json-wire.js';
import { ConnectTicketSchema } from './ticket-schema.js';

// A desk request over the engine is `{ op, args }` as JSON; its reply is `{ value }` (`{}` for an
// operation that returns nothing). Both sides check what they read against the shapes below.

const strict = { additionalProperties: false } as const;
const Process = Type.String({ pattern: PROCESS_NAME.source });
const UserIds = Type.Array(Id, { maxItems: MAX_PRESENCE_BATCH });
const Nothing = Type.Object({}, strict);
const Member = { userId: Id, lobbyId: Id };

/** Each operation's arguments and reply. */
export const DESK_OPS = {
  create: {
    args: Type.Object({ user: LobbyUserSchema, settings: Settings }, strict),
    reply: LobbyViewSchema,
  },
  find: {
    args: Type.Object({ userId: Id, filter: Filter }, strict),
    reply: Type.Array(LobbyViewSchema, { maxItems: MAX_FIND_RESULTS }),
  },
  get: { args: Type.Object(Member, strict), reply: LobbyViewSchema },
  join: {
    args: Type.Object(
      {
        user: LobbyUserSchema,
        lobbyId: Id,
        joinCode: Type.Optional(Type.String({ maxLength: JOIN_CODE_LENGTH })),
      },
      strict,
    ),
    reply: LobbyViewSchema,
  },
  leave: { args: Type.Object(Member, strict), reply: Nothing },
  kick: { args: Type.Object({ ownerId: Id, lobbyId: Id, userId: Id }, strict), reply: Nothing },
  update: {
    args: Type.Object({ ownerId: Id, lobbyId: Id, changes: Changes }, strict),
    reply: LobbyViewSchema,
  },
  start: { args: Type.Object({ ownerId: Id, lobbyId: Id }, strict), reply: ConnectTicketSchema },
  ticket: { args: Type.Object(Member, strict), reply: ConnectTicketSchema },
  enqueue: { args: Type.Object({ user: LobbyUserSchema, request: Queue }, strict), reply: QueueTicketSchema },
  cancel: { args: Type.Object({ userId: Id }, strict), reply: Nothing },
  queueTicket: {
    args: Type.Object({ userId: Id }, strict),
    reply: Type.Union([QueueTicketSchema, Type.Null()]),
  },
  held: { args: Type.Object({ process: Process, userIds: UserIds }, strict), reply: Nothing },
  released: { args: Type.Object({ process: Process, userIds: UserIds }, strict), reply: Nothing },
  resync: {
    args: Type.Object(
      {
        process: Process,
        round: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
        userIds: UserIds,
        done: Type.Boolean(),
      },
      strict,
    ),
    reply: Nothing,
  },
  beat: { args: Type.Object({ process: Process }, strict), reply: Type.Boolean() },
} satisfies Record<string, { args: TSchema; reply: TSchema }>;

export type DeskOp = keyof typeof DESK_OPS;
export type DeskArgs<O extends DeskOp> = Static<(typeof DESK_OPS)[O]['args']>;
export type DeskReply<O extends DeskOp> = Static<(typeof DESK_OPS)[O]['reply']>;

const Envelope = Type.Object({ op: Type.String({ maxLength: 16 }), args: Type.Unknown() }, strict);
const ReplyEnvelope = Type.Object({ value: Type.Optional(Type.Unknown()) }, strict);

export function encodeDeskRequest<O extends DeskOp>(op: O, args: DeskArgs<O>): Uint8Array {
  return encodeJson({ op, args });
}

/** Runs a request's operation on `desk` and encodes its reply; WIRE_INVALID for a request that is not one. */
export async function answerDeskRequest(desk: LobbyDesk, bytes: Uint8Array): Promise<Uint8Array> {
  const { op, args } = decodeJson(bytes, Envelope, 'a lobby desk request');
  if (!Object.hasOwn(DESK_OPS, op)) throw new ShardlineError('WIRE_INVALID', `no lobby desk operation ${op}`);
  const value = await run(desk, op as DeskOp, args);
  return encodeJson(value === undefined ? {} : { value });
}

/** The value a reply carries, checked against the operation's reply shape. */
export function decodeDeskReply<O extends DeskOp>(op: O, bytes: Uint8Array): DeskReply<O> {
  const reply = decodeJson(bytes, ReplyEnvelope, `the reply to ${op}`);
  const value = Object.hasOwn(reply, 'value') ? reply.value : {};
  return checkJson(value, DESK_OPS[op].reply, `the reply to ${op}`) as DeskReply<O>;
}

async function run(desk: LobbyDesk, op: DeskOp, raw: unknown): Promise<unknown> {
  const args = checkJson(raw, DESK_OPS[op].args, `the arguments of ${op}`);
  switch (op) {
    case 'create': {
      const a = args as DeskArgs<'create'>;
      return desk.create(a.user, a.settings);
    }
    case 'find': {
      const a = args as DeskArgs<'find'>;
      return desk.find(a.userId, a.filter);
    }
    case 'get': {
      const a = args as DeskArgs<'get'>;
      return desk.get(a.userId, a.lobbyId);
    }
    case 'join': {
      const a = args as DeskArgs<'join'>;
      return desk.join(a.user, a.lobbyId, a.joinCode);
    }
    case 'leave': {
      const a = args as DeskArgs<'leave'>;
      return desk.leave(a.userId, a.lobbyId);
    }
    case 'kick': {
      const a = args as DeskArgs<'kick'>;
      return desk.kick(a.ownerId, a.lobbyId, a.userId);
    }
    case 'update': {
      const a = args as DeskArgs<'update'>;
      return desk.update(a.ownerId, a.lobbyId, a.changes);
    }
    case 'start': {
      const a = args as DeskArgs<'start'>;
      return desk.start(a.ownerId, a.lobbyId);
    }
    case 'ticket': {
      const a = args as DeskArgs<'ticket'>;
      return desk.ticket(a.userId, a.lobbyId);
    }
    case 'enqueue': {
      const a = args as DeskArgs<'enqueue'>;
      return desk.enqueue(a.user, a.request);
    }
    case 'cancel':
      return desk.cancel((args as DeskArgs<'cancel'>).userId);
    case 'queueTicket':
      return (await desk.queueTicket((args as DeskArgs<'queueTicket'>).userId)) ?? null;
    case 'held': {
      const a = args as DeskArgs<'held'>;
      return desk.held(a.process, a.userIds);
    }
    case 'released': {
      const a = args as DeskArgs<'released'>;
      return desk.released(a.process, a.userIds);
    }
    case 'resync': {
      const a = args as DeskArgs<'resync'>;
      return desk.resync(a.process, a.round, a.userIds, a.done);
    }
    case 'beat':
      return desk.beat((args as DeskArgs<'beat'>).process);
  }
}
