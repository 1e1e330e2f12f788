import { JetStreamApiError } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import {
  checkBucket,
  checkEntry,
  conflict,
  type Directory,
  type DirectoryEntry,
  type DirectoryOptions,
} from './directory.js';

/** JetStream's "wrong last sequence": the compare-and-set of a create or an update failed. */
const WRONG_LAST_SEQUENCE = 10071;

/**
 * The directory on NATS JetStream key/value buckets (decision 0028): one bucket per directory, one
 * value kept per key, the bucket's TTL for `ttlMs`. A revision is the bucket stream's sequence.
 */
export class NatsDirectories {
  private readonly kvm: Kvm;

  constructor(connection: NatsConnection) {
    this.kvm = new Kvm(connection);
  }

  async directory(name: string, options: DirectoryOptions = {}): Promise<Directory> {
    checkBucket(name);
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

  async delete(key: string): Promise<void> {
    checkEntry(key);
    await this.kv.delete(key);
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
    if (error instanceof JetStreamApiError && error.code === WRONG_LAST_SEQUENCE)
      throw conflict(key, expected);
    throw error;
  }
}
