import { Type } from 'typebox';
import type { ClusterBus, Unsubscribe } from '../../bus/index.js';
import { LOBBY_LIMITS } from '../../services/lobbies/lobby.js';
import { Id } from '../../services/lobbies/lobby-schemas.js';
import { decodeJson, encodeJson } from './json-wire.js';
import { pushChannel } from './services-cluster.js';

/** Most users one push names: a lobby's members at most. */
export const MAX_PUSH_USERS = LOBBY_LIMITS.maxPlayers;

/** A message for users' push streams: JSON with a `type` (see UserStreams.push). */
export type PushMessage = { readonly type: string; readonly [field: string]: unknown };

const Push = Type.Object(
  {
    userIds: Type.Array(Id, { minItems: 1, maxItems: MAX_PUSH_USERS }),
    event: Type.Object({ type: Type.String({ minLength: 1, maxLength: 64 }) }),
  },
  { additionalProperties: false },
);

export interface PushFanoutOptions {
  bus: ClusterBus;
  cluster: string;
  /** Hands a message to this process's own streams of those users (UserStreams.push). */
  deliver(userIds: readonly string[], message: PushMessage): void;
  /** A publish failed, or a push off the bus was not one (it is dropped). */
  onError(error: unknown): void;
}

/**
 * Pushes to users wherever their streams are (decision 0029): `publish` puts `{ userIds, event }`
 * on the bus channel `shardline.<cluster>.services.push`, and every process (this one too) hands
 * it to its own streams of those users. At most once, like the bus: a push is a hint, and clients
 * read the lobby again after reconnecting.
 */
export class PushFanout {
  private constructor(
    private readonly options: PushFanoutOptions,
    private readonly unsubscribe: Unsubscribe,
  ) {}

  static async open(options: PushFanoutOptions): Promise<PushFanout> {
    const unsubscribe = await options.bus.subscribe(pushChannel(options.cluster), (payload) => {
      try {
        const { userIds, event } = decodeJson(payload, Push, 'a push');
        options.deliver(userIds, event as PushMessage);
      } catch (error) {
        options.onError(error);
      }
    });
    return new PushFanout(options, unsubscribe);
  }

  /** Sends `message` to every stream of `userIds`, in batches of MAX_PUSH_USERS. */
  publish(userIds: readonly string[], message: PushMessage): void {
    for (let start = 0; start < userIds.length; start += MAX_PUSH_USERS) {
      const batch = userIds.slice(start, start + MAX_PUSH_USERS);
      this.options.bus
        .publish(pushChannel(this.options.cluster), encodeJson({ userIds: batch, event: message }))
        .catch((error) => this.options.onError(error));
    }
  }

  close(): Promise<void> {
    return this.unsubscribe();
  }
}
