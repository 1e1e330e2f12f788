import { Type } from 'typebox';
import { callerOf, type ServiceApi } from '../http/service-api.js';
import type { LobbyDesk } from './lobby-desk.js';
import { Changes, Filter, Id, Join, Kick, Queue, Settings } from './lobby-schemas.js';

const LobbyParams = Type.Object({ id: Id });
const security = [{ bearer: [] }];

/**
 * Lobbies under `/v1/lobbies` and the queue under `/v1/matchmaking`, all for signed-in users, on
 * `lobbies` (this process's, or the cluster's coordinator). Members hear every change over their
 * push stream (`/v1/stream`).
 */
export async function lobbyRoutes({ area, signedIn }: ServiceApi, lobbies: LobbyDesk): Promise<void> {
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
        await lobbies.leave(me(request).id, request.params.id);
        return reply.code(204).send();
      },
    );
    api.post(
      '/:id/kick',
      { schema: { ...schema, params: LobbyParams, body: Kick }, onRequest: signedIn },
      async (request, reply) => {
        await lobbies.kick(me(request).id, request.params.id, request.body.userId);
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
        return lobbies.enqueue(me(request), request.body);
      },
    );
    api.get('/ticket', { schema, onRequest: signedIn }, async (request) => {
      const ticket = await lobbies.queueTicket(me(request).id);
      return { queued: ticket !== undefined, ...(ticket ? { ticket } : {}) };
    });
    api.delete('/ticket', { schema, onRequest: signedIn }, async (request, reply) => {
      await lobbies.cancel(me(request).id);
      return reply.code(204).send();
    });
  });
}
