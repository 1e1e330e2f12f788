import { isShardlineError, ShardlineError } from '@shardline/core';
import type { Directory } from './directory.js';

/**
 * A lease on one directory key (decision 0028), held by writing the key and kept by rewriting it
 * before the directory's TTL forgets it. Its fencing token is the revision it was taken at: a later
 * holder's token is always larger (revisions only grow), so whoever acts under a lease can be told
 * a newer holder exists.
 *
 * Contract: the directory holding leases has a TTL (the lease time); a holder renews at least once
 * per TTL — `keepRenewed` does so every third of it by default. A renewal that finds the key gone
 * or rewritten by someone else reports LEASE_LOST, and the holder must stop acting under it.
 */
export class Lease {
  private revisionNow: number;
  private timer: ReturnType<typeof setInterval> | undefined;
  private lost = false;

  private constructor(
    private readonly directory: Directory,
    readonly key: string,
    /** The fencing token: the revision the lease was taken at. */
    readonly token: number,
  ) {
    this.revisionNow = token;
  }

  /** Takes the lease if nobody holds it; undefined if someone does. */
  static async tryAcquire(directory: Directory, key: string, value: Uint8Array): Promise<Lease | undefined> {
    try {
      return new Lease(directory, key, await directory.create(key, value));
    } catch (error) {
      if (isShardlineError(error, 'DIRECTORY_CONFLICT')) return undefined;
      throw error;
    }
  }

  /** The revision of the lease's last write (the token, or a later renewal's). */
  get revision(): number {
    return this.revisionNow;
  }

  get held(): boolean {
    return !this.lost;
  }

  /** Rewrites the lease (with `value`, e.g. fresher player counts); LEASE_LOST if it is no longer ours. */
  async renew(value: Uint8Array): Promise<void> {
    if (this.lost) throw this.lostError();
    try {
      this.revisionNow = await this.directory.update(this.key, value, this.revisionNow);
    } catch (error) {
      if (!isShardlineError(error, 'DIRECTORY_CONFLICT')) throw error;
      this.lost = true;
      this.stop();
      throw this.lostError();
    }
  }

  /**
   * Renews every `everyMs` with what `value()` gives; `onLost` hears LEASE_LOST once if a renewal
   * finds it gone, `onError` any other failure (the engine unreachable: the next beat tries again).
   */
  keepRenewed(
    everyMs: number,
    value: () => Uint8Array,
    onLost: (error: ShardlineError) => void,
    onError: (error: unknown) => void,
  ): void {
    this.stop();
    let renewing = false;
    this.timer = setInterval(async () => {
      if (renewing) return; // a slow engine: never two renewals at once
      renewing = true;
      try {
        await this.renew(value());
      } catch (error) {
        if (isShardlineError(error, 'LEASE_LOST')) onLost(error);
        else onError(error);
      } finally {
        renewing = false;
      }
    }, everyMs);
    this.timer.unref?.();
  }

  /** Stops renewing and gives the lease up if it is still ours (another holder's is left alone). */
  async release(): Promise<void> {
    this.stop();
    if (this.lost) return;
    this.lost = true;
    try {
      await this.directory.delete(this.key, this.revisionNow);
    } catch (error) {
      if (!isShardlineError(error, 'DIRECTORY_CONFLICT')) throw error;
    }
  }

  /** Stops renewing (the lease runs out at its TTL): what a process that dies does. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private lostError(): ShardlineError {
    return new ShardlineError('LEASE_LOST', `the lease ${this.key} (token ${this.token}) is no longer held`, {
      key: this.key,
      token: this.token,
    });
  }
}
