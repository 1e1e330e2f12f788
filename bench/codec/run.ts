/**
 * Codec benchmark (npm run bench:codec): Shardline's delta snapshots against @colyseus/schema 3,
 * msgpackr and JSON on the same seeded world, interleaved tick by tick so machine noise hits all alike.
 * Writes bench/results/codec.json and codec.md.
 */
import { environment, markdownTable, writeResults } from '../lib/results.js';
import { type Summary, summarize, timeMicros } from '../lib/stats.js';
import { ColyseusContender } from './contenders/colyseus.js';
import type { Contender } from './contenders/contender.js';
import { JsonContender } from './contenders/json.js';
import { MsgpackrContender } from './contenders/msgpackr.js';
import { ShardlineContender } from './contenders/shardline.js';
import {
  buildScenario,
  ENTITY_COUNT,
  MEASURED_TICKS,
  MOVERS_PER_TICK,
  type Scenario,
  SEED,
  type UnitState,
  WARMUP_TICKS,
} from './scenario.js';

/** Issue targets, as ratios of Shardline's figure to the named peer's. */
const TARGETS = { bytesVsColyseus: 0.45, encodeVsColyseus: 0.5, decodeVsMsgpackr: 1 };
type RatioKey = keyof typeof TARGETS;

/**
 * The whole scenario runs this many times with fresh contenders; tables show the median over rounds
 * of each round's figure, and ratios their median and range, because one round on a shared 2-core
 * machine can move a ratio by 20%.
 */
const ROUNDS = 5;

interface Measured {
  contender: Contender;
  bytes: number[];
  encodeMicros: number[];
  decodeMicros: number[];
}

interface Row {
  name: string;
  representation: string;
  bytesPerTick: number;
  encodeMicros: Summary;
  decodeMicros: Summary;
  fullStateBytes: number;
}

function run(scenario: Scenario): Row[] {
  const measured: Measured[] = [
    new ShardlineContender(scenario.initial),
    new ColyseusContender(scenario.initial),
    new MsgpackrContender(scenario.initial),
    new JsonContender(scenario.initial),
  ].map((contender) => ({ contender, bytes: [], encodeMicros: [], decodeMicros: [] }));

  scenario.ticks.forEach((changes, tick) => {
    // Rotate who goes first so cache and GC effects do not favour one contender.
    for (let k = 0; k < measured.length; k++) {
      const entry = measured[(tick + k) % measured.length]!;
      entry.contender.update(changes);
      let bytes: Uint8Array = new Uint8Array(0);
      const encodeTime = timeMicros(() => {
        bytes = entry.contender.encode();
      });
      const decodeTime = timeMicros(() => entry.contender.decode(bytes));
      if (tick >= WARMUP_TICKS) {
        entry.bytes.push(bytes.length);
        entry.encodeMicros.push(encodeTime);
        entry.decodeMicros.push(decodeTime);
      }
    }
  });

  const truth = finalStates(scenario);
  return measured.map(({ contender, bytes, encodeMicros, decodeMicros }) => {
    checkDelivered(contender, truth);
    return {
      name: contender.name,
      representation: contender.representation,
      bytesPerTick: bytes.reduce((sum, n) => sum + n, 0) / bytes.length,
      encodeMicros: summarize(encodeMicros),
      decodeMicros: summarize(decodeMicros),
      fullStateBytes: contender.fullStateBytes(),
    };
  });
}

function finalStates(scenario: Scenario): UnitState[] {
  const states = scenario.initial.map((state) => ({ ...state }));
  for (const { ids, states: changed } of scenario.ticks) {
    ids.forEach((id, i) => {
      states[id] = changed[i]!;
    });
  }
  return states;
}

/** Every receiver must hold the final world within its representation's precision. */
function checkDelivered(contender: Contender, truth: readonly UnitState[]): void {
  const tolerance = 1 / 64;
  truth.forEach((expected, id) => {
    const got = contender.received(id);
    const angleError = Math.abs(
      Math.atan2(Math.sin(got.angle - expected.angle), Math.cos(got.angle - expected.angle)),
    );
    if (
      Math.abs(got.x - expected.x) > tolerance ||
      Math.abs(got.y - expected.y) > tolerance ||
      angleError > 1e-3 ||
      got.hp !== expected.hp
    ) {
      throw new Error(
        `${contender.name}: entity ${id} arrived as ${JSON.stringify(got)}, sent ${JSON.stringify(expected)}`,
      );
    }
  });
}

const round = (value: number, digits = 2) => Number(value.toFixed(digits));
const medianOf = (values: readonly number[]) => summarize(values).median;

function ratiosOf(rows: readonly Row[]): Record<RatioKey, number> {
  const [shardline, colyseus, msgpackr] = rows as [Row, Row, Row, Row];
  return {
    bytesVsColyseus: shardline.bytesPerTick / colyseus.bytesPerTick,
    encodeVsColyseus: shardline.encodeMicros.median / colyseus.encodeMicros.median,
    decodeVsMsgpackr: shardline.decodeMicros.median / msgpackr.decodeMicros.median,
  };
}

