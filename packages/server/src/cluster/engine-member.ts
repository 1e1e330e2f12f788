import { closedError } from '../bus/checks.js';
import type { Unsubscribe } from '../bus/index.js';

/**
 * What an engine member keeps for itself: whether it is closed, and what to stop when it closes
 * (servers, followers). Each engine's member holds one.
 */
export class EngineMember {
  private readonly stops = new Set<Unsubscribe>();
  private closed = false;

  constructor(readonly onHandlerError: (error: unknown, where: string) => void) {}

  /** BUS_CLOSED once the member is closed. */
  checkOpen(): void {
    if (this.closed) throw closedError();
  }

  /** `stop`, run once: by whoever holds the result, or when the member closes. */
  track(stop: Unsubscribe): Unsubscribe {
    let done = false;
    const once = async () => {
      if (done) return;
      done = true;
      this.stops.delete(once);
      await stop();
    };
    this.stops.add(once);
    return once;
  }

  /** Marks the member closed and runs every tracked stop; false if it was closed already. */
  async close(): Promise<boolean> {
    if (this.closed) return false;
    this.closed = true;
    for (const stop of [...this.stops]) await stop();
    return true;
  }
}
