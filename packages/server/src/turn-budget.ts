/** What a TurnBudget lets through, per peer per event-loop turn, and holds back. */
export interface TurnBudgetOptions {
  /** Datagrams a peer has handled per event-loop turn; its excess waits for later turns. Default 8. */
  perTurn?: number;
  /** Datagrams of a peer's excess held at most; past it, the newest are dropped (and counted). Default 256. */
  backlog?: number;
}

/** Datagrams held back and dropped by a TurnBudget since it started. */
export interface TurnBudgetStats {
  /** Handed over in a later turn than the one they arrived in. */
  deferred: number;
  /** Dropped: the peer's backlog was full. */
  dropped: number;
}

interface PeerTurn {
  /** Datagrams handled in the current turn. */
  used: number;
  /** Held back, oldest first. */
  backlog: Uint8Array[];
}

/**
 * Fair service over a shared socket: hands each peer's datagrams to `handle` as they come, but at
 * most `perTurn` of one peer's in one event-loop turn; the rest wait in that peer's backlog and
 * go, `perTurn` per turn, from a setImmediate (after the turn's I/O, before the next one's
 * timers). A flooding peer then holds the loop for `perTurn` datagrams a turn, while every other
 * peer's datagram of the turn is handled in it. For a lossy transport only: a full backlog drops
 * (the reliable layer above resends what mattered).
 */
export class TurnBudget {
  readonly stats: TurnBudgetStats = { deferred: 0, dropped: 0 };
  private readonly perTurn: number;
  private readonly backlogLimit: number;
  private readonly peers = new Map<string, PeerTurn>();
  private scheduled = false;

  constructor(
    private readonly handle: (peer: string, datagram: Uint8Array) => void,
    options: TurnBudgetOptions = {},
  ) {
    this.perTurn = options.perTurn ?? 8;
    this.backlogLimit = options.backlog ?? 256;
  }

  receive(peer: string, datagram: Uint8Array): void {
    let turn = this.peers.get(peer);
    if (!turn) {
      turn = { used: 0, backlog: [] };
      this.peers.set(peer, turn);
    }
    this.schedule();
    if (turn.used < this.perTurn && turn.backlog.length === 0) {
      turn.used++;
      this.handle(peer, datagram);
    } else if (turn.backlog.length < this.backlogLimit) {
      turn.backlog.push(datagram);
      this.stats.deferred++;
    } else {
      this.stats.dropped++;
    }
  }

  /** Forgets every peer and what they held (the transport closed). */
  clear(): void {
    this.peers.clear();
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.nextTurn);
  }

  /** A new turn: every peer's count starts again, and each backlog gives up to perTurn datagrams. */
  private readonly nextTurn = () => {
    this.scheduled = false;
    for (const [peer, turn] of this.peers) {
      turn.used = 0;
      if (turn.backlog.length === 0) {
        this.peers.delete(peer);
        continue;
      }
      this.schedule();
      const taken = turn.backlog.splice(0, this.perTurn);
      turn.used = taken.length;
      for (const datagram of taken) this.handle(peer, datagram);
    }
  };
}