/** One row per contender: the median over rounds of each figure. */
function combineRounds(rounds: readonly Row[][]): Row[] {
  return rounds[0]!.map((first, i) => {
    const all = rounds.map((rows) => rows[i]!);
    const pick = (get: (row: Row) => number) => medianOf(all.map(get));
    return {
      ...first,
      bytesPerTick: pick((row) => row.bytesPerTick),
      encodeMicros: {
        median: pick((row) => row.encodeMicros.median),
        p99: pick((row) => row.encodeMicros.p99),
        mean: pick((row) => row.encodeMicros.mean),
      },
      decodeMicros: {
        median: pick((row) => row.decodeMicros.median),
        p99: pick((row) => row.decodeMicros.p99),
        mean: pick((row) => row.decodeMicros.mean),
      },
    };
  });
}

function report(rounds: Row[][]): void {
  const rows = combineRounds(rounds);
  const perRound = rounds.map(ratiosOf);
  const keys = Object.keys(TARGETS) as RatioKey[];
  const ratios = Object.fromEntries(
    keys.map((key) => [key, round(medianOf(perRound.map((r) => r[key])), 3)]),
  ) as Record<RatioKey, number>;
  const ranges = Object.fromEntries(
    keys.map((key) => {
      const values = perRound.map((r) => r[key]);
      return [key, [round(Math.min(...values), 3), round(Math.max(...values), 3)]];
    }),
  ) as Record<RatioKey, [number, number]>;
  const met = Object.fromEntries(keys.map((key) => [key, ratios[key] <= TARGETS[key]])) as Record<
    RatioKey,
    boolean
  >;
  const table = markdownTable(
    [
      'serializer',
      'bytes/tick',
      'encode median µs',
      'encode p99 µs',
      'decode median µs',
      'decode p99 µs',
      'full state bytes',
    ],
    rows.map((row) => [
      row.name,
      String(round(row.bytesPerTick, 1)),
      String(round(row.encodeMicros.median)),
      String(round(row.encodeMicros.p99)),
      String(round(row.decodeMicros.median)),
      String(round(row.decodeMicros.p99)),
      String(row.fullStateBytes),
    ]),
  );
  const ratioTable = markdownTable(
    ['ratio (Shardline ÷ peer)', `median of ${rounds.length} rounds`, 'range', 'target', 'met'],
    keys.map((key) => [
      key,
      String(ratios[key]),
      `${ranges[key][0]} – ${ranges[key][1]}`,
      `≤ ${TARGETS[key]}`,
      met[key] ? 'yes' : 'no',
    ]),
  );
  const representations = rows.map((row) => `- **${row.name}**: ${row.representation}`).join('\n');
  const scenarioText =
    `${ENTITY_COUNT} entities {x, y, angle, hp}; each tick ${MOVERS_PER_TICK} of them (seeded choice) turn by up to ` +
    `0.1 rad and step 0.2 units, changing x, y and angle. ${WARMUP_TICKS} warm-up ticks, then ${MEASURED_TICKS} ` +
    `measured ticks; seed 0x${SEED.toString(16)}; ${ROUNDS} rounds. Contenders run interleaved within each tick. Encode is the time ` +
    "to produce one tick's bytes from the sender's state; decode is the time to apply them to the receiver's state.";
  const fairness =
    'What each decode does: Shardline validates every code, builds a new immutable snapshot (usable as a ' +
    'later baseline; it copies the baseline rows) and reports per-entity change masks; Colyseus applies ' +
    'its patch to its state tree with change callbacks; msgpackr and JSON parse the changed records and ' +
    'write them into the receiver objects in place, without validation. Shardline and Colyseus find the ' +
    'changes themselves (Shardline from snapshot lineage, Colyseus from setters); msgpackr and JSON are ' +
    'handed the list of changed ids by the game.';
  const markdown = [
    '# Codec benchmark',
    '',
    scenarioText,
    '',
    fairness,
    '',
    table,
    '',
    ratioTable,
    '',
    'Wire representations:',
    representations,
    '',
    `Run: ${JSON.stringify(environment())}. Machines are shared and noisy: compare ratios, not absolute times.`,
  ].join('\n');
  console.log(`\n${table}\n\n${ratioTable}\n`);
  writeResults(
    'codec',
    {
      scenario: {
        entities: ENTITY_COUNT,
        moversPerTick: MOVERS_PER_TICK,
        warmupTicks: WARMUP_TICKS,
        measuredTicks: MEASURED_TICKS,
        seed: SEED,
        rounds: ROUNDS,
      },
      results: rows,
      ...ratios,
      ratioRanges: ranges,
      targets: TARGETS,
      targetsMet: met,
      environment: environment(),
    },
    markdown,
  );
}

const scenario = buildScenario();
report(Array.from({ length: ROUNDS }, () => run(scenario)));
