import { Type } from 'typebox';
import { callerOf, type ServiceApi } from '../http/service-api.js';
import type { FriendsService } from './friends-service.js';

/**
 * Outer bounds of the friends API's strings, in characters: a name just past the accounts rules
 * still reaches the service (and gets FRIEND_USER_NOT_FOUND); user ids are the accounts' UUIDs.
 */
export const FRIEND_FIELD_LIMITS = { username: 64, userId: 64 } as const;

const RequestBody = Type.Object(
  { username: Type.String({ maxLength: FRIEND_FIELD_LIMITS.username }) },
  { additionalProperties: false },
);
const UserParams = Type.Object(
  { userId: Type.String({ minLength: 1, maxLength: FRIEND_FIELD_LIMITS.userId }) },
  { additionalProperties: false },
);

const tags = ['friends'];
const security = [{ bearer: [] }];

/**
 * The friends API under `/v1/friends`, every route for the signed-in user: their list, sending a
 * request by name, accepting one, dropping one (declining theirs or cancelling mine), and unfriending.
 */
export async function friendRoutes({ area, signedIn }: ServiceApi, friends: FriendsService): Promise<void> {
  await area('/friends', (api) => {
    api.get('/', { schema: { tags, security }, onRequest: signedIn }, async (request) =>
      friends.list(callerOf(request).user.id),
    );
    api.post(
      '/requests',
      { schema: { tags, security, body: RequestBody }, onRequest: signedIn },
      async (request) => friends.request(callerOf(request).user.id, request.body.username),
    );
    api.post(
      '/requests/:userId/accept',
      { schema: { tags, security, params: UserParams }, onRequest: signedIn },
      async (request, reply) => {
        await friends.accept(callerOf(request).user.id, request.params.userId);
        return reply.code(204).send();
      },
    );
    api.delete(
      '/requests/:userId',
      { schema: { tags, security, params: UserParams }, onRequest: signedIn },
      async (request, reply) => {
        await friends.dropRequest(callerOf(request).user.id, request.params.userId);
        return reply.code(204).send();
      },
    );
    api.delete(
      '/:userId',
      { schema: { tags, security, params: UserParams }, onRequest: signedIn },
      async (request, reply) => {
        await friends.remove(callerOf(request).user.id, request.params.userId);
        return reply.code(204).send();
      },
    );
  });
}
