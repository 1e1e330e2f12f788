import { Worker } from 'node:worker_threads';

const NAME_BYTES = 64;
const MAX_INPUT_BYTES = 1 << 16;
/** Int32 slots: [0] inputs started, [1] input index, [2] name length, [3] input length, [4] finished. */
const SLOTS = 5;

/**
 * A hang detector on its own thread: the fuzz loop names each input before running it; when no new
 * input starts for `stallMs`, the watchdog prints the decoder, seed, index and input hex on stderr
 * and kills the process (a synchronous endless loop cannot be interrupted any other way).
 */
export class Watchdog {
  private readonly slots: Int32Array;
  private readonly name: Uint8Array;
  private readonly input: Uint8Array;
  private readonly worker: Worker;

  constructor(seed: number, stallMs: number) {
    const shared = new SharedArrayBuffer(SLOTS * 4 + NAME_BYTES + MAX_INPUT_BYTES);
    this.slots = new Int32Array(shared, 0, SLOTS);
    this.name = new Uint8Array(shared, SLOTS * 4, NAME_BYTES);
    this.input = new Uint8Array(shared, SLOTS * 4 + NAME_BYTES, MAX_INPUT_BYTES);
    this.worker = new Worker(WATCHDOG_SOURCE, {
      eval: true,
      workerData: { shared, seed, stallMs, SLOTS, NAME_BYTES },
    });
    this.worker.unref();
  }

  starting(decoder: string, index: number, input: Uint8Array): void {
    const name = new TextEncoder().encode(decoder).subarray(0, NAME_BYTES);
    this.name.set(name);
    const kept = input.subarray(0, MAX_INPUT_BYTES);
    this.input.set(kept);
    this.slots[1] = index;
    this.slots[2] = name.length;
    this.slots[3] = kept.length;
    Atomics.add(this.slots, 0, 1);
  }

  finished(): void {
    Atomics.store(this.slots, 4, 1);
    void this.worker.terminate();
  }
}

const WATCHDOG_SOURCE = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const { shared, seed, stallMs, SLOTS, NAME_BYTES } = workerData;
const slots = new Int32Array(shared, 0, SLOTS);
let seen = -1;
let since = Date.now();
setInterval(() => {
  if (Atomics.load(slots, 4) === 1) return;
  const started = Atomics.load(slots, 0);
  if (started !== seen) { seen = started; since = Date.now(); return; }
  if (Date.now() - since < stallMs) return;
  const name = Buffer.from(new Uint8Array(shared, SLOTS * 4, slots[2])).toString('utf8');
  const input = Buffer.from(new Uint8Array(shared, SLOTS * 4 + NAME_BYTES, slots[3])).toString('hex');
  writeSync(2, '\\nFUZZ HANG: ' + name + ' seed ' + seed + ' input ' + slots[1] + ' ran over ' + stallMs +
    ' ms\\n  replay: --seed ' + seed + ' --replay ' + name + ':' + slots[1] + '\\n  input: ' + input + '\\n');
  process.kill(process.pid, 'SIGKILL');
}, Math.min(1000, stallMs / 4));
`;
