import { BitWriter } from '@shardline/core';
const w = new BitWriter({ initialBytes: 16384 });
const N = 20000;
let t = performance.now();
for (let i = 0; i < N; i++) { w.reset(); for (let k = 0; k < 900; k++) w.writeUint(k & 31, 5); }
console.log('900 writeUint(5) us', ((performance.now() - t) * 1000 / N).toFixed(2));
t = performance.now();
for (let i = 0; i < N; i++) { w.reset(); for (let k = 0; k < 300; k++) w.writeVarUint(k & 63, 4); }
console.log('300 writeVarUint(4) us', ((performance.now() - t) * 1000 / N).toFixed(2));
t = performance.now();
for (let i = 0; i < N; i++) { w.reset(); for (let k = 0; k < 300; k++) w.writeNonZeroUint((k & 63) + 1, 19); }
console.log('300 writeNonZeroUint us', ((performance.now() - t) * 1000 / N).toFixed(2));
