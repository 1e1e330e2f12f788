import * as ws from 'ws';

/** `ws` exports its frame reader; its typings do not declare it. */
const { Receiver } = ws as unknown as { Receiver: new (options: { maxPayload: number }) => unknown };

/**
 * The two fields of a `ws` (8.23, pinned) connection's frame reader that the pre-handshake limits
 * need and `ws` offers no API for: the largest message it takes (read at each frame header, so
 * raising it lets a peer send larger frames from then on) and the bytes it holds of unfinished frames.
 */
export interface ReceiverFields {
  _maxPayload: number;
  _bufferedBytes: number;
}

/** The frame reader of an open connection. */
export function receiverOf(socket: ws.WebSocket): ReceiverFields {
  return (socket as unknown as { _receiver: ReceiverFields })._receiver;
}

/** Throws if this `ws` has not those fields (a changed version): the limits would silently not hold. */
export function checkReceiverFields(): void {
  const receiver = new Receiver({ maxPayload: 1 }) as unknown as Partial<ReceiverFields>;
  if (receiver._maxPayload !== 1 || receiver._bufferedBytes !== 0) {
    throw new Error(
      'this version of ws has no receiver _maxPayload/_bufferedBytes: pre-handshake limits cannot hold',
    );
  }
}
