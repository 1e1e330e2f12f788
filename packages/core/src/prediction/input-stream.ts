import { ShardlineError } from '../errors.js';
import { nextSequence, sequenceDelta, sequenceNewer } from '../reliable/sequence.js';
import type { FieldMap, StructType, StructValue } from '../schema/composite.js';
import { BitReader } from '../wire/bit-reader.js';
import { BitWriter } from '../wire/bit-writer.js';
import { pooledBytes } from '../wire/byte-pool.js';

/** Most inputs one message carries (a `uint(4)` count, 1–16). */
export const MAX_INPUTS_PER_MESSAGE = 16;

/**
 * An input-stream message (PROTOCOL.md §12.1): the newest input's sequence `uint(16)`, how many
 * inputs follow minus one `uint(4)`, then the inputs newest first, each a struct in full. Input
 * `k` (from 0) has sequence newest − k (wrapping).
 */
export function encodeInputs<F extends FieldMap>(
  schema: StructType<F>,
  newest: number,
  inputs: readonly StructValue<F>[],
): Uint8Array {
  if (inputs.length === 0 || inputs.length > MAX_INPUTS_PER_MESSAGE) {
    throw new ShardlineError('VALUE_INVALID', `an input message carries 1..${MAX_INPUTS_PER_MESSAGE} inputs`);
  }
  const writer = new BitWriter({ initialBytes: 64 });
  writer.writeUint(newest, 16);
  writer.writeUint(inputs.length - 1, 4);
  for (const input of inputs) schema.write(writer, input);
  return writer.toBytes();
}

export function decodeInputs<F extends FieldMap>(
  schema: StructType<F>,
  bytes: Uint8Array,
): { newest: number; inputs: StructValue<F>[] } {
  const reader = new BitReader(bytes);
  const newest = reader.readUint(16);
  const count = reader.readUint(4) + 1;
  const inputs: StructValue<F>[] = [];
  for (let i = 0; i < count; i++) inputs.push(schema.read(reader));
  reader.expectEnd();
  return { newest, inputs };
}

/** Bytes of an input acknowledgement: tick u32 and sequence u16, little-endian. */
export const INPUT_ACK_BYTES = 6;

/**
 * An input acknowledgement (PROTOCOL.md §12.1), server → client: the server tick, u32 LE, and the
 * sequence of the newest input it had applied by the end of that tick, u16 LE. The snapshot of that
 * tick shows the input's effect: the client reconciles from it.
 */
export function encodeInputAck(tick: number, sequence: number): Uint8Array {
  // Pooled (a view of a shared block, see byte-pool.ts): every seat gets one per send tick.
  const bytes = pooledBytes(INPUT_ACK_BYTES);
  const low = tick >>> 0;
  bytes[0] = low & 0xff;
  bytes[1] = (low >>> 8) & 0xff;
  bytes[2] = (low >>> 16) & 0xff;
  bytes[3] = (low >>> 24) & 0xff;
  bytes[4] = sequence & 0xff;
  bytes[5] = (sequence >>> 8) & 0xff;
  return bytes;
}

/** WIRE_INVALID for anything but INPUT_ACK_BYTES bytes. */
export function decodeInputAck(bytes: Uint8Array): { tick: number; sequence: number } {
  if (bytes.length !== INPUT_ACK_BYTES) throw new ShardlineError('WIRE_INVALID', 'an input ack is 6 bytes');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return { tick: view.getUint32(0, true), sequence: view.getUint16(4, true) };
}

/**
 * The client's side of an input stream: each sampled input gets the next sequence number, and every
 * message repeats the newest `redundancy` inputs the server has not acknowledged, so a lost packet
 * loses no input (the next message carries it again). Send one message per client tick on an
 * unreliable channel.
 */
export class InputStream<F extends FieldMap> {
  private readonly unacked: { sequence: number; input: StructValue<F> }[] = [];
  private nextSeq = 0;

