/** How soon to look again when a world had no tick due yet (ms). */
const RETRY_MS = 2;

/**
 * Calls `tick` when a world's ticks fall due, from `startMs` (its creation, ms since the epoch) every
 * `periodMs`, once for any periods missed meanwhile; returns a stop function. `tick` says whether
 * a tick was due: if none was (Node fired the timer a little early, or the world skipped time after
 * a stall), it is called again RETRY_MS later, and the next ones are timed from when one was. A
 * server driving its worlds this way wakes once per tick, where polling every 5 ms wakes it ten
 * times per 20 Hz tick, and a wake-up from idle costs more CPU than a quiet tick's work.
 */
export function everyTick(startMs: number, periodMs: number, tick: () => boolean): () => void {
  let nextMs = startMs + periodMs;
  let retried = false;
  let timer: ReturnType<typeof setTimeout>;
  const arm = () => {
    timer = setTimeout(
      () => {
        if (!tick()) {
          retried = true;
          nextMs = Date.now() + RETRY_MS;
        } else {
          const nowMs = Date.now();
          nextMs = retried ? nowMs + periodMs : nextMs + periodMs;
          while (nextMs <= nowMs) nextMs += periodMs;
          retried = false;
        }
        arm();
      },
      Math.max(0, nextMs - Date.now()),
    );
  };
  arm();
  return () => clearTimeout(timer);
}
