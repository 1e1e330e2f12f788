import { ShardlineError } from '../errors.js';
import { nextSequence, sequenceNewer } from '../reliable/sequence.js';
import type { StructValue } from '../schema/composite.js';
import type { Infer } from '../schema/field.js';
import { BitReader } from '../wire/bit-reader.js';
import type { BitSink } from '../wire/bit-sink.js';
import { BitWriter } from '../wire/bit-writer.js';
import type { AnyEntitySchema } from './world-schema.js';

/** Largest entity id an input message may name (ids are u32). */
const MAX_ENTITY_ID = 0xffff_ffff;

/**
 * An input message (PROTOCOL.md §12): entity id (varuint), sequence (u16, wrapping), then the input
 * struct in full. Inputs are declared like entities (defineEntity), so every field is bounded and
 * quantized, and a client can send nothing its declaration does not allow.
 */
export function writeInput(
  sink: BitSink,
  schema: AnyEntitySchema,
  entity: number,
  sequence: number,
  input: unknown,
): void {
  sink.writeVarUint(entity);
  sink.writeUint(sequence, 16);
  schema.write(sink, input as StructValue<never>);
}

export function readInput(
  schema: AnyEntitySchema,
  bytes: Uint8Array,
): { entity: number; sequence: number; input: Record<string, unknown> } {
  const reader = new BitReader(bytes);
  const entity = reader.readVarUint();
  if (entity > MAX_ENTITY_ID) throw new ShardlineError('WIRE_INVALID', 'entity id out of range');
  const sequence = reader.readUint(16);
  const input = schema.read(reader) as Record<string, unknown>;
  reader.expectEnd();
  return { entity, sequence, input };
}

/**
 * The client side of input authority: encodes this client's input for an entity it owns, numbering
 * each message so the server can drop duplicates and late arrivals. Send them on an unreliable
 * channel, one per tick; a lost input is superseded by the next.
 */
export class InputSender<S extends AnyEntitySchema> {
  private sequence = 0;
  private readonly writer = new BitWriter({ initialBytes: 64 });

  constructor(readonly schema: S) {}

  /** The message for `input` to `entity`; VALUE_INVALID if the input does not fit its declaration. */
  encode(entity: number, input: Infer<S>): Uint8Array {
    this.writer.reset();
    writeInput(this.writer, this.schema, entity, this.sequence, input);
    this.sequence = nextSequence(this.sequence);
    return this.writer.toBytes();
  }
}

export interface AcceptedInput {
  entity: number;
  input: Record<string, unknown>;
}

/**
 * The server side: which client owns which entity, and whether an input message from a client is
 * accepted. An input is rejected with NOT_OWNER for an entity the client does not own (or that does
 * not exist), RATE_LIMITED past `maxPerTick` messages in one tick, and a WIRE_* code for bad bytes;
 * a duplicate or late one (not newer than the last accepted for that entity) is ignored.
 */
export class InputAuthority {
  private readonly owners = new Map<number, string>();
  private readonly lastSequence = new Map<number, number>();
  private readonly receivedThisTick = new Map<string, number>();

  constructor(
    private readonly schema: AnyEntitySchema | undefined,
    private readonly maxPerTick: number,
  ) {}

  ownerOf(entity: number): string | undefined {
    return this.owners.get(entity);
  }

  setOwner(entity: number, client: string | undefined): void {
    this.lastSequence.delete(entity);
    if (client === undefined) this.owners.delete(entity);
    else this.owners.set(entity, client);
  }

  /** The client (re)joined with a new sender: its entities accept any sequence next. */
  restartSequences(client: string): void {
    for (const [entity, owner] of this.owners) if (owner === client) this.lastSequence.delete(entity);
  }

  /** Forgets a client's ownerships (it left for good). */
  removeClient(client: string): void {
    for (const [entity, owner] of this.owners) if (owner === client) this.setOwner(entity, undefined);
    this.receivedThisTick.delete(client);
  }

  startTick(): void {
    this.receivedThisTick.clear();
  }

  /** The input to apply, or undefined for a duplicate or late one; throws ShardlineError to reject. */
  accept(client: string, bytes: Uint8Array): AcceptedInput | undefined {
    if (!this.schema) throw new ShardlineError('VALUE_INVALID', 'this world declares no input');
    const count = (this.receivedThisTick.get(client) ?? 0) + 1;
    this.receivedThisTick.set(client, count);
    if (count > this.maxPerTick) {
      throw new ShardlineError('RATE_LIMITED', `more than ${this.maxPerTick} inputs in one tick`, { client });
    }
    const { entity, sequence, input } = readInput(this.schema, bytes);
    if (this.owners.get(entity) !== client) {
      throw new ShardlineError('NOT_OWNER', `client does not own entity ${entity}`, { client, entity });
    }
    const last = this.lastSequence.get(entity);
    if (last !== undefined && !sequenceNewer(sequence, last)) return undefined;
    this.lastSequence.set(entity, sequence);
    return { entity, input };
  }
}
