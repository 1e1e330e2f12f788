import {
  decodeLocation,
  decodePlayerRecord,
  encodeLocation,
  encodePlayerRecord,
  type PlayerLocation,
} from '@shardline/server';
import { ContractViolation, checkRoundTrip, type FuzzTarget } from '../target.js';

// What one shard reads that another wrote (docs/cluster/CLUSTER.md §8): player directory
// locations and player records. Another shard is not trusted: anything malformed is refused.

const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value));

/** A player directory location: a value or undefined, never an exception. */
export const playerLocationTarget: FuzzTarget = {
  name: 'player-location',
  weight: 1,
  corpus: [
    encodeLocation({ state: 'in', world: 'forest', shard: 'forest', fence: 12 }),
    encodeLocation({ state: 'in', world: 'caves', shard: 'caves', fence: 40, transfer: 'Xa9_b' }),
    encodeLocation({
      state: 'leaving',
      world: 'forest',
      shard: 'forest',
      fence: 12,
      transfer: 'Xa9_b',
      to: { world: 'caves', portal: 'stairs', shard: 'caves' },
      atMs: 1_765_000_000_000,
    }),
  ],
  decode: (input) => {
    let location: PlayerLocation | undefined;
    try {
      location = decodeLocation(input);
    } catch (error) {
      throw new ContractViolation(`decodeLocation threw: ${String(error)}`);
    }
    return location && checkRoundTrip(location, encodeLocation, (bytes) => decodeLocation(bytes)!);
  },
};

/** A player record: decoded, or VALUE_INVALID. */
export const playerRecordTarget: FuzzTarget = {
  name: 'player-record',
  weight: 1,
  corpus: [
    json({ entities: [], data: {} }),
    json({
      entities: [{ id: 7, schema: 'Body', state: 'AAEC' }],
      data: { items: ['sword', 'shield'], hp: 40 },
      movedAtMs: 1_765_000_000_000,
      via: { portal: 'stairs', from: { world: 'forest', portal: 'sinkhole' } },
    }),
  ],
  decode: (input) => checkRoundTrip(decodePlayerRecord(input), encodePlayerRecord, decodePlayerRecord),
};
