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
  queue: InputQueue<Record<string, never>>;
  /** Messages received this tick (reset each tick). */
  messages: number;
  /** The newest input applied, once one has been. */
  lastApplied: number | undefined;
}

/**
 * The input streams of a world's seats (PROTOCOL.md §12.1): each seat's messages go into its own
 * jitter-buffered InputQueue; each tick hands the game one input per seat, in sequence order; each
 * send tick acknowledges to every seat the newest input applied by then, so its client can
 * reconcile its prediction with that tick's snapshot.
 */
export class SeatInputs {
  private readonly seats = new Map<string, SeatInput>();
  private readonly acks = new Map<string, Uint8Array>();

  constructor(
    private readonly template: AnyEntitySchema,
    private readonly depth: number,
  ) {}

  add(seat: string): void {
    this.seats.set(seat, {
      queue: new InputQueue(this.template, this.depth),
      messages: 0,
      lastApplied: undefined,
    });
  }

  /** A seat's client came back with a new input stream (numbered from 0): start its queue over. */
  restart(seat: string): void {
    if (this.seats.has(seat)) this.add(seat);
  }

  remove(seat: string): void {
    this.seats.delete(seat);
    this.acks.delete(seat);
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
    for (const [seat, input] of this.seats) {
      input.messages = 0;
      const next = input.queue.next();
      if (!next) continue;
      input.lastApplied = next.sequence;
      apply(seat, next.input);
    }
  }

  /** A send tick: note, per seat that has applied an input, what to acknowledge for this tick. */
  acknowledge(tick: number): void {
    for (const [seat, input] of this.seats) {
      if (input.lastApplied !== undefined) this.acks.set(seat, encodeInputAck(tick, input.lastApplied));
    }
  }

  /** Hands out the acknowledgements noted since the last call (send them before the snapshots). */
  sendAcks(send: (seat: string, ack: Uint8Array) => void): void {
    for (const [seat, ack] of this.acks) send(seat, ack);
    this.acks.clear();
  }
}
