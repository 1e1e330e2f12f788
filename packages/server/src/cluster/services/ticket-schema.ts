import { MAX_WORLD_BYTES } from '@shardline/core';
import { Type } from 'typebox';

/** Longest connect token, base64 characters (a token is PROTOCOL.md §10.1's ~1 KiB; this bounds hostile ones). */
const MAX_TOKEN_CHARS = 4096;

/** A connect ticket as another process answers with it (ConnectTicket), bounded. */
export const ConnectTicketSchema = Type.Object({
  token: Type.String({ minLength: 1, maxLength: MAX_TOKEN_CHARS }),
  expiresAtMs: Type.Number(),
  serverAddresses: Type.Array(Type.String({ maxLength: 256 }), { maxItems: 8 }),
  world: Type.Optional(
    Type.Object({
      id: Type.String({ minLength: 1, maxLength: MAX_WORLD_BYTES }),
      kind: Type.String({ minLength: 1, maxLength: 32 }),
    }),
  ),
});
