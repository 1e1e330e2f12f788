import { Type } from 'typebox';
import { callerOf, type ServiceApi } from '../http/service-api.js';
import type { AchievementsService } from './achievements-service.js';

/**
 * Outer bound of an achievement id in a path, in characters: past the definitions' 64, so a
 * slightly long id still reaches the service and gets ACHIEVEMENT_NOT_FOUND; under the router's
 * MAX_URL_PARAM_LENGTH, which it enforces before any schema.
 */
export const ACHIEVEMENT_ID_LIMIT = 96;

const IdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: ACHIEVEMENT_ID_LIMIT }) },
  { additionalProperties: false },
);
/** Any number: the service checks it is a whole number ≥ 0 (ACHIEVEMENT_PROGRESS_INVALID). */
const ProgressBody = Type.Object({ value: Type.Number() }, { additionalProperties: false });

const tags = ['achievements'];
const security = [{ bearer: [] }];

/**
 * The achievements API under `/v1/achievements`, for the signed-in user: every achievement with
 * their progress, unlocking one, and reporting progress. These are client writes: authoritative
 * achievements answer 403 SERVICE_WRITE_FORBIDDEN.
 */
export async function achievementRoutes(
  { area, signedIn }: ServiceApi,
  achievements: AchievementsService,
): Promise<void> {
  const fromClient = { fromClient: true };
  await area('/achievements', (api) => {
    api.get('/', { schema: { tags, security }, onRequest: signedIn }, async (request) => ({
      achievements: await achievements.enumerate(callerOf(request).user.id),
    }));
    api.post(
      '/:id/unlock',
      { schema: { tags, security, params: IdParams }, onRequest: signedIn },
      async (request) => ({
        newlyUnlocked: await achievements.unlock(callerOf(request).user.id, request.params.id, fromClient),
      }),
    );
    api.post(
      '/:id/progress',
      { schema: { tags, security, params: IdParams, body: ProgressBody }, onRequest: signedIn },
      async (request) =>
        achievements.progress(callerOf(request).user.id, request.params.id, request.body.value, fromClient),
    );
  });
}
