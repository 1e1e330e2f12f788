import {
  type AnyEntitySchema,
  encodeInputAck,
  InputQueue,
  ShardlineError,
  type StructValue,
} from '@shardline/core';

/** Input-stream messages one seat may send per tick; more are dropped (RATE_LIMITED). */
export const MAX_INPUT_MESSAGES_PER_TICK = 8;

interface SeatInput {
  seat: string;
  queue: InputQueue<Record<string, never>>;
  /** Messages received this tick (reset each tick). */
  messages: number;
  /** The newest input applied, once one has been. */
  lastApplied: number | undefined;
  /** Removed or replaced: a loop still running over the old list skips it. */
  gone: boolean;
  /** The acknowledgement noted at the last send tick and not yet handed out. */
  ack: Uint8Array | undefined;
}

/**
 * The input streams of a world's seats (PROTOCOL.md §12.1): each seat's messages go into its own
 * jitter-buffered InputQueue; each tick hands the game one input per seat, in sequence order; each
 * send tick acknowledges to every seat the newest input applied by then, so its client can
 * reconcile its prediction with that tick's snapshot.
 */
export class SeatInputs {
  private readonly seats = new Map<string, SeatInput>();
  /**
   * The same seats in an array, for the per-tick loops (a Map's entries iterate with an array each).
   * Replaced, never changed, when seats come or go (rare): a game handler that does so during a tick
   * leaves the running loop's array as it was, and what went is marked `gone`.
   */
  private list: SeatInput[] = [];

  constructor(
    private readonly template: AnyEntitySchema,
    private readonly depth: number,
  ) {}

  add(seat: string): void {
    const input: SeatInput = {
      seat,
      queue: new InputQueue(this.template, this.depth),
      messages: 0,
      lastApplied: undefined,
      gone: false,
      ack: undefined,
    };
    const previous = this.seats.get(seat);
    this.seats.set(seat, input);
    if (previous) {
      previous.gone = true;
      input.ack = previous.ack; // noted for the seat, not for its stream: it still goes out
      this.list = this.list.map((other) => (other === previous ? input : other));
    } else {
      this.list = [...this.list, input];
    }
  }

  /** A seat's client came back with a new input stream (numbered from 0): start its queue over. */
  restart(seat: string): void {
    if (this.seats.has(seat)) this.add(seat);
  }

  remove(seat: string): void {
    const input = this.seats.get(seat);
    if (input) {
      input.gone = true;
      this.list = this.list.filter((other) => other !== input);
    }
    this.seats.delete(seat);
  }

  /** An input message from a seat; throws ShardlineError (RATE_LIMITED, WIRE_*) to reject it. */
  receive(seat: string, bytes: Uint8Array): void {
    const input = this.seats.get(seat);
    if (!input) return;
    if (++input.messages > MAX_INPUT_MESSAGES_PER_TICK) {
      throw new ShardlineError(
        'RATE_LIMITED',
        `more than ${MAX_INPUT_MESSAGES_PER_TICK} input messages in one tick`,
      );
    }
    input.queue.receive(bytes);
  }

  /** Runs one tick: `apply` gets each seat's next input, if one is due. */
  tick(apply: (seat: string, input: StructValue<Record<string, never>>) => void): void {
    const list = this.list;
    for (let i = 0; i < list.length; i++) {
      const input = list[i]!;
      if (input.gone) continue;
      input.messages = 0;
      const next = input.queue.next();
      if (!next) continue;
      input.lastApplied = next.sequence;
      apply(input.seat, next.input);
    }
  }

  /** A send tick: note, per seat that has applied an input, what to acknowledge for this tick. */
  acknowledge(tick: number): void {
    const list = this.list;
    for (let i = 0; i < list.length; i++) {
      const input = list[i]!;
      if (!input.gone && input.lastApplied !== undefined) input.ack = encodeInputAck(tick, input.lastApplied);
    }
  }

  /**
   * Hands out the acknowledgements noted since the last call (send them before the snapshots), in
   * seat order. Kept on each seat's record, not in a Map set and cleared every send tick.
   */
  sendAcks(send: (seat: string, ack: Uint8Array) => void): void {
    const list = this.list;
    for (let i = 0; i < list.length; i++) {
      const input = list[i]!;
      const ack = input.ack;
      if (ack === undefined || input.gone) continue;
      input.ack = undefined;
      send(input.seat, ack);
    }
  }
}
