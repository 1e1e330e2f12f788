import type { ClusterEngine } from '@shardline/server';
import { ShardlineError } from '@shardline/server';

/** What happens to one request the rule matches. */
export type Fault =
  /** Never delivered: the requester times out. */
  | 'lose-request'
  /** Delivered and handled, but the reply is lost: the requester times out. */
  | 'lose-reply'
  /** Delivered twice (the second copy right after the first is answered): the first reply counts. */
  | 'duplicate'
  /** Delivered only after the requester has given up (its time limit, then `lateByMs` more). */
  | 'late'
  /** Delivered `lateByMs` late, within the time limit: answered slowly. */
  | 'slow';

export interface FaultRule {
  /** Which requests: their subject contains this, and their JSON `op` is this (if given). */
  subject: string;
  op?: string;
  fault: Fault;
  /** How many matching requests it applies to (then it stops). Default 1. */
  times?: number;
  lateByMs?: number;
}

/**
 * A cluster engine member whose requests can be lost, repeated or delivered late, by rule: the
 * link conditioner of shard-to-shard messages. Everything else passes through. `seen` counts the
 * matching requests each rule touched.
 */
export class FaultyEngine implements ClusterEngine {
  readonly rules: (FaultRule & { seen: number })[] = [];
  /** Deliveries made late or twice that are still in flight (a test awaits them). */
  readonly stragglers: Promise<unknown>[] = [];

  constructor(private readonly inner: ClusterEngine) {}

  get bus() {
    return this.inner.bus;
  }

  get directories() {
    return this.inner.directories;
  }

  add(rule: FaultRule): FaultRule & { seen: number } {
    const added = { ...rule, seen: 0 };
    this.rules.push(added);
    return added;
  }

  async request(subject: string, payload: Uint8Array, timeoutMs: number): Promise<Uint8Array> {
    const rule = this.match(subject, payload);
    if (!rule) return this.inner.request(subject, payload, timeoutMs);
    rule.seen++;
    const timedOut = () =>
      new ShardlineError('CLUSTER_TIMEOUT', `no reply on ${subject} within ${timeoutMs} ms (fault)`);
    switch (rule.fault) {
      case 'lose-request':
        await sleep(timeoutMs);
        throw timedOut();
      case 'lose-reply': {
        const delivered = this.inner.request(subject, payload, timeoutMs).catch(() => undefined);
        this.stragglers.push(delivered);
        await Promise.all([delivered, sleep(timeoutMs)]);
        throw timedOut();
      }
      case 'duplicate': {
        const first = await this.inner.request(subject, payload, timeoutMs);
        this.stragglers.push(this.inner.request(subject, payload, timeoutMs).catch((error) => error));
        return first;
      }
      case 'slow':
        await sleep(rule.lateByMs ?? 50);
        return this.inner.request(subject, payload, timeoutMs);
      case 'late': {
        const late = sleep(timeoutMs + (rule.lateByMs ?? 50)).then(() =>
          this.inner.request(subject, payload, timeoutMs).catch((error) => error),
        );
        this.stragglers.push(late);
        await sleep(timeoutMs);
        throw timedOut();
      }
    }
  }

  serve(...args: Parameters<ClusterEngine['serve']>) {
    return this.inner.serve(...args);
  }

  eventLog(...args: Parameters<ClusterEngine['eventLog']>) {
    return this.inner.eventLog(...args);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private match(subject: string, payload: Uint8Array): (FaultRule & { seen: number }) | undefined {
    return this.rules.find((rule) => {
      if (rule.seen >= (rule.times ?? 1) || !subject.includes(rule.subject)) return false;
      if (rule.op === undefined) return true;
      try {
        return (JSON.parse(new TextDecoder().decode(payload)) as { op?: unknown }).op === rule.op;
      } catch {
        return false;
      }
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
