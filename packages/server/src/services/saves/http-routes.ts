import { ShardlineError } from '@shardline/core';
import type { FastifyError } from 'fastify';
import { Type } from 'typebox';
import { callerOf, type ServiceApi } from '../http/service-api.js';
import { SAVE_TEXT_LIMITS, type SavesService } from './saves-service.js';
import type { SaveRecord } from './saves-store.js';

/**
 * Longest string each field may hold, in characters: outer bounds that keep hostile requests small,
 * while a value just past a finer rule (a 129-character title, a 65-character slot name) still
 * reaches the service and gets that rule's own code (SAVE_INVALID). The slot's stays under the
 * router's MAX_URL_PARAM_LENGTH.
 */
export const SAVE_FIELD_LIMITS = {
  slot: 100,
  title: 2 * SAVE_TEXT_LIMITS.title,
  description: 2 * SAVE_TEXT_LIMITS.description,
  checksum: 128,
} as const;

/**
 * Bytes of a PUT body beyond its base64 data: every other field at its outer bound with each
 * character at its longest in JSON (12 bytes: an escaped surrogate pair), plus 512 for the keys,
 * `replace`, `expectedVersion` and whitespace.
 */
const BODY_OVERHEAD_BYTES =
  12 * (SAVE_FIELD_LIMITS.title + SAVE_FIELD_LIMITS.description + SAVE_FIELD_LIMITS.checksum) + 512;

/**
 * The body limit of `PUT /v1/saves/:slot`, bytes: the base64 of `maxSaveBytes` plus the other
 * fields. Above the server's default limit (64 KiB), which every other route keeps.
 */
export function saveBodyLimit(maxSaveBytes: number): number {
  return 4 * Math.ceil(maxSaveBytes / 3) + BODY_OVERHEAD_BYTES;
}

const Slot = Type.Object(
  { slot: Type.String({ maxLength: SAVE_FIELD_LIMITS.slot }) },
  { additionalProperties: false },
);
const Version = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
const DeleteQuery = Type.Object({ expectedVersion: Type.Optional(Version) }, { additionalProperties: false });

/** The PUT body; `data` is bounded by the route's body limit (a larger one is SAVE_TOO_LARGE). */
function writeBody(bodyLimit: number) {
  return Type.Object(
    {
      title: Type.String({ maxLength: SAVE_FIELD_LIMITS.title }),
      description: Type.Optional(Type.String({ maxLength: SAVE_FIELD_LIMITS.description })),
      data: Type.String({ maxLength: bodyLimit, description: 'the bytes, standard base64 with padding' }),
      checksum: Type.Optional(Type.String({ maxLength: SAVE_FIELD_LIMITS.checksum })),
      replace: Type.Optional(Type.Boolean()),
      expectedVersion: Type.Optional(Version),
    },
    { additionalProperties: false },
  );
}

/** Canonical base64 only (padded, no whitespace, no URL alphabet): what decodes and re-encodes to itself. */
function decodeBase64(text: string): Uint8Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) {
    throw new ShardlineError('REQUEST_INVALID', 'data must be standard base64, padded, with nothing else');
  }
  return bytes;
}

const withData = ({ data, ...meta }: SaveRecord) => ({ ...meta, data: Buffer.from(data).toString('base64') });

const tags = ['saves'];
const security = [{ bearer: [] }];

/**
 * The cloud saves API under `/v1/saves`, every route for the signed-in user's own slots: list
 * (metadata), read (metadata and base64 data), write (201 when it made the slot, else 200) and
 * delete (204). A body too large for the route is SAVE_TOO_LARGE (413), like data over the cap.
 */
export async function saveRoutes({ area, signedIn }: ServiceApi, saves: SavesService): Promise<void> {
  const bodyLimit = saveBodyLimit(saves.limits.maxSaveBytes);
  const WriteBody = writeBody(bodyLimit);
  await area('/saves', (api) => {
    // Thrown on, the error reaches the services API's handler, which answers it.
    api.setErrorHandler((error: FastifyError) => {
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        throw new ShardlineError('SAVE_TOO_LARGE', `a save request is at most ${bodyLimit} bytes`);
      }
      throw error;
    });
    api.get('/', { schema: { tags, security }, onRequest: signedIn }, async (request) => ({
      saves: await saves.list(callerOf(request).user.id),
    }));
    api.get('/:slot', { schema: { tags, security, params: Slot }, onRequest: signedIn }, async (request) =>
      withData(await saves.read(callerOf(request).user.id, request.params.slot)),
    );
    api.put(
      '/:slot',
      { bodyLimit, schema: { tags, security, params: Slot, body: WriteBody }, onRequest: signedIn },
      async (request, reply) => {
        const { data, description, checksum, replace, expectedVersion, title } = request.body;
        const meta = await saves.write(callerOf(request).user.id, request.params.slot, {
          title,
          data: decodeBase64(data),
          ...(description === undefined ? {} : { description }),
          ...(checksum === undefined ? {} : { checksum }),
          ...(replace === undefined ? {} : { replace }),
          ...(expectedVersion === undefined ? {} : { expectedVersion }),
        });
        // Version 1 is a slot's first write: this request made it.
        reply.code(meta.version === 1 ? 201 : 200);
        return meta;
      },
    );
    api.delete(
      '/:slot',
      { schema: { tags, security, params: Slot, querystring: DeleteQuery }, onRequest: signedIn },
      async (request, reply) => {
        await saves.delete(callerOf(request).user.id, request.params.slot, request.query.expectedVersion);
        return reply.code(204).send();
      },
    );
  });
}
