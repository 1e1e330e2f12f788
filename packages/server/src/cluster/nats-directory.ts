import type { KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
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

/** JetStream's "wrong last sequence": the compare-and-set of a create or an update failed. */
const WRONG_LAST_SEQUENCE = 10071;

/**
 * The directory on NATS JetStream key/value buckets (decision 0028): one bucket per directory, one
 * value kept per key, the bucket's TTL for `ttlMs`. A revision is the bucket stream's sequence. The
 * NATS client's key/value module loads with the first directory, not with the server package.
 */
export class NatsDirectories implements Directories {
  private kvm: Kvm | undefined;

  constructor(private readonly connection: NatsConnection) {}

  async directory(name: string, options: DirectoryOptions = {}): Promise<Directory> {
    checkBucket(name);
    this.kvm ??= new (await import('@nats-io/kv')).Kvm(this.connection);
    const kv = await this.kvm.create(name, {
      history: 1,
      ...(options.ttlMs === undefined ? {} : { ttl: options.ttlMs }),
    });
    return new NatsDirectory(kv);
  }
}

class NatsDirectory implements Directory {
  constructor(private readonly kv: KV) {}

  async get(key: string): Promise<DirectoryEntry | undefined> {
    checkEntry(key);
    const entry = await this.kv.get(key);
    if (entry?.operation !== 'PUT') return undefined;
    return { key, value: entry.value, revision: entry.revision };
  }

  async create(key: string, value: Uint8Array): Promise<number> {
    checkEntry(key, value);
    return refusingConflicts(this.kv.create(key, value), key, 'no entry');
  }

  async update(key: string, value: Uint8Array, revision: number): Promise<number> {
    checkEntry(key, value);
    return refusingConflicts(this.kv.update(key, value, revision), key, `revision ${revision}`);
  }

  async put(key: string, value: Uint8Array): Promise<number> {
    checkEntry(key, value);
    return this.kv.put(key, value);
  }

  async delete(key: string, revision?: number): Promise<void> {
    checkEntry(key);
    const removal = this.kv.delete(key, revision === undefined ? {} : { previousSeq: revision });
    await refusingConflicts(
      removal.then(() => 0),
      key,
      `revision ${revision}`,
    );
  }

  async watch(handler: (change: DirectoryChange) => void): Promise<() => Promise<void>> {
    const changes = await this.kv.watch();
    void (async () => {
      try {
        for await (const entry of changes) {
          handler({
            key: entry.key,
            value: entry.operation === 'PUT' ? entry.value.slice() : undefined,
            revision: entry.revision,
          });
        }
      } catch {
        // The watch ended with its connection (closing, or the engine gone): a watcher that stops
        // hearing starts again (ShardMembership does).
      }
    })();
    return async () => changes.stop();
  }

  async keys(): Promise<string[]> {
    const keys: string[] = [];
    for await (const key of await this.kv.keys()) keys.push(key);
    return keys;
  }
}

async function refusingConflicts(write: Promise<number>, key: string, expected: string): Promise<number> {
  try {
    return await write;
  } catch (error) {
    // JetStreamApiError, told by its name so that its module need not load with this one.
    const apiError = error as { name?: unknown; code?: unknown };
    if (apiError.name === 'JetStreamApiError' && apiError.code === WRONG_LAST_SEQUENCE) {
      throw conflict(key, expected);
    }
    throw error;
  }
}
