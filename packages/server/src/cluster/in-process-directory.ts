import {
  checkBucket,
  checkEntry,
  conflict,
  type Directories,
  type Directory,
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
  }

  async keys(): Promise<string[]> {
    return [...this.entries.keys()].filter((key) => this.live(key));
  }

  private write(key: string, value: Uint8Array): number {
    this.revision++;
    this.entries.set(key, { value: value.slice(), revision: this.revision, writtenAtMs: Date.now() });
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
