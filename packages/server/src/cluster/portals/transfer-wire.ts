import { type Static, Type } from 'typebox';
import { MAX_PLAYER_RECORD_BYTES } from '../shard-index/shard-index-store.js';

// What shards say to each other to move a player (docs/cluster/CLUSTER.md §8), over the engine's
// requests on `shardline.<cluster>.shard.<name>.transfers`: `{ op, … }` as JSON, answered as JSON.
// The receiving shard checks what it reads against these shapes (another shard is not trusted).

const strict = { additionalProperties: false } as const;
const Name = Type.String({ pattern: '^[A-Za-z0-9_.:-]{1,64}$' });
const ShardName = Type.String({ pattern: '^[A-Za-z0-9_-]{1,40}$' });
const UserId = Type.String({ minLength: 1, maxLength: 128 });
const Fence = Type.Integer({ minimum: 1, maximum: Number.MAX_SAFE_INTEGER });

/**
 * `transfer`: the source asks the target to take a player it has checked out (location revision
 * `revision`, under lease token `fence`). The target stores `record` (base64 of the encoded player
 * record) before it answers with a connect token for `to.world`; the same transfer asked again is
 * answered the same, from what was stored.
 */
export const TransferRequest = Type.Object(
  {
    op: Type.Literal('transfer'),
    transfer: Name,
    userId: UserId,
    from: Type.Object({ shard: ShardName, world: Name, portal: Name, fence: Fence }, strict),
    to: Type.Object({ world: Name, portal: Name }, strict),
    revision: Fence,
    /** The player's connect-token user data (their services ticket), base64; absent for a dev token. */
    userData: Type.Optional(Type.String({ maxLength: 1024 })),
    record: Type.String({ minLength: 2, maxLength: Math.ceil(MAX_PLAYER_RECORD_BYTES / 3) * 4 }),
  },
  strict,
);
export type TransferRequest = Static<typeof TransferRequest>;

export const TransferReply = Type.Object(
  {
    /** The connect token for the player's new world, base64. */
    token: Type.String({ minLength: 1, maxLength: 4096 }),
    addresses: Type.Array(Type.String({ minLength: 1, maxLength: 200 }), { minItems: 1, maxItems: 8 }),
    kind: Type.String({ minLength: 1, maxLength: 32 }),
  },
  strict,
);
export type TransferReply = Static<typeof TransferReply>;

/** `holds`: whether the target stored transfer `transfer` of `userId` (an orphan's resolution asks). */
export const HoldsRequest = Type.Object(
  { op: Type.Literal('holds'), transfer: Name, userId: UserId },
  strict,
);
export type HoldsRequest = Static<typeof HoldsRequest>;
export const HoldsReply = Type.Object({ holds: Type.Boolean() }, strict);

/** `committed`: the source's commit won: the player may be seated as soon as it connects (a hint). */
export const CommittedRequest = Type.Object(
  { op: Type.Literal('committed'), transfer: Name, userId: UserId, revision: Fence },
  strict,
);
export type CommittedRequest = Static<typeof CommittedRequest>;

export const TransferEnvelope = Type.Object(
  { op: Type.Union([Type.Literal('transfer'), Type.Literal('holds'), Type.Literal('committed')]) },
  { additionalProperties: true },
);

export const transfersSubject = (cluster: string, shard: string) =>
  `shardline.${cluster}.shard.${shard}.transfers`;
