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

function report(rows: Row[]): void {
  const [shardline, colyseus, msgpackr] = rows as [Row, Row, Row, Row];
  const ratios = {
    bytesVsColyseus: round(shardline.bytesPerTick / colyseus.bytesPerTick, 3),
    encodeVsColyseus: round(shardline.encodeMicros.median / colyseus.encodeMicros.median, 3),
    decodeVsMsgpackr: round(shardline.decodeMicros.median / msgpackr.decodeMicros.median, 3),
  };
  const met = Object.fromEntries(
    Object.entries(TARGETS).map(([key, target]) => [key, ratios[key as keyof typeof ratios] <= target]),
  );
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
    ['ratio (Shardline ÷ peer)', 'measured', 'target', 'met'],
    Object.entries(TARGETS).map(([key, target]) => [
      key,
      String(ratios[key as keyof typeof ratios]),
      `≤ ${target}`,
      met[key] ? 'yes' : 'no',
    ]),
  );
  const representations = rows.map((row) => `- **${row.name}**: ${row.representation}`).join('\n');
  const scenarioText =
    `${ENTITY_COUNT} entities {x, y, angle, hp}; each tick ${MOVERS_PER_TICK} of them (seeded choice) turn by up to ` +
    `0.1 rad and step 0.2 units, changing x, y and angle. ${WARMUP_TICKS} warm-up ticks, then ${MEASURED_TICKS} ` +
    `measured ticks; seed 0x${SEED.toString(16)}. Contenders run interleaved within each tick. Encode is the time ` +
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
      },
      results: rows,
      ...ratios,
      targets: TARGETS,
      targetsMet: met,
      environment: environment(),
    },
    markdown,
  );
}

report(run(buildScenario()));
