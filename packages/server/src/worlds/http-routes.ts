import { createHash, timingSafeEqual } from 'node:crypto';
import {
  type AnyWorldKind,
  type ConnectTicket,
  describeDifferences,
  FINGERPRINT_PARTS,
  ShardlineError,
  type WorldFingerprints,
} from '@shardline/core';
import { Type } from 'typebox';
import { playerTicketData } from '../services/connect-tickets.js';
import { callerOf, type ServiceApi } from '../services/http/service-api.js';
import { connectTicketOf } from './connect-ticket.js';
import type { TicketHolder, WorldRuntime, WorldTicket } from './world-runtime.js';

/** Longest join password, in characters. */
export const MAX_JOIN_PASSWORD_LENGTH = 128;
const Hex16 = Type.String({ pattern: '^[0-9a-f]{16}$' });
const Fingerprints = Type.Object(
  Object.fromEntries(FINGERPRINT_PARTS.map(({ key }) => [key, Hex16])) as Record<
    keyof WorldFingerprints,
    typeof Hex16
  >,
  { additionalProperties: false },
);
const KindName = Type.String({ minLength: 1, maxLength: 32 });
const Password = Type.String({ maxLength: MAX_JOIN_PASSWORD_LENGTH });
/** Creation options: checked for size by the runtime (WORLD_OPTIONS_INVALID). */
const Options = Type.Record(Type.String({ maxLength: 64 }), Type.Unknown(), { maxProperties: 64 });
const SeatRequest = Type.Object(
  {
    kind: KindName,
    fingerprints: Fingerprints,
    options: Type.Optional(Options),
    private: Type.Optional(Type.Boolean()),
    password: Type.Optional(Password),
  },
  { additionalProperties: false },
);
const ByIdRequest = Type.Object(
  { kind: KindName, fingerprints: Fingerprints, password: Type.Optional(Password) },
  { additionalProperties: false },
);
const WorldParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 64 }) });
/** The most instances one listing answers (the oldest first); `limit` asks for fewer. */
export const MAX_LISTED_WORLDS = 100;
const Listing = Type.Object(
  {
    kind: Type.Optional(KindName),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_LISTED_WORLDS })),
  },
  { additionalProperties: false },
);
const security = [{ bearer: [] }];

/**
 * Worlds under `/v1/worlds`: the public listing (anyone), and for signed-in users a seat by
 * join-or-create, in a new instance, or in one by id. Each answer is a connect token naming the
 * instance, with a seat reserved for it (see WorldRuntime.ticket). A client built from another
 * declaration of the kind is refused with PROTOCOL_MISMATCH naming the parts that differ.
 */
