import {
  decodeRpcMessage,
  defineRpcs,
  encodeCall,
  encodeEvent,
  encodeFailure,
  encodeReply,
  event,
  RpcClient,
  type RpcMessage,
  RpcRouter,
  rpc,
  t,
} from '@shardline/core';
import { vectorBytes } from '../corpus.js';
import { checkRoundTrip, type FuzzTarget } from '../target.js';

const catalog = defineRpcs({
  useItem: rpc({
    params: { slot: t.int({ min: 0, max: 9 }), x: t.quantized({ min: -100, max: 100, precision: 0.25 }) },
    reply: { ok: t.bool(), left: t.u8() },
    validate: (params) => (params.slot === 7 ? 'slot 7 is locked' : undefined),
  }),
  say: rpc({
    params: {
      text: t.string({ maxBytes: 32 }),
      to: t.optional(t.entity()),
      tags: t.array(t.enum(['team', 'all', 'whisper']), { maxLength: 3 }),
      attachment: t.bytes({ maxLength: 8 }),
    },
    reply: { heard: t.varuint(), at: t.vec2({ min: -10, max: 10, precision: 0.1 }) },
  }),
  toast: rpc({ params: { text: t.string({ maxBytes: 32 }) }, direction: 'to-client' }),
  ask: rpc({ params: { q: t.u16() }, reply: { a: t.float64() }, direction: 'to-client' }),
  wave: event({ params: { at: t.i16(), turn: t.quat() } }),
});
const { useItem, say, toast, ask, wave } = catalog.definitions;

const corpus = [
  encodeCall(useItem, 5, { slot: 3, x: -1.5 }),
  encodeCall(say, 0xffff_ffff, {
    text: 'héllo',
    to: 12,
    tags: ['team', 'whisper'],
    attachment: Uint8Array.of(1, 2),
  }),
  encodeCall(toast, undefined, { text: 'hi' }),
  encodeCall(ask, 9, { q: 77 }),
  encodeReply(useItem, 5, { ok: true, left: 4 }),
  encodeReply(say, 1, { heard: 300, at: { x: 1, y: -2 } }),
  encodeReply(ask, 9, { a: Math.E }),
  encodeFailure(useItem, 5, 'RPC_BAD_PARAMS'),
  encodeEvent(wave, { broadcast: true, inOrder: true }, 1_700_000_000_000, '', {
    at: -3,
    turn: { x: 0, y: 0, z: 0, w: 1 },
  }),
  encodeEvent(wave, { broadcast: false, inOrder: false }, 1234.5, 's7', {
    at: 12,
    turn: { x: 1, y: 0, z: 0, w: 0 },
  }),
  ...vectorBytes('rpc', ['rpc-call', 'rpc-failure', 'rpc-event-broadcast']),
];

/** A decoded message written again with the encoder of its kind. */
function reencode(message: RpcMessage): Uint8Array {
  switch (message.kind) {
    case 'call':
      return encodeCall(message.rpc, message.callId, message.params);
    case 'reply':
      return encodeReply(message.rpc, message.callId, message.reply);
    case 'failure':
      return encodeFailure(message.rpc, message.callId, message.code);
    case 'event':
      return encodeEvent(message.event, message.flags, message.timeMs, message.sender, message.params);
  }
}

const decode = (bytes: Uint8Array) => decodeRpcMessage(catalog, bytes);

/** RPC messages against a catalog (rpc/wire.ts), every kind, with the encoders as round trip. */
export const rpcMessageTarget: FuzzTarget = {
  name: 'rpc-message',
  weight: 6,
  corpus,
  // `wave` carries a quaternion, so its first re-encoding may pick another of its encodings.
  decode: (input) => checkRoundTrip(decode(input), reencode, decode, true),
};

/**
 * Both ends of RPC receiving a hostile message: the server's router (rate limits, direction,
 * validator, handler, pending server-to-client calls) and the client (handlers, replies, events).
 */
export const rpcEndsTarget: FuzzTarget = {
  name: 'rpc-router-and-client',
  weight: 3,
  corpus,
  decode: (input) => {
    const router = new RpcRouter({ catalog, send: () => {} });
    router.handle(useItem, (params) => ({ ok: params.slot > 2, left: params.slot }));
    router.handle(say, (params) => ({ heard: params.text.length, at: { x: 0, y: 0 } }));
    router.addClient('c', 0);
    void router.call('c', ask, { q: 9 }, 0).catch(() => {});
    router.receive('c', input, 1);
    const client = new RpcClient({ catalog, send: () => {}, clock: () => 0 });
    client.handle(toast, () => undefined);
    client.handle(ask, (params) => ({ a: params.q / 2 }));
    void client.call.useItem({ slot: 1, x: 0 }).catch(() => {});
    client.receive(input);
    router.removeClient('c');
    client.close();
  },
};
