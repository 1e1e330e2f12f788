import {
  checkBucket,
  checkEntry,
  conflict,
  type Directories,
  type Directory,
  type DirectoryChange,
  type DirectoryEntry,
  type DirectoryOptions,
} from './directory.js';

interface Stored {
  value: Uint8Array;
  revision: number;
  writtenAtMs: number;
}

/**
 * The directory inside one process, with the engine's semantics (directory.ts): one revision counter
 * per bucket, compare-and-set, and the bucket's TTL on the wall clock, applied when an entry is read
 * or listed. Shards in one process share one InProcessDirectories.
 */
export class InProcessDirectories implements Directories {
  private readonly buckets = new Map<string, InProcessDirectory>();

  async directory(name: string, options: DirectoryOptions = {}): Promise<Directory> {
    checkBucket(name);
    let bucket = this.buckets.get(name);
    if (!bucket) {
      bucket = new InProcessDirectory(options.ttlMs);
      this.buckets.set(name, bucket);
    }
    return bucket;
  }
}

class InProcessDirectory implements Directory {
  private readonly entries = new Map<string, Stored>();
  private readonly watchers = new Set<Watcher>();
  private revision = 0;

  constructor(private readonly ttlMs: number | undefined) {}

  async get(key: string): Promise<DirectoryEntry | undefined> {
    checkEntry(key);
    const stored = this.live(key);
    return stored && { key, value: stored.value.slice(), revision: stored.revision };
  }

  async create(key: string, value: Uint8Array): Promise<number> {
    checkEntry(key, value);
    if (this.live(key)) throw conflict(key, 'no entry');
    return this.write(key, value);
  }

  async update(key: string, value: Uint8Array, revision: number): Promise<number> {
    checkEntry(key, value);
    if (this.live(key)?.revision !== revision) throw conflict(key, `revision ${revision}`);
    return this.write(key, value);
  }

  async put(key: string, value: Uint8Array): Promise<number> {
    checkEntry(key, value);
    return this.write(key, value);
  }

  async delete(key: string, revision?: number): Promise<void> {
    checkEntry(key);
    if (revision !== undefined && this.live(key)?.revision !== revision) {
      throw conflict(key, `revision ${revision}`);
    }
    this.revision++; // a delete is a write, as the engine's delete marker is
    this.entries.delete(key);
    for (const watcher of this.watchers) watcher.push({ key, value: undefined, revision: this.revision });
  }

  async keys(): Promise<string[]> {
    return [...this.entries.keys()].filter((key) => this.live(key));
  }

  async watch(handler: (change: DirectoryChange) => void): Promise<() => Promise<void>> {
    const watcher = new Watcher(handler);
    const present = [...this.entries.keys()].flatMap((key) => {
      const stored = this.live(key);
      return stored ? [{ key, value: stored.value, revision: stored.revision }] : [];
    });
    for (const change of present.sort((a, b) => a.revision - b.revision)) watcher.push(change);
    this.watchers.add(watcher);
    return async () => {
      watcher.stopped = true;
      this.watchers.delete(watcher);
    };
  }

  private write(key: string, value: Uint8Array): number {
    this.revision++;
    this.entries.set(key, { value: value.slice(), revision: this.revision, writtenAtMs: Date.now() });
    for (const watcher of this.watchers) watcher.push({ key, value, revision: this.revision });
    return this.revision;
  }

  /** The entry if present and not expired (an expired one is dropped). */
  private live(key: string): Stored | undefined {
    const stored = this.entries.get(key);
    if (stored && this.ttlMs !== undefined && Date.now() - stored.writtenAtMs >= this.ttlMs) {
      this.entries.delete(key);
      return undefined;
    }
    return stored;
  }
}

/** One watch: changes handed over one at a time, on a later turn than the write, each a copy. */
class Watcher {
  private readonly queue: DirectoryChange[] = [];
  stopped = false;

  constructor(private readonly handler: (change: DirectoryChange) => void) {}

  push(change: DirectoryChange): void {
    if (this.queue.push({ ...change, value: change.value?.slice() }) > 1) return;
    setImmediate(() => {
      for (let next = this.queue.shift(); next && !this.stopped; next = this.queue.shift())
        this.handler(next);
      this.queue.length = 0;
    });
  }
}
