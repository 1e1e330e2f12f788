import {
  answerPing,
  BitWriter,
  decodeInputAck,
  decodeInputs,
  decodePublish,
  decodeSeatMessage,
  defineEntity,
  defineWorld,
  encodeInputAck,
  encodeInputs,
  encodePublish,
  encodeSeatMessage,
  readInput,
  readPing,
  TimeSync,
  t,
  writeInput,
} from '@shardline/core';
import { vectorBytes, withContext } from '../corpus.js';
import { checkRoundTrip, type FuzzTarget } from '../target.js';

const Unit = defineEntity('Unit', {
  x: t.quantized({ min: -4096, max: 4096, bits: 19 }),
  y: t.quantized({ min: -4096, max: 4096, bits: 19 }),
  angle: t.angle(),
  hp: t.u8(),
  name: t.string({ maxBytes: 16 }),
});
const Stick = defineEntity('Stick', {
  dx: t.int({ min: -1, max: 1 }),
  fire: t.bool(),
  aim: t.angle({ bits: 10 }),
});
const kind = defineWorld('fuzz', { entities: [Unit], input: Stick, tickHz: 20, sendHz: 10 });
const token = Uint8Array.from({ length: 16 }, (_, i) => i * 3);

/** Seat control messages (replication/seat-messages.ts), each kind, with the encoder as round trip. */
export const seatMessageTarget: FuzzTarget = {
  name: 'seat-message',
  weight: 4,
  corpus: [
    encodeSeatMessage({ type: 'hello', fingerprint: kind.fingerprint, token: undefined }),
    encodeSeatMessage({ type: 'hello', fingerprint: kind.fingerprint, token }),
    encodeSeatMessage({ type: 'welcome', resumed: false, token, seat: 's12' }),
    encodeSeatMessage({ type: 'left', reason: 'timeout', seat: 'sé7' }),
    encodeSeatMessage({ type: 'mismatch', kind: kind.name, fingerprints: kind.fingerprints }),
    encodeSeatMessage({ type: 'owns', gained: true, entities: [5, 300, 70_000] }),
    encodeSeatMessage({
      type: 'redirect',
      world: 'caves',
      kind: kind.name,
      portal: 'stairs',
      addresses: ['ws://127.0.0.1:8081', 'udp://127.0.0.1:8082'],
      token: Uint8Array.from({ length: 300 }, (_, i) => i % 251),
    }),
    ...vectorBytes('world', [
      'seat-hello',
      'seat-hello-rejoin',
      'seat-welcome',
      'seat-left',
      'seat-owns',
      'seat-mismatch',
      'seat-redirect',
    ]),
  ],
  decode: (input) => checkRoundTrip(decodeSeatMessage(input), encodeSeatMessage, decodeSeatMessage),
};

/** Input acknowledgements (prediction/input-stream.ts). */
export const inputAckTarget: FuzzTarget = {
  name: 'input-ack',
  weight: 1,
  corpus: [encodeInputAck(1_200, 41), encodeInputAck(0xffff_ffff, 0xffff)],
  decode: (input) =>
    checkRoundTrip(
      decodeInputAck(input),
      ({ tick, sequence }) => encodeInputAck(tick, sequence),
      decodeInputAck,
    ),
};

/** A client's input stream, newest first (prediction/input-stream.ts). */
export const inputStreamTarget: FuzzTarget = {
  name: 'input-stream',
  weight: 3,
  corpus: [
    encodeInputs(Stick, 41, [
      { dx: 1, fire: true, aim: 1 },
      { dx: 0, fire: false, aim: -2 },
    ]),
    encodeInputs(Stick, 0xffff, [{ dx: -1, fire: true, aim: 0 }]),
  ],
  decode: (input) =>
    checkRoundTrip(
      decodeInputs(Stick, input),
      ({ newest, inputs }) => encodeInputs(Stick, newest, inputs),
      (bytes) => decodeInputs(Stick, bytes),
    ),
};

function writtenInput(entity: number, sequence: number, value: unknown): Uint8Array {
  const writer = new BitWriter();
  writeInput(writer, Unit, entity, sequence, value);
  return writer.toBytes();
}

/** Input for an owned entity (replication/input.ts). */
export const inputTarget: FuzzTarget = {
  name: 'entity-input',
  weight: 2,
  corpus: [
    writtenInput(7, 3, Unit.create({ x: 1.5, y: -2, hp: 50, name: 'a' })),
    writtenInput(1_000_000, 0xffff, Unit.create({ name: 'ééé' })),
  ],
  decode: (input) =>
    checkRoundTrip(
      readInput(Unit, input),
      ({ entity, sequence, input: value }) => writtenInput(entity, sequence, value),
      (bytes) => readInput(Unit, bytes),
    ),
};

const published = { sequence: 5, timeMs: 123_456, state: Unit.create({ hp: 9, name: 'me' }) };

/** A published state template and its relay with the publisher's seat (replication/state-template.ts); context: relayed. */
export const stateTarget: FuzzTarget = {
  name: 'state-relay',
  weight: 2,
  corpus: [
    withContext(0, encodePublish(Unit, published)),
    withContext(1, encodePublish(Unit, published, 's7')),
  ],
  decode: (input) => {
    const body = input.subarray(1);
    if ((input[0] ?? 0) % 2 === 0) {
      return checkRoundTrip(
        decodePublish(Unit, body, false),
        (value) => encodePublish(Unit, value),
        (bytes) => decodePublish(Unit, bytes, false),
      );
    }
    return checkRoundTrip(
      decodePublish(Unit, body, true),
      (value) => encodePublish(Unit, value, value.seat),
      (bytes) => decodePublish(Unit, bytes, true),
    );
  },
};

const clock = new TimeSync();
const ping = clock.update(1_000, 75)!;

/** Clock pings (answered by the server) and pongs (taken by the client's TimeSync), replication/time-sync.ts. */
export const clockTarget: FuzzTarget = {
  name: 'clock-ping-pong',
  weight: 2,
  corpus: [ping, answerPing(ping, 1_700_000_000_000)!, ...vectorBytes('world', ['clock-ping', 'clock-pong'])],
  decode: (input) => {
    readPing(input);
    answerPing(input, 1_700_000_000_000);
    const sync = new TimeSync();
    sync.update(1_000);
    sync.receivePong(input, 1_020);
    return sync.update(5_000, 10);
  },
};
