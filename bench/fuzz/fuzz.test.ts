import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ShardlineError } from '@shardline/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inputAt, runFuzz, shares } from './harness.js';
import { ContractViolation, checkRoundTrip, type FuzzTarget } from './target.js';
import { fuzzTargets } from './targets/index.js';

/** The seed of the run in `npm test`: fixed, so a failure here replays with `npm run fuzz -- --seed`. */
const TEST_SEED = 20_261_207;
const TEST_INPUTS = 50_000;

describe('fuzzing every decoder (a short run of npm run fuzz)', () => {
  let targets: FuzzTarget[];
  let close: () => Promise<void>;
  beforeAll(async () => {
    ({ targets, close } = await fuzzTargets());
  });
  afterAll(() => close());

  it(`survives ${TEST_INPUTS.toLocaleString('en')} seeded inputs: only ShardlineErrors, round trips hold, no 5xx`, async () => {
    const report = await runFuzz({ targets, seed: TEST_SEED, total: TEST_INPUTS });
    expect(report.failures).toEqual([]);
    expect(report.failureCount).toBe(0);
    expect(report.targets.map((target) => target.inputs)).toEqual(shares(targets, TEST_INPUTS));
    expect(report.inputs).toBe(TEST_INPUTS);
    // Mutating valid encodings gets past the first checks: every decoder accepts some inputs.
    for (const target of report.targets) {
      const passed = Object.values(target.outcomes).reduce((sum, count) => sum + count, 0);
      expect(passed, target.decoder).toBeGreaterThan(target.inputs / 100);
    }
  }, 120_000);

  it('covers packets, handshake, snapshots, world and seat messages, RPC and the services HTTP API', () => {
    expect(shares(targets, 1_000_000).reduce((sum, count) => sum + count, 0)).toBe(1_000_000);
    expect(targets.map((target) => target.name)).toEqual(
      expect.arrayContaining([
        'reliable-packet',
        'handshake-server',
        'connect-token',
        'snapshot',
        'client-world',
        'seat-message',
        'input-ack',
        'state-relay',
        'clock-ping-pong',
        'rpc-message',
        'services-http',
      ]),
    );
  });
});

describe('the fuzz harness', () => {
  const corpus = [Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8), Uint8Array.of(9, 9)];
  const fake = (decode: FuzzTarget['decode'], extra: Partial<FuzzTarget> = {}): FuzzTarget => ({
    name: 'fake',
    weight: 1,
    corpus,
    decode,
    ...extra,
  });

  it('makes the same input from the same seed and index, and others from another seed', () => {
    const target = fake(() => undefined);
    for (let index = 0; index < 20; index++)
      expect(inputAt(target, 5, index)).toEqual(inputAt(target, 5, index));
    const differ = Array.from({ length: 50 }, (_, index) =>
      Buffer.from(inputAt(target, 5, index)).equals(Buffer.from(inputAt(target, 6, index))),
    ).filter((same) => !same).length;
    expect(differ).toBeGreaterThan(40);
  });

  it('fails on anything but a ShardlineError, naming the decoder, seed, index and input', async () => {
    const crashes = (input: Uint8Array) => input.length % 3 === 1;
    const target = fake((input) => {
      if (crashes(input)) throw new TypeError('boom');
      throw new ShardlineError('WIRE_INVALID', 'refused');
    });
    const report = await runFuzz({ targets: [target], seed: 9, total: 300 });
    const expected = Array.from({ length: 300 }, (_, index) => index).filter((index) =>
      crashes(inputAt(target, 9, index)),
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(report.failureCount).toBe(expected.length);
    expect(report.targets[0]!.rejected).toBe(300 - expected.length);
    const first = report.failures[0]!;
    expect(first).toMatchObject({ decoder: 'fake', seed: 9, index: expected[0], kind: 'exception' });
    expect(first.message).toContain('boom');
    expect(first.hex).toBe(Buffer.from(inputAt(target, 9, expected[0]!)).toString('hex'));
  });

  it('fails a broken contract and an input over its time bound', async () => {
    const broken = await runFuzz({
      targets: [
        fake(() => {
          throw new ContractViolation('round trip');
        }),
      ],
      seed: 1,
      total: 10,
    });
    expect(broken.failureCount).toBe(10);
    expect(broken.failures[0]!.kind).toBe('contract');
    const slow = await runFuzz({ targets: [fake(() => undefined, { maxInputMs: -1 })], seed: 1, total: 3 });
    expect(slow.failures.map((failure) => failure.kind)).toEqual(['slow', 'slow', 'slow']);
    // A pause once (GC, a busy machine) is not a slow decoder: the input is timed again.
    let calls = 0;
    const pausesOnce = fake(
      () => {
        const until = performance.now() + (calls++ === 0 ? 20 : 0);
        while (performance.now() < until);
      },
      { maxInputMs: 10 },
    );
    const paused = await runFuzz({ targets: [pausesOnce], seed: 1, total: 3 });
    expect(calls).toBe(4);
    expect(paused.failureCount).toBe(0);
  });

  it('checks round trips: a value the encoder loses is a broken contract', () => {
    const decode = (bytes: Uint8Array) => ({ a: bytes[0], b: bytes[1] });
    const lossy = (value: { a: number | undefined }) => Uint8Array.of(value.a ?? 0);
    expect(() => checkRoundTrip(decode(Uint8Array.of(1, 2)), lossy, decode)).toThrow(ContractViolation);
    const exact = (value: { a: number | undefined; b: number | undefined }) =>
      Uint8Array.of(value.a ?? 0, value.b ?? 0);
    expect(checkRoundTrip(decode(Uint8Array.of(1, 2)), exact, decode)).toEqual({ a: 1, b: 2 });
  });

  it('reports an input that never returns, with its decoder, seed, index and bytes, and ends the run', () => {
    const script = fileURLToPath(new URL('./fixtures/hang.ts', import.meta.url));
    const run = spawnSync(process.execPath, ['--import', 'tsx', script], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.signal).toBe('SIGKILL');
    expect(run.stderr).toContain('FUZZ HANG: looping seed 5 input 12 ran over 300 ms');
    expect(run.stderr).toContain('--seed 5 --replay looping:12');
    expect(run.stderr).toContain('input: dead');
  }, 30_000);
});