  constructor(
    readonly schema: StructType<F>,
    private readonly redundancy = 4,
  ) {
    if (!(redundancy >= 1 && redundancy <= MAX_INPUTS_PER_MESSAGE)) {
      throw new ShardlineError('VALUE_INVALID', `redundancy must be 1..${MAX_INPUTS_PER_MESSAGE}`);
    }
  }

  /** Numbers a sampled input; returns its sequence (hand it to the Predictor too). */
  push(input: StructValue<F>): number {
    const sequence = this.nextSeq;
    this.nextSeq = nextSequence(sequence);
    this.unacked.push({ sequence, input });
    // The server has long acknowledged or given up on anything this old: keep the window small.
    if (this.unacked.length > MAX_INPUTS_PER_MESSAGE * 4) this.unacked.shift();
    return sequence;
  }

  /** The message to send now: the newest inputs not acknowledged, newest first; undefined if none. */
  message(): Uint8Array | undefined {
    const count = Math.min(this.redundancy, this.unacked.length);
    if (count === 0) return undefined;
    const newest = this.unacked[this.unacked.length - 1]!;
    const inputs: StructValue<F>[] = [];
    for (let i = 0; i < count; i++) inputs.push(this.unacked[this.unacked.length - 1 - i]!.input);
    return encodeInputs(this.schema, newest.sequence, inputs);
  }

  /** The server applied every input up to `sequence`: they need not be sent again. */
  acknowledge(sequence: number): void {
    while (this.unacked.length > 0 && !sequenceNewer(this.unacked[0]!.sequence, sequence))
      this.unacked.shift();
  }
}

/**
 * The server's side of one client's input stream: inputs arrive out of order, repeated and late;
 * `next()` hands the game one per server tick, in sequence order. A small jitter buffer (`depth`
 * inputs held before the first is applied) absorbs uneven arrival; when the next input is missing
 * it waits (undefined) while newer ones have not arrived, and skips to the oldest that has (the
 * missing one was lost in every message that carried it). `lastApplied` is what the client should
 * be told it can stop sending and reconcile from.
 */
export class InputQueue<F extends FieldMap> {
  private readonly buffered = new Map<number, StructValue<F>>();
  private applied: number | undefined;
  private started = false;

  constructor(
    readonly schema: StructType<F>,
    private readonly depth = 2,
    /** Inputs held at most; further ones are dropped (a client running far ahead). */
    private readonly capacity = 64,
  ) {}

  /** The newest input applied, or undefined before any. */
  get lastApplied(): number | undefined {
    return this.applied;
  }

  get bufferedCount(): number {
    return this.buffered.size;
  }

  /** Takes an input message; throws ShardlineError (WIRE_*) for bytes that do not decode. */
  receive(bytes: Uint8Array): void {
    const { newest, inputs } = decodeInputs(this.schema, bytes);
    for (let k = 0; k < inputs.length; k++) {
      const sequence = (newest - k) & 0xffff;
      if (this.applied !== undefined && !sequenceNewer(sequence, this.applied)) continue; // applied or skipped
      if (this.buffered.has(sequence) || this.buffered.size >= this.capacity) continue;
      this.buffered.set(sequence, inputs[k]!);
    }
  }

  /** The input to apply this tick, with its sequence; undefined when none is due. */
  next(): { sequence: number; input: StructValue<F> } | undefined {
    if (!this.started) {
      if (this.buffered.size < this.depth) return undefined;
      this.started = true;
    }
    if (this.buffered.size === 0) return undefined;
    let sequence = this.applied === undefined ? this.oldest() : nextSequence(this.applied);
    if (!this.buffered.has(sequence)) sequence = this.oldest(); // lost everywhere: skip ahead
    const input = this.buffered.get(sequence)!;
    this.buffered.delete(sequence);
    this.applied = sequence;
    return { sequence, input };
  }

  /** The oldest buffered sequence (relative to the last applied, or to the newest buffered). */
  private oldest(): number {
    let oldest: number | undefined;
    for (const sequence of this.buffered.keys()) {
      if (oldest === undefined || sequenceDelta(oldest, sequence) < 0) oldest = sequence;
    }
    return oldest!;
  }
}
