import { BitWriter, snapshotFromEntries } from '@shardline/core';
import { buildScenario } from './codec/scenario.js';
const s = buildScenario(20);
const before = snapshotFromEntries(s.initial.map((st, id) => [id, { ...st }]));
const values = before.values.slice();
s.ticks[0]!.ids.forEach((id, i) => { values[id] = { ...s.ticks[0]!.states[i]! }; });
const after = { ids: before.ids, values };
const w = new BitWriter({ initialBytes: 16384 });
const K = 524287 / 8192, A = 65536 / (2 * Math.PI);
const qx = (v: number) => Math.round((v + 4096) * K);
const qa = (r: number) => { const t = r / (2 * Math.PI); const c = Math.round((t - Math.floor(t)) * 65536); return c > 65535 ? 0 : c; };
function rel(d: number, bits: number) { const sh = 32 - bits; const diff = (d << sh) >> sh; const z = ((diff << 1) ^ (diff >> 31)) >>> 0; const L = 32 - Math.clz32(z); w.writeUint(L - 1, 5); if (L > 1) w.writeUint(z & (0xffffffff >>> (33 - L)), L - 1); }
const idx: number[] = [], masks: number[] = [];
function enc() {
  idx.length = 0; masks.length = 0;
  const cv = after.values, bv = before.values;
  for (let i = 0; i < cv.length; i++) {
    const a = cv[i]!, b = bv[i]!;
    if (a === b) continue;
    let m = 0;
    if (a.x !== b.x && qx(a.x) !== qx(b.x)) m |= 1;
    if (a.y !== b.y && qx(a.y) !== qx(b.y)) m |= 2;
    if (a.angle !== b.angle && qa(a.angle) !== qa(b.angle)) m |= 4;
    if (a.hp !== b.hp) m |= 8;
    if (m) { idx.push(i); masks.push(m); }
  }
  w.writeVarUint(0); w.writeVarUint(0); w.writeVarUint(idx.length);
  let prev = -1;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!, m = masks[k]!, a = cv[i]!, b = bv[i]!;
    w.writeVarUint(i - prev - 1, 4); prev = i;
    w.writeUint(m, 4);
    if (m & 1) rel(qx(a.x) - qx(b.x), 19);
    if (m & 2) rel(qx(a.y) - qx(b.y), 19);
    if (m & 4) rel(qa(a.angle) - qa(b.angle), 16);
    if (m & 8) w.writeUint(a.hp, 8);
  }
}
const N = 20000; let bytes = new Uint8Array();
let t = performance.now();
for (let i = 0; i < N; i++) { w.reset(); enc(); bytes = w.toBytes(); }
console.log('hand encode us', ((performance.now() - t) * 1000 / N).toFixed(2), bytes.length);
