import { ShardlineError } from '../errors.js';
import { pooledCopy } from '../wire/byte-pool.js';
import { ByteWriter } from '../wire/bytes.js';
import {
  type ChannelConfig,
  type ChannelKind,
  type ChannelReceiver,
  isReliable,
  type OutgoingUnit,
  outgoingUnit,
  receiverFor,
  splitMessage,
} from './channel.js';
import { type Compressor, packCompressed, unpackCompressed } from './compression.js';
import {
  DEFAULT_MTU_BYTES,
  FRAGMENT_BYTES,
  MAX_CHANNELS,
  MAX_MESSAGE_BYTES,
  MAX_RESEND_BACKOFF_DOUBLINGS,
  PACKET_HISTORY,
  RELIABLE_WINDOW,
} from './limits.js';
import {
  EntryKind,
  entrySize,
  MAX_HELD_MS,
  PACKET_HEADER_BYTES,
  type PacketEntry,
  PacketParser,
  PING_ENTRY,
  writeEntry,
  writeHeader,
  writeHeld,
} from './packet.js';
import { ACK_REPEATS, ReceivedPackets } from './received-packets.js';
import { SentPackets } from './sent-packets.js';
import { nextSequence, sequenceDelta } from './sequence.js';
import { type EndpointStats, LossTracker, RttEstimator, TrafficMeter } from './stats.js';

/**
 * How a message is sent. Reliability must match the channel's kind.
 * - `unreliable`: sent at the next update.
 * - `unreliable-no-delay`: `send` asks for a flush now (returns true); the adapter calls update at once.
 * - `reliable`: sent at the next update, resent until acknowledged.
 * - `reliable-buffered`: held up to `nagleMs` to share a packet with later messages (Nagle-like).
 */
export type SendType = 'unreliable' | 'unreliable-no-delay' | 'reliable' | 'reliable-buffered';

export interface EndpointOptions {
  channels: readonly ChannelConfig[];
  /** Largest packet produced, in bytes. Default 1200. */
  mtuBytes?: number;
  /** Bytes per second this endpoint may send (header-only packets, i.e. bare acks, excepted). Default 2 MiB/s. */
  sendRateBytesPerSecond?: number;
  /** How long `reliable-buffered` messages wait to coalesce. Default 5 ms. */
  nagleMs?: number;
  /** Send at least one packet this often, so the peer sees we are alive. Default 250 ms. */
  keepaliveMs?: number;
  /** Nothing received for this long ends the connection with reason `timeout`. Default 10 s. */
  timeoutMs?: number;
  /** Bounds of the retransmission timeout (RFC 6298 estimate), and its value before any RTT sample. */
  minResendMs?: number;
  maxResendMs?: number;
  initialResendMs?: number;
  /** Bytes queued but not yet acknowledged beyond which `send` refuses (SEND_QUEUE_FULL). Default 16 MiB. */
  maxQueuedBytes?: number;
  /**
   * The transport already delivers every packet in order (WebSocket, TCP): reliable units count as
   * delivered once sent (no resends, no extra ack packets), and unreliable sends are counted as
   * degraded, since they can arrive late but never be skipped. Default false.
   */
  transportReliable?: boolean;
  /** Compresses channels configured with `compress: true`. */
  compressor?: Compressor;
  /**
   * Free bytes at the start of every packet `update` returns, before the packet proper, for the
   * caller's wrapping (a session's type byte), so wrapping needs no copy. Not counted in mtuBytes.
   * Default 0.
   */
  headroomBytes?: number;
  /**
   * Fill spare room in outgoing packets with reliable units not yet acknowledged (see
   * fillWithEarlyResends). Costs bytes, never packets. Default true.
   */
  earlyResends?: boolean;
}

export interface ReceivedMessage {
  channel: number;
  bytes: Uint8Array;
}

export type EndpointState = 'connected' | 'timed-out';

interface ChannelSender {
  kind: ChannelKind;
  compress: boolean;
  entryKind: EntryKind;
  /** Next unit id (reliable) or message id (unreliable kinds). */
  nextId: number;
  queue: OutgoingUnit[];
  queueHead: number;
  /** Reliable units sent and not yet acknowledged, in id order (Map keeps insertion order). */
  inFlight: Map<number, OutgoingUnit>;
}

/** messageChannels' answers, by channel map: every endpoint of a server shares one array. */
const messageChannelsOf = [
  new WeakMap<readonly ChannelConfig[], boolean[]>(),
  new WeakMap<readonly ChannelConfig[], boolean[]>(),
];

/**
 * Per channel, whether its messages may leave as Message packets (see takeMessage): over a reliable
 * transport, uncompressed unreliable channels.
 */
function messageChannels(channels: readonly ChannelConfig[], transportReliable: boolean): readonly boolean[] {
  const cache = messageChannelsOf[transportReliable ? 1 : 0]!;
  let answers = cache.get(channels);
  // Stryker disable next-line ConditionalExpression: recomputing the cached answers gives the same answers
  if (!answers) {
    answers = channels.map(
      (config) => transportReliable && !isReliable(config.kind) && config.compress !== true,
    );
    cache.set(channels, answers);
  }
  return answers;
}