export async function worldRoutes(
  { area, signedIn }: ServiceApi,
  runtime: WorldRuntime,
  serverAddresses: () => string[],
  /** The join password every seat request must give (none: any signed-in player may ask). */
  password?: string,
  cluster?: ClusterWorlds,
): Promise<void> {
  const holderOf = (request: Parameters<typeof callerOf>[0]): TicketHolder => {
    const { user } = callerOf(request);
    return { clientId: user.id, userData: playerTicketData({ userId: user.id, username: user.username }) };
  };
  const answer = (ticket: WorldTicket): ConnectTicket => connectTicketOf(ticket, serverAddresses());
  await area('/worlds', (api) => {
    const tags = ['worlds'];
    api.get('/', { schema: { tags, querystring: Listing } }, async (request) => ({
      worlds: runtime.list(request.query.kind, request.query.limit ?? MAX_LISTED_WORLDS),
    }));
    api.post(
      '/join',
      { schema: { tags, security, body: SeatRequest }, onRequest: signedIn },
      async (request) => {
        const { kind, fingerprints, options } = request.body;
        checkJoinPassword(password, request.body.password);
        checkFingerprints(runtime.kind(kind), fingerprints);
        const holder = holderOf(request);
        // A player the cluster holds in a world of this kind plays on there.
        const home = cluster && (await cluster.homeOf(holder.clientId));
        if (home && (runtime.find(home)?.kind.name ?? cluster!.kindOf(home)) === kind) {
          const local = runtime.find(home);
          return local
            ? answer(runtime.ticket(local, holder))
            : cluster!.ticket(home, kind, callerOf(request).user);
        }
        return answer(runtime.joinOrCreate(kind, holder, options));
      },
    );
    api.post(
      '/create',
      { schema: { tags, security, body: SeatRequest }, onRequest: signedIn },
      async (request, reply) => {
        const { kind, fingerprints, options } = request.body;
        checkJoinPassword(password, request.body.password);
        checkFingerprints(runtime.kind(kind), fingerprints);
        // A player's world ends when empty, even of a persistent kind (only the server's live on).
        const instance = runtime.create(kind, {
          ...(options ? { options } : {}),
          visibility: request.body.private ? 'private' : 'public',
          persistent: false,
        });
        reply.code(201);
        return answer(runtime.ticket(instance, holderOf(request)));
      },
    );
    api.post(
      '/:id/join',
      { schema: { tags, security, params: WorldParams, body: ByIdRequest }, onRequest: signedIn },
      async (request) => {
        checkJoinPassword(password, request.body.password);
        const holder = holderOf(request);
        let { id } = request.params;
        if (cluster && (runtime.find(id)?.keepsPlayers ?? cluster.keepsPlayers(id))) {
          // A world that keeps its players' records seats only those the cluster holds there: a
          // player held in another world of the same kind is seated there instead (DST's way).
          const home = await cluster.homeOf(holder.clientId);
          if (home !== undefined && home !== id) {
            const homeKind = runtime.find(home)?.kind.name ?? cluster.kindOf(home);
            if (homeKind !== request.body.kind) {
              throw new ShardlineError('PLAYER_ELSEWHERE', `the cluster holds this player in ${home}`, {
                world: home,
              });
            }
            id = home;
          }
        }
        const instance = cluster ? runtime.find(id) : runtime.get(id);
        if (!instance) {
          // Hosted by another shard of the cluster: it reserves the seat and signs the token.
          checkFingerprints(runtime.kind(request.body.kind), request.body.fingerprints);
          return cluster!.ticket(id, request.body.kind, callerOf(request).user);
        }
        if (instance.kind.name !== request.body.kind) {
          throw new ShardlineError(
            'PROTOCOL_MISMATCH',
            `world ${instance.id} is a ${instance.kind.name}, not a ${request.body.kind}`,
          );
        }
        checkFingerprints(instance.kind, request.body.fingerprints);
        return answer(runtime.ticket(instance, holder));
      },
    );
  });
}

/**
 * The rest of the cluster, as a shard's world routes see it: a seat in a world another shard hosts
 * (asked of that shard), and where the cluster's player directory holds a player.
 */
export interface ClusterWorlds {
  /** A seat in world `id` (of `kind`) on the shard hosting it: WORLD_NOT_FOUND if none does. */
  ticket(id: string, kind: string, user: { id: string; username: string }): Promise<ConnectTicket>;
  /** The world the cluster holds the player in, if any (what its next seat must be in). */
  homeOf(userId: string): Promise<string | undefined>;
  /** Whether world `id`, hosted elsewhere, keeps its players' records (it has portals). */
  keepsPlayers(id: string): boolean;
  /** The kind of world `id`, hosted elsewhere; undefined if no live shard hosts it. */
  kindOf(id: string): string | undefined;
}

/**
 * WORLD_PASSWORD_INVALID unless `given` is the server's join password (when it has one), compared
 * in time that does not depend on where they differ.
 */
export function checkJoinPassword(password: string | undefined, given: string | undefined): void {
  if (password === undefined) return;
  const expected = createHash('sha256').update(password).digest();
  const actual = createHash('sha256')
    .update(given ?? '')
    .digest();
  if (given === undefined || !timingSafeEqual(expected, actual)) {
    throw new ShardlineError(
      'WORLD_PASSWORD_INVALID',
      given === undefined ? 'this server asks for a join password' : 'that is not the join password',
    );
  }
}

/** PROTOCOL_MISMATCH naming what differs between the client's declaration and the server's. */
function checkFingerprints(kind: AnyWorldKind, theirs: WorldFingerprints): void {
  const differences = describeDifferences(kind.fingerprints, theirs);
  if (differences) {
    throw new ShardlineError(
      'PROTOCOL_MISMATCH',
      `the client's ${kind.name} differs from the server's in: ${differences} (build both from the same declaration)`,
      { kind: kind.name, differs: differences },
    );
  }
}
