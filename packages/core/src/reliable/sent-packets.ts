import { PACKET_HISTORY } from './limits.js';

const ACKED = 1;
const MEASURED = 2;
const COUNTED_LOST = 4;

/**
 * What an endpoint remembers of each data packet it sent, for the last PACKET_HISTORY sequences (a
 * sequence buffer, as in Fiedler's `reliable`): when it left (ms), whether it is acknowledged,
 * whether it asked for an ack (measured), whether loss statistics counted it lost, and what an ack
 * settles (`Carried`: the reliable units it carried over datagrams). Typed rings rather than an
 * object per packet: a record lives for thousands of packets, so objects would outlive the young
 * generation and make every send cost the garbage collector.
 */
export class SentPackets<Carried> {
  private readonly sequences = new Int32Array(PACKET_HISTORY).fill(-1);
  private readonly sentAt = new Float64Array(PACKET_HISTORY);
  private readonly flags = new Uint8Array(PACKET_HISTORY);
  // Stryker disable next-line ArrayDeclaration: an empty array reads undefined in every slot too (this one is packed from the start)
  private readonly carried: (Carried | undefined)[] = new Array(PACKET_HISTORY).fill(undefined);

  /** Records packet `sequence`, replacing whatever its slot held. */
  record(sequence: number, sentAtMs: number, measured: boolean, carried: Carried | undefined): void {
    const slot = sequence % PACKET_HISTORY;
    this.sequences[slot] = sequence;
    this.sentAt[slot] = sentAtMs;
    this.flags[slot] = measured ? MEASURED : 0;
    this.carried[slot] = carried;
  }

  /** Whether packet `sequence` is still remembered. The other reads assume it is. */
  has(sequence: number): boolean {
    return this.sequences[sequence % PACKET_HISTORY] === sequence;
  }

  sentAtMs(sequence: number): number {
    return this.sentAt[sequence % PACKET_HISTORY]!;
  }

  isAcked(sequence: number): boolean {
    return (this.flags[sequence % PACKET_HISTORY]! & ACKED) !== 0;
  }

  /** Whether the packet asked for an ack, so that its ack says something about the link. */
  isMeasured(sequence: number): boolean {
    return (this.flags[sequence % PACKET_HISTORY]! & MEASURED) !== 0;
  }

  /** Whether loss statistics counted it lost (countLost): an ack arriving now takes that back. */
  isCountedLost(sequence: number): boolean {
    return (this.flags[sequence % PACKET_HISTORY]! & COUNTED_LOST) !== 0;
  }

  countLost(sequence: number): void {
    this.flags[sequence % PACKET_HISTORY]! |= COUNTED_LOST;
  }

  /** Marks it acknowledged; true the first time. */
  acknowledge(sequence: number): boolean {
    const slot = sequence % PACKET_HISTORY;
    if ((this.flags[slot]! & ACKED) !== 0) return false;
    this.flags[slot]! |= ACKED;
    return true;
  }

  /** What it carried, handed over once (undefined afterwards). */
  takeCarried(sequence: number): Carried | undefined {
    const slot = sequence % PACKET_HISTORY;
    const carried = this.carried[slot];
    this.carried[slot] = undefined;
    return carried;
  }
}