/** Early resends wait at least this long after a unit's last send (ms), and a tenth of the RTT. */
const EARLY_RESEND_MIN_MS = 10;
/** Early copies of one unit at most: enough to ride out a lost packet or two, bounded in bandwidth. */
const EARLY_RESEND_COPIES = 2;

/** The packet being written (one at a time: `update` finishes each before starting the next). */
interface PacketDraft {
  /**
   * Reliable units it carries, to settle once it is acked (none over a reliable transport); each
   * unit's entry names its channel.
   */
  reliable: OutgoingUnit[] | undefined;
  /** Extra ack-only packets are not measured: nothing asks the peer to acknowledge them. */
  measured: boolean;
}

const NO_PACKETS: readonly Uint8Array[] = Object.freeze([]);
const NO_MESSAGES: readonly ReceivedMessage[] = Object.freeze([]);

/**
 * One side of a connection's reliability layer, sans-IO: the game calls `send`, the adapter feeds
 * datagrams to `receive` and transmits what `update` returns. Time is always an argument (ms).
 * Packets carry a sequence number and acks for the peer's last 32 packets; reliable units are resent
 * after the RTT-derived timeout until a packet carrying them is acknowledged. See PROTOCOL.md §9.
 */
export class ReliableEndpoint {
  private readonly channels: ChannelSender[];
  private readonly receivers: ChannelReceiver[];
  /** Channel indexes, highest priority first. */
  private readonly order: number[];
  private readonly mtu: number;
  private readonly options: Required<Omit<EndpointOptions, 'channels' | 'mtuBytes' | 'compressor'>>;
  private readonly writer: ByteWriter;
  private readonly compressor: Compressor | undefined;

  private sequence = 0;
  private readonly sent = new SentPackets<OutgoingUnit[]>();
  /** fillWithEarlyResends' snapshot of a channel's in-flight units (reused, emptied after each use). */
  private readonly inFlightScratch: OutgoingUnit[] = [];
  /** Oldest sent packet whose fate (acked or lost) is not settled yet. */
  private oldestUnresolved = 0;
  private readonly received = new ReceivedPackets();
  /** Reads every packet received (its objects are reused: nothing here keeps an entry past receive). */
  private readonly parser = new PacketParser();

  private lastSentMs: number;
  private lastReceivedMs: number;
  /** When the newest packet from the peer arrived (ms), and the newest whose held time we reported. */
  private newestArrivedAtMs = 0;
  private heldReportedFor = -1;
  private budgetBytes: number;
  private budgetUpdatedMs: number;
  private queuedBytes = 0;
  private flushRequested = false;
  /** The packet update() is filling, if any (then `draft`). */
  private packing: PacketDraft | undefined;
  private readonly draft: PacketDraft = { reliable: undefined, measured: true };
  private currentState: EndpointState = 'connected';

  /** The link's round trip (ms): acks less the time the peer held them (held times), what stats report. */
  private readonly rtt = new RttEstimator();
  /**
   * How long acks take to come back over datagrams (ms), the peer's hold included: resends and loss
   * wait on this, since an ack cannot arrive sooner.
   */
  private readonly ackWait = new RttEstimator();
  private readonly loss = new LossTracker();
  private readonly traffic = new TrafficMeter();
  /** Totals since the endpoint was made (EndpointStats), kept as fields: a send counts without another object. */
  private resends = 0;
  private packetsSent = 0;
  private packetsReceived = 0;
  private duplicatePackets = 0;
  private stalePackets = 0;
  private malformedPackets = 0;
  private degradedSends = 0;
  private rejectedMessages = 0;
  /** Units queued and never sent yet, over every channel (hot paths ask whether any wait). */
  private unsentUnits = 0;
  /** Per channel: whether a Message packet may carry its messages (see messageChannels). */
  private readonly messageable: readonly boolean[];
  /** options.transportReliable, options.keepaliveMs / 2, and the send budget's size, at hand. */
  private readonly transportReliable: boolean;
  private readonly halfKeepaliveMs: number;
  /** The bucket holds 20 ms of rate (at least 4 packets): bursts leave paced, not as one flood. */
  private readonly budgetCapacity: number;
  private readonly sendRateBytesPerMs: number;

