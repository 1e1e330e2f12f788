import { ShardlineContender } from '/work/main/bench/codec/contenders/shardline.js';
import { buildScenario } from '/work/main/bench/codec/scenario.js';
const s = buildScenario(6000);
const c = new ShardlineContender(s.initial);
let enc = 0, dec = 0;
for (const ch of s.ticks) { c.update(ch); let t0 = performance.now(); const b = c.encode(); let t1 = performance.now(); c.decode(b); let t2 = performance.now(); enc += t1 - t0; dec += t2 - t1; }
console.log('enc us/tick', (enc * 1000 / s.ticks.length).toFixed(1), 'dec', (dec * 1000 / s.ticks.length).toFixed(1));
