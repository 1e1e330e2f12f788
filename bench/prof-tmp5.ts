import { BitReader, BitWriter, SnapshotCodec, snapshotFromEntries } from '@shardline/core';
import { Unit } from './codec/contenders/shardline.js';
import { buildScenario } from './codec/scenario.js';
const s = buildScenario(20);
const codec = new SnapshotCodec(Unit);
const before = snapshotFromEntries(s.initial.map((st, id) => [id, { ...st }]));
const values = before.values.slice();
s.ticks[0]!.ids.forEach((id, i) => { values[id] = { ...s.ticks[0]!.states[i]! }; });
const after = { ids: before.ids, values };
const w = new BitWriter({ initialBytes: 16384 });
w.reset(); codec.encode(w, after, before); const bytes = w.toBytes();
const N = 100000;
const t = performance.now();
for (let i = 0; i < N; i++) { codec.decode(new BitReader(bytes), before); }
console.log('decode us', ((performance.now() - t) * 1000 / N).toFixed(2));