  constructor(options: EndpointOptions, nowMs: number) {
    const { channels } = options;
    if (channels.length === 0 || channels.length > MAX_CHANNELS) {
      throw new ShardlineError('VALUE_INVALID', `an endpoint needs 1..${MAX_CHANNELS} channels`);
    }
    if (channels.some((config) => config.compress) && !options.compressor) {
      throw new ShardlineError('VALUE_INVALID', 'a compressed channel needs a compressor');
    }
    this.compressor = options.compressor;
    this.channels = channels.map((config) => ({
      kind: config.kind,
      compress: config.compress === true,
      entryKind: isReliable(config.kind)
        ? EntryKind.Reliable
        : config.kind === 'unreliable-sequenced'
          ? EntryKind.Sequenced
          : EntryKind.Unreliable,
      nextId: 0,
      queue: [],
      queueHead: 0,
      inFlight: new Map(),
    }));
    this.receivers = channels.map((config) => receiverFor(config.kind));
    this.order = channels
      .map((_, i) => i)
      .sort((a, b) => (channels[b]!.priority ?? 0) - (channels[a]!.priority ?? 0));
    this.mtu = options.mtuBytes ?? DEFAULT_MTU_BYTES;
    if (this.mtu < 1100) throw new ShardlineError('VALUE_INVALID', 'mtuBytes must be at least 1100');
    this.options = {
      sendRateBytesPerSecond: options.sendRateBytesPerSecond ?? 2 * 1024 * 1024,
      nagleMs: options.nagleMs ?? 5,
      keepaliveMs: options.keepaliveMs ?? 250,
      timeoutMs: options.timeoutMs ?? 10_000,
      minResendMs: options.minResendMs ?? 30,
      maxResendMs: options.maxResendMs ?? 2_000,
      initialResendMs: options.initialResendMs ?? 500,
      maxQueuedBytes: options.maxQueuedBytes ?? 16 * 1024 * 1024,
      transportReliable: options.transportReliable ?? false,
      earlyResends: options.earlyResends ?? true,
      headroomBytes: options.headroomBytes ?? 0,
    };
    this.writer = new ByteWriter(this.options.headroomBytes + this.mtu);
    this.transportReliable = this.options.transportReliable;
    this.halfKeepaliveMs = this.options.keepaliveMs / 2;
    this.budgetCapacity = Math.max(this.mtu * 4, this.options.sendRateBytesPerSecond / 50);
    this.sendRateBytesPerMs = this.options.sendRateBytesPerSecond / 1000;
    this.messageable = messageChannels(channels, this.transportReliable);
    this.lastSentMs = Number.NEGATIVE_INFINITY;
    this.lastReceivedMs = nowMs;
    this.budgetBytes = this.budgetCapacity;
    this.budgetUpdatedMs = nowMs;
  }

  get state(): EndpointState {
    return this.currentState;
  }

  /** The smoothed round-trip time, ms (0 before any sample): stats().rttMs without building the stats. */
  get rttMs(): number {
    return this.rtt.smoothedMs;
  }

  /**
   * Queues a message. Returns true when the send type asks for a flush now (`unreliable-no-delay`):
   * the adapter should call `update` at once. Throws VALUE_INVALID for a bad channel, a send type whose
   * reliability does not match the channel, or a message over 1 MiB; SEND_QUEUE_FULL past maxQueuedBytes.
   */
  send(channel: number, bytes: Uint8Array, nowMs: number, type?: SendType): boolean {
    const sender = this.channels[channel];
    if (!sender) throw new ShardlineError('VALUE_INVALID', `no channel ${channel}`);
    const reliable = isReliable(sender.kind);
    const sendType = type ?? (reliable ? 'reliable' : 'unreliable');
    if ((sendType === 'reliable' || sendType === 'reliable-buffered') !== reliable) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `send type ${sendType} does not fit ${sender.kind} channel ${channel}`,
      );
    }
    if (bytes.length > MAX_MESSAGE_BYTES) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `message of ${bytes.length} bytes exceeds ${MAX_MESSAGE_BYTES}`,
      );
    }
    if (this.queuedBytes + bytes.length > this.options.maxQueuedBytes) {
      throw new ShardlineError('SEND_QUEUE_FULL', `send queue holds ${this.queuedBytes} bytes`, {
        queuedBytes: this.queuedBytes,
      });
    }
    if (this.currentState !== 'connected') return false;
    const notBeforeMs = sendType === 'reliable-buffered' ? nowMs + this.options.nagleMs : nowMs;
    // Reliable fragments take consecutive unit ids; an unreliable message keeps one id for all its fragments.
    const payload = sender.compress ? packCompressed(this.compressor!, bytes) : pooledCopy(bytes);
    // A compressed channel's flag byte comes first: a message that does not compress takes one more.
    if (payload.length > MAX_MESSAGE_BYTES) {
      throw new ShardlineError(
        'VALUE_INVALID',
        `message of ${bytes.length} bytes stores as ${payload.length} on compressed channel ${channel}, over ${MAX_MESSAGE_BYTES}`,
      );
    }
    // Stryker disable next-line ConditionalExpression,EqualityOperator: splitMessage makes the same single unit (this path saves its array)
    if (payload.length <= FRAGMENT_BYTES) {
      // Most messages: one unit, without splitMessage's array.
      sender.queue.push(outgoingUnit(sender.entryKind, channel, sender.nextId, 0, 1, payload, notBeforeMs));
      sender.nextId = (sender.nextId + 1) & 0xffff;
      this.unsentUnits++;
    } else {
      const units = splitMessage(sender.entryKind, channel, payload, sender.nextId, !reliable, notBeforeMs);
      sender.nextId = (sender.nextId + (reliable ? units.length : 1)) & 0xffff;
      for (const unit of units) sender.queue.push(unit);
      this.unsentUnits += units.length;
    }
    this.queuedBytes += payload.length;
    if (sendType === 'unreliable-no-delay') this.flushRequested = true;
    if (!reliable && this.options.transportReliable) this.degradedSends++;
    return sendType === 'unreliable-no-delay';
  }

  /**
   * An `unreliable-no-delay` send that can leave in a packet of its own at once: over a reliable
   * transport, on an uncompressed unreliable channel, with nothing queued, unfragmented and within
   * the send budget. Returns that packet (after the headroom) for the caller to transmit now, in
   * order after whatever `update` returned before. Otherwise queues the message as `send` does and
   * returns undefined: the caller should then call `update` at once.
   */
  sendNow(channel: number, bytes: Uint8Array, nowMs: number): Uint8Array | undefined {
    const sender = this.channels[channel];
    const direct =
      sender !== undefined &&
      this.options.transportReliable &&
      this.currentState === 'connected' &&
      sender.entryKind !== EntryKind.Reliable &&
      !sender.compress &&
      bytes.length <= FRAGMENT_BYTES &&
      !this.hasQueuedUnits();
    if (direct) this.refillBudget(nowMs);
    if (!direct || this.budgetBytes <= 0) {
      this.send(channel, bytes, nowMs, 'unreliable-no-delay');
      return undefined;
    }
    const entry: PacketEntry = {
      kind: sender.entryKind,
      channel,
      id: sender.nextId,
      fragmentIndex: 0,
      fragmentCount: 1,
      payload: bytes,
    };
    sender.nextId = (sender.nextId + 1) & 0xffff;
    this.degradedSends++; // an unreliable send over a reliable transport, as in send()
    const packet = this.startPacket(nowMs);
    writeEntry(this.writer, entry);
    return this.finishPacket(packet, nowMs);
  }

  /**
   * Whether an `unreliable-no-delay` message on `channel` may leave now as a Message packet of
   * `packetBytes` (PROTOCOL.md §10.7), outside this layer: over a reliable transport, on an
   * uncompressed unreliable channel, with nothing queued ahead of it, within the send budget, and
   * while a packet with a header left less than half a keepalive interval ago (so acknowledgements,
   * held times and the round trip keep being measured: the next such message goes with a header,
   * by sendNow, before a keepalive is due). If so it is counted as sent, and the caller transmits it.
   */
  takeMessage(channel: number, packetBytes: number, nowMs: number): boolean {
    // The channel's kind and the transport are checked in `messageable` (shared by the endpoints
    // of one channel map), so the common refusal and the send itself touch little of this object.
    if (
      this.messageable[channel] !== true ||
      this.currentState !== 'connected' ||
      nowMs - this.lastSentMs >= this.halfKeepaliveMs ||
      this.unsentUnits !== 0
    ) {
      return false;
    }
    this.refillBudget(nowMs);
    if (this.budgetBytes <= 0) return false;
    this.budgetBytes -= packetBytes;
    this.degradedSends++; // an unreliable send over a reliable transport, as in send()
    this.packetsSent++;
    this.traffic.sent(nowMs, packetBytes);
    return true;
  }

  /**
   * A Message packet's message (PROTOCOL.md §10.7) of `packetBytes` on `channel`: delivered as it is,
   * on a sequenced channel as newer than anything before it (the transport keeps order). Undefined,
   * and counted malformed, unless the transport is reliable and the channel an uncompressed
   * unreliable one.
   */
  receiveMessage(
    channel: number,
    bytes: Uint8Array,
    packetBytes: number,
    nowMs: number,
  ): ReceivedMessage | undefined {
    if (this.currentState !== 'connected') return undefined;
    const sender = this.channels[channel];
    if (
      !this.options.transportReliable ||
      sender === undefined ||
      sender.entryKind === EntryKind.Reliable ||
      sender.compress
    ) {
      this.malformedPackets++;
      return undefined;
    }
    this.lastReceivedMs = nowMs;
    this.packetsReceived++;
    this.traffic.received(nowMs, packetBytes);
    return { channel, bytes };
  }

  /** Processes one datagram from the peer; returns the messages it completes. Never throws for bad input. */
  receive(packet: Uint8Array, nowMs: number): readonly ReceivedMessage[] {
    if (this.currentState !== 'connected') return NO_MESSAGES;
    const parsed = this.parser;
    const entries = parsed.entries;
    let count: number;
    try {
      parsed.read(packet);
      count = parsed.count;
      for (let i = 0; i < count; i++) {
        const entry = entries[i]!;
        if (entry.kind === EntryKind.Ping) continue;
        if (entry.channel >= this.channels.length || entry.kind !== this.channels[entry.channel]!.entryKind) {
          throw new ShardlineError(
            'WIRE_INVALID',
            `entry for channel ${entry.channel} does not fit its kind`,
          );
        }
      }
    } catch (error) {
      // Stryker disable next-line ConditionalExpression: the parser and the checks above throw nothing but ShardlineError
      if (!(error instanceof ShardlineError)) throw error;
      this.malformedPackets++;
      return NO_MESSAGES;
    }
    const header = parsed.header;
    // Packets with entries ask for acks: data in several headers, so a lost ack costs no resend; a ping
    // in one. Header-only packets ask for none (acks of acks would ping-pong forever).
    let pingOnly = true;
    for (let i = 0; i < count && pingOnly; i++) pingOnly = entries[i]!.kind === EntryKind.Ping;
    const verdict = this.received.accept(header.sequence, count === 0 ? 0 : pingOnly ? 1 : ACK_REPEATS);
    if (verdict === 'stale') {
      this.stalePackets++;
      return NO_MESSAGES;
    }
    if (verdict === 'duplicate') {
      this.duplicatePackets++;
      return NO_MESSAGES;
    }
    this.lastReceivedMs = nowMs;
    if (header.sequence === this.received.newestSequence) this.newestArrivedAtMs = nowMs;
    this.packetsReceived++;
    this.traffic.received(nowMs, packet.length);

    this.processAcks(header.ack, header.ackBits, parsed.heldMs, nowMs);
    let messages: ReceivedMessage[] | undefined;
    for (let i = 0; i < count; i++) {
      const entry = entries[i]!;
      if (entry.kind === EntryKind.Ping) continue;
      const delivered = this.receivers[entry.channel]!.receive(entry);
      for (let k = 0; k < delivered.length; k++) {
        const bytes = delivered[k]!;
        messages ??= [];
        if (!this.channels[entry.channel]!.compress) {
          messages.push({ channel: entry.channel, bytes });
          continue;
        }
        try {
          messages.push({
            channel: entry.channel,
            bytes: unpackCompressed(this.compressor!, bytes, MAX_MESSAGE_BYTES),
          });
        } catch (error) {
          // Stryker disable next-line ConditionalExpression: unpackCompressed throws nothing but ShardlineError
          if (!(error instanceof ShardlineError)) throw error;
          this.rejectedMessages++;
        }
      }
    }
    return messages ?? NO_MESSAGES;
  }

  /**
   * Packets to transmit now: new messages, due resends, acks and keepalives (each after
   * `headroomBytes` free bytes).
   */
  update(nowMs: number): readonly Uint8Array[] {
    // Stryker disable next-line ConditionalExpression: the only other state is timed-out, which the next check finds again (receive refuses packets then, so lastReceivedMs stays)
    if (this.currentState !== 'connected') return NO_PACKETS;
    if (nowMs - this.lastReceivedMs > this.options.timeoutMs) {
      this.currentState = 'timed-out';
      return NO_PACKETS;
    }
    // Stryker disable next-line ConditionalExpression,BlockStatement: the fast path for idle updates; the full path finds nothing to send either
    if (this.idle(nowMs)) {
      this.settleLostPackets(nowMs);
      return NO_PACKETS; // most updates: no allocation
    }
    this.refillBudget(nowMs);
    const packets: Uint8Array[] = [];
    this.packing = undefined;
    // Stryker disable next-line ConditionalExpression: packCandidates does the same over a reliable transport, where nothing is in flight to resend
    if (this.options.transportReliable) {
      this.packNewUnits(packets, nowMs); // nothing is ever resent
    } else {
      this.packCandidates(packets, nowMs);
    }
    const current = this.packing as PacketDraft | undefined;
    if (current) {
      this.coalesceHeld(current, nowMs);
      // Copies that do not fit may take one more packet, while the send budget is over half full.
      if (this.fillWithEarlyResends(current, nowMs) && this.budgetBytes > this.budgetCapacity / 2) {
        packets.push(this.finishPacket(current, nowMs));
        this.packing = this.startPacket(nowMs);
        this.fillWithEarlyResends(this.packing, nowMs);
      }
    }
    if (this.packing) packets.push(this.finishPacket(this.packing, nowMs));
    this.packing = undefined;
    this.compactQueues();
    const pingDue = nowMs >= this.pingDueAtMs();
    if (pingDue || (packets.length === 0 && this.flushRequested)) {
      // A keepalive pings: the peer acknowledges it (over datagrams at its next update), so it also
      // measures RTT and loss while nothing else is sent.
      const keepalive = this.startPacket(nowMs);
      writeEntry(this.writer, PING_ENTRY);
      packets.push(this.finishPacket(keepalive, nowMs));
    }
    // Acks not carried by this update's packets go in ack-only packets. Those elicit no ack in turn
    // (acks of acks would ping-pong), so they are not measured. A reliable transport loses nothing,
    // and needs no more acks than its other packets carry.
    if (this.options.transportReliable) this.received.endUpdate(true);
    for (
      let base = this.received.nextUncarriedBase();
      base !== undefined;
      base = this.received.nextUncarriedBase()
    ) {
      packets.push(this.finishPacket(this.startPacket(nowMs, base, false), nowMs));
    }
    this.received.endUpdate(false);
    this.flushRequested = false;
    this.settleLostPackets(nowMs);
    return packets;
  }

  /**
   * When `update` may next have something to do, if nothing is sent or received before then: now
   * (returns `nowMs`) unless the endpoint is idle, else the next keepalive or the timeout. Lets a
   * server skip the updates of its idle connections.
   */
  nextUpdateMs(nowMs: number): number {
    if (this.currentState !== 'connected') return Number.POSITIVE_INFINITY;
    if (!this.idle(nowMs) || this.oldestUnresolved !== this.sequence) return nowMs;
    return Math.min(this.pingDueAtMs(), this.lastReceivedMs + this.options.timeoutMs + 1);
  }

  stats(nowMs: number): EndpointStats {
    let queued = 0;
    let unacked = 0;
    for (const channel of this.channels) {
      queued += channel.queue.length - channel.queueHead;
      unacked += channel.inFlight.size;
    }
    const traffic = this.traffic.perSecond(nowMs);
    return {
      rttMs: this.rtt.smoothedMs,
      rttVarianceMs: this.rtt.varianceMs,
      bestRttMs: this.rtt.bestMs,
      worstRttMs: this.rtt.worstMs,
      packetLossPercent: this.loss.percent,
      packetsLost: this.loss.totalLost,
      bytesOutPerSecond: traffic.bytesOut,
      bytesInPerSecond: traffic.bytesIn,
      packetsOutPerSecond: traffic.packetsOut,
      packetsInPerSecond: traffic.packetsIn,
      sendQueueLength: queued,
      unackedReliable: unacked,
      resends: this.resends,
      packetsSent: this.packetsSent,
      packetsReceived: this.packetsReceived,
      duplicatePackets: this.duplicatePackets,
      stalePackets: this.stalePackets,
      malformedPackets: this.malformedPackets,
      degradedSends: this.degradedSends,
      rejectedMessages: this.rejectedMessages,
    };
  }

  /**
   * Nothing to send this update: no queued or unacknowledged units, no acks owed and no ping due. (A
   * flush is only ever asked for with a unit queued.) Servers update every connection every few ms;
   * most have nothing to do.
   */
  private idle(nowMs: number): boolean {
    if (this.received.owesAcks || nowMs >= this.pingDueAtMs()) return false;
    for (const sender of this.channels) {
      if (sender.queueHead !== sender.queue.length || sender.inFlight.size !== 0) return false;
    }
    return true;
  }

  private hasQueuedUnits(): boolean {
    return this.unsentUnits !== 0;
  }

  /** True when one more data packet would overwrite the record of a packet not yet acked or lost. */
  private historyFull(): boolean {
    return sequenceDelta(this.oldestUnresolved, this.sequence) >= PACKET_HISTORY - 1;
  }

  private refillBudget(nowMs: number): void {
    const elapsedMs = Math.max(0, nowMs - this.budgetUpdatedMs);
    this.budgetBytes = Math.min(this.budgetCapacity, this.budgetBytes + elapsedMs * this.sendRateBytesPerMs);
    this.budgetUpdatedMs = nowMs;
  }

  /**
   * Writes a unit into the packet being packed (this.packing), finishing it into `packets` and
   * starting another when full. Returns false, packing nothing, once the send budget or the packet
   * history is exhausted.
   */
  private pack(packets: Uint8Array[], channel: number, unit: OutgoingUnit, nowMs: number): boolean {
    if (!this.packing || this.writer.remaining < entrySize(unit.entry)) {
      if (this.packing) packets.push(this.finishPacket(this.packing, nowMs));
      this.packing = undefined;
      // Stryker disable next-line BooleanLiteral: answering true only lets the loops go on, finding no room for each unit in turn
      if (this.budgetBytes <= 0 || this.historyFull()) return false;
      this.packing = this.startPacket(nowMs);
    }
    writeEntry(this.writer, unit.entry);
    this.markSent(this.packing, channel, unit, nowMs);
    return true;
  }

  /** New units that are due, channel by channel in priority order (a reliable transport: no resends). */
  private packNewUnits(packets: Uint8Array[], nowMs: number): void {
    for (const channel of this.order) {
      const sender = this.channels[channel]!;
      for (let i = sender.queueHead; i < sender.queue.length; i++) {
        const unit = sender.queue[i]!;
        if (unit.notBeforeMs > nowMs) break;
        if (!this.pack(packets, channel, unit, nowMs)) return;
      }
    }
  }

  /**
   * Packs due resends, then new units, channel by channel in priority order, until the send budget
   * or the packet history runs out. (Plain loops, not a generator: this runs at every update.)
   */
  private packCandidates(packets: Uint8Array[], nowMs: number): void {
    const resendAfterMs = this.ackWait.timeoutMs(
      this.options.minResendMs,
      this.options.maxResendMs,
      this.options.initialResendMs,
    );
    for (let c = 0; c < this.order.length; c++) {
      const channel = this.order[c]!;
      const sender = this.channels[channel]!;
      // Stryker disable next-line ConditionalExpression: an unreliable channel has nothing in flight, so neither the resend loop nor the window holds it back
      const reliable = sender.entryKind === EntryKind.Reliable;
      // Stryker disable next-line ConditionalExpression,LogicalOperator: saves an iterator per channel per update; an unreliable channel's in-flight map is always empty, so the loop would send nothing either
      if (reliable && sender.inFlight.size !== 0) {
        // Packing a resend changes no in-flight set (only first sends enter it): safe to iterate.
        for (const unit of sender.inFlight.values()) {
          // Back off exponentially per unit, so a burst on a bad link does not turn into a resend storm.
          const timerResends = unit.sends - 1 - unit.earlyCopies;
          const backoff = 2 ** Math.min(timerResends, MAX_RESEND_BACKOFF_DOUBLINGS);
          const waitMs = Math.min(this.options.maxResendMs, resendAfterMs * backoff);
          if (nowMs - unit.lastSentMs >= waitMs && !this.pack(packets, channel, unit, nowMs)) return;
        }
      }
      for (let i = sender.queueHead; i < sender.queue.length; i++) {
        const unit = sender.queue[i]!;
        if (unit.notBeforeMs > nowMs) break;
        if (reliable && !this.windowAllows(sender, unit)) break;
        if (!this.pack(packets, channel, unit, nowMs)) return;
      }
    }
  }

  /** Whether `unit` is within RELIABLE_WINDOW ids of the oldest unit in flight on its channel. */
  private windowAllows(sender: ChannelSender, unit: OutgoingUnit): boolean {
    // Stryker disable next-line ConditionalExpression: with nothing in flight the delta below is from undefined: NaN & 0xffff is 0, and −32768 is inside the window
    if (sender.inFlight.size === 0) return true;
    const oldest = sender.inFlight.keys().next().value!;
    return sequenceDelta(oldest, unit.entry.id) < RELIABLE_WINDOW;
  }

  /** Buffered units not yet due ride along if the last packet has room for them. */
  private coalesceHeld(packet: PacketDraft, nowMs: number): void {
    for (const channel of this.order) {
      const sender = this.channels[channel]!;
      for (let i = sender.queueHead; i < sender.queue.length; i++) {
        const unit = sender.queue[i]!;
        if (unit.sends > 0) continue;
        if (entrySize(unit.entry) > this.writer.remaining) return;
        // Stryker disable next-line ConditionalExpression: an unreliable channel has nothing in flight, so the window allows it
        if (sender.entryKind === EntryKind.Reliable && !this.windowAllows(sender, unit)) break;
        writeEntry(this.writer, unit.entry);
        this.markSent(packet, channel, unit, nowMs);
      }
    }
  }

  /**
   * Room left in a packet that is going out anyway carries reliable units still unacknowledged after a
   * tenth of the RTT (at least EARLY_RESEND_MIN_MS), up to EARLY_RESEND_COPIES times per unit. This
   * turns most losses into a delay of one update instead of a retransmission timeout, which on an
   * ordered channel also shortens the head-of-line wait.
   */
  /** Returns true when it stopped for lack of room with copies still due. */
  private fillWithEarlyResends(packet: PacketDraft, nowMs: number): boolean {
    if (!this.options.earlyResends || this.options.transportReliable) return false;
    const waitMs = Math.max(EARLY_RESEND_MIN_MS, this.ackWait.smoothedMs / 10);
    // First copies before second ones, newest first: older units are about to be acknowledged (or
    // resent on their timer), so room is best spent on the ones whose fate is least known.
    const units = this.inFlightScratch;
    try {
      for (let sends = 1; sends <= EARLY_RESEND_COPIES; sends++) {
        for (let c = 0; c < this.order.length; c++) {
          const channel = this.order[c]!;
          const sender = this.channels[channel]!;
          // Stryker disable next-line ConditionalExpression,LogicalOperator: a shortcut; an unreliable or empty in-flight map has no unit to copy, so the loops below would copy nothing either
          if (sender.entryKind !== EntryKind.Reliable || sender.inFlight.size === 0) continue;
          units.length = 0;
          for (const unit of sender.inFlight.values()) units.push(unit);
          for (let i = units.length - 1; i >= 0; i--) {
            const unit = units[i]!;
            if (unit.sends !== sends || nowMs - unit.lastSentMs < waitMs) continue;
            if (entrySize(unit.entry) > this.writer.remaining) return true;
            writeEntry(this.writer, unit.entry);
            this.markSent(packet, channel, unit, nowMs);
            unit.earlyCopies++;
          }
        }
      }
      return false;
    } finally {
      units.length = 0; // holds no unit past the call
    }
  }

  /** When a keepalive ping is due: after `keepaliveMs` without sending anything. */
  private pingDueAtMs(): number {
    return this.lastSentMs + this.options.keepaliveMs;
  }

  /**
   * Starts a packet acknowledging the 32 packets up to `ackBase` (default: the newest received).
   * The first packet to acknowledge the peer's newest also says how long after its arrival it leaves
   * (a held time), so the peer times the link's round trip without the wait for this side's next
   * update or packet (PROTOCOL.md §9.3).
   */
  private startPacket(nowMs: number, ackBase?: number, measured = true): PacketDraft {
    this.writer.reset(this.options.headroomBytes);
    const { ack, ackBits } = this.received.ackFields(ackBase);
    writeHeader(this.writer, { sequence: this.sequence, ack, ackBits });
    const newest = this.received.newestSequence;
    // (ack === newest implies a packet was received: with none, newest is −1 and ack 0.)
    if (ack === newest && this.heldReportedFor !== newest) {
      // Clamped: a wall clock may step back, and an out-of-range held time would void the packet.
      const heldMs = Math.min(MAX_HELD_MS, Math.max(0, Math.floor(nowMs - this.newestArrivedAtMs)));
      writeHeld(this.writer, heldMs);
      this.heldReportedFor = newest;
    }
    this.draft.reliable = undefined;
    this.draft.measured = measured;
    return this.draft;
  }

  private markSent(packet: PacketDraft, channel: number, unit: OutgoingUnit, nowMs: number): void {
    const sender = this.channels[channel]!;
    if (unit.sends === 0) {
      // First transmission: the unit leaves the queue (it is a prefix of it, compacted later).
      this.unsentUnits--;
      if (sender.entryKind === EntryKind.Reliable && !this.options.transportReliable) {
        sender.inFlight.set(unit.entry.id, unit);
      } else {
        this.queuedBytes -= unit.entry.payload.length;
      }
    } else {
      this.resends++;
    }
    unit.sends++;
    unit.lastSentMs = nowMs;
    if (sender.entryKind === EntryKind.Reliable && !this.options.transportReliable) {
      packet.reliable ??= [];
      packet.reliable.push(unit);
    }
  }

  private finishPacket(packet: PacketDraft, nowMs: number): Uint8Array {
    const bytes = this.writer.toBytes();
    // Kept for its ack, which measures RTT. A reliable transport delivers it: settled at once, and
    // never counted lost (the loss window, left empty, reads 0%).
    const sequence = this.sequence;
    this.sent.record(sequence, nowMs, packet.measured, packet.reliable);
    packet.reliable = undefined;
    this.sequence = nextSequence(sequence);
    if (this.options.transportReliable) this.oldestUnresolved = this.sequence;
    this.lastSentMs = nowMs;
    const size = bytes.length - this.options.headroomBytes;
    if (size > PACKET_HEADER_BYTES) this.budgetBytes -= size;
    this.packetsSent++;
    this.traffic.sent(nowMs, size);
    return bytes;
  }

  /** Drops the sent prefix of each queue. */
  private compactQueues(): void {
    for (const sender of this.channels) {
      while (sender.queueHead < sender.queue.length && sender.queue[sender.queueHead]!.sends > 0)
        sender.queueHead++;
      // Stryker disable next-line ConditionalExpression,BlockStatement: memory only; a queue never emptied still sends from queueHead on
      if (sender.queueHead === sender.queue.length) {
        sender.queue.length = 0;
        sender.queueHead = 0;
        // Stryker disable next-line ConditionalExpression,EqualityOperator,BlockStatement: memory only; splicing the sent prefix sooner, later or never sends the same units
      } else if (sender.queueHead > 1024) {
        sender.queue.splice(0, sender.queueHead);
        sender.queueHead = 0;
      }
    }
  }

  /**
   * Acknowledges the packets the header names: their reliable units are delivered. The link's round
   * trip is timed from `ack` alone, when newly acknowledged and reported with a held time (`heldMs`),
   * less that time. Over datagrams every newly acknowledged packet that asked for an ack also times
   * the ack wait (ackWait), and one already counted lost is counted delivered after all.
   */
  private processAcks(ack: number, ackBits: number, heldMs: number | undefined, nowMs: number): void {
    for (let i = 0; i < 32; i++) {
      if (((ackBits >>> i) & 1) === 0) continue;
      const sequence = (ack - i) & 0xffff;
      if (!this.sent.has(sequence) || !this.sent.acknowledge(sequence)) continue;
      const roundTripMs = nowMs - this.sent.sentAtMs(sequence);
      // Whole-ms clocks on both sides put an honest held time at most 1 ms past the round trip.
      if (i === 0 && heldMs !== undefined && heldMs <= roundTripMs + 1) {
        this.rtt.add(Math.max(0, roundTripMs - heldMs));
      }
      // An unmeasured (ack-only) packet asked for no ack: when its ack comes says nothing.
      if (!this.transportReliable && this.sent.isMeasured(sequence)) {
        this.ackWait.add(roundTripMs);
        if (this.sent.isCountedLost(sequence)) this.loss.recant(sequence);
      }
      const carried = this.sent.takeCarried(sequence);
      if (carried === undefined) continue;
      for (let k = 0; k < carried.length; k++) {
        const unit = carried[k]!;
        const sender = this.channels[unit.entry.channel]!;
        if (sender.inFlight.get(unit.entry.id) === unit) {
          sender.inFlight.delete(unit.entry.id);
          this.queuedBytes -= unit.entry.payload.length;
        }
      }
    }
  }

  /**
   * Settles packets in send order, so the loss window covers the most recent packets sent: an acked
   * packet counts as delivered, one unacknowledged for twice the retransmission timeout as lost (its
   * reliable units are resent on their own timers, and a late ack still delivers them and takes the
   * loss back, see processAcks).
   */
  private settleLostPackets(nowMs: number): void {
    const lostAfterMs =
      2 *
      this.ackWait.timeoutMs(
        this.options.minResendMs,
        this.options.maxResendMs,
        this.options.initialResendMs,
      );
    while (this.oldestUnresolved !== this.sequence) {
      const oldest = this.oldestUnresolved;
      if (this.sent.has(oldest)) {
        const acked = this.sent.isAcked(oldest);
        if (!acked && nowMs - this.sent.sentAtMs(oldest) < lostAfterMs) return;
        if (this.sent.isMeasured(oldest)) {
          this.loss.record(oldest, !acked);
          if (!acked) this.sent.countLost(oldest);
        }
      }
      this.oldestUnresolved = nextSequence(this.oldestUnresolved);
    }
  }
}
