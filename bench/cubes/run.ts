/**
 * Cubes benchmark (npm run bench:cubes): Glenn Fiedler's snapshot compression scene — 901 cubes,
 * 60 Hz, one client — replicated by a ServerWorld to a ClientWorld over a simulated link (50 ms each
 * way). Reports snapshot bandwidth (average and p99, kbps of snapshot payload) and the largest error
 * the client shows, against the same scene sent as full quantized states and as raw floats, and the
 * published figure for the scene. Writes bench/results/cubes.json and cubes.md.
 */
import {
  ClientWorld,
  defineEntity,
  LinkConditioner,
  type LinkSettings,
  ServerWorld,
  t,
} from '@shardline/core';
import { environment, markdownTable, writeResults } from '../lib/results.js';
import { summarize } from '../lib/stats.js';
import { CubeScene, FIELD_HALF, type Quat, type Vec3 } from './physics.js';

const TICK_HZ = 60;
const SECONDS = 30;
const SEED = 901;
/** Fiedler's published result for this scene: under 256 kbps. The target is 200. */
const PUBLISHED_KBPS = 256;
const TARGET_AVG_KBPS = 200;
const POSITION_PRECISION = 1 / 512; // metres
const QUATERNION_BITS = 9; // per smallest-three component, as in Fiedler's articles

const Cube = defineEntity('Cube', {
  position: t.vec3({ min: -FIELD_HALF - 4, max: FIELD_HALF + 4, precision: POSITION_PRECISION }),
  orientation: t.quat({ bits: QUATERNION_BITS }),
  interacting: t.bool(),
});

interface CubeState {
  position: Vec3;
  orientation: Quat;
  interacting: boolean;
}

function record(): CubeState[][] {
  const scene = new CubeScene(SEED);
  const ticks: CubeState[][] = [];
  for (let tick = 1; tick <= TICK_HZ * SECONDS; tick++) {
    scene.step(1 / TICK_HZ);
    ticks.push(
      scene.cubes.map((cube) => ({
        position: { ...cube.position },
        orientation: { ...cube.orientation },
        interacting: cube.interacting,
      })),
    );
  }
  return ticks;
}

interface Variant {
  name: string;
  link: LinkSettings;
  acknowledge: boolean;
}

interface Outcome {
  name: string;
  avgKbps: number;
  p99Kbps: number;
  maxKbps: number;
  snapshots: number;
  joinSnapshots: number;
  joinBytes: number;
  maxPositionError: number;
  maxRotationErrorDegrees: number;
}

const kbps = (bytes: number) => (bytes * 8 * TICK_HZ) / 1000;

function replicate(recorded: CubeState[][], variant: Variant): Outcome {
  const msPerTick = 1000 / TICK_HZ;
  const server = new ServerWorld({ schemas: [Cube], tickHz: TICK_HZ }, 0);
  const ids = recorded[0]!.map((state) => server.spawn(Cube, state));
  server.onTick = (tick) => {
    const states = recorded[tick - 1];
    if (!states) return;
    ids.forEach((id, i) => {
      server.set(id, { ...states[i]! });
    });
  };
  server.addClient('viewer');
  const client = new ClientWorld({ schemas: [Cube] });
  const down = new LinkConditioner(variant.link, 1);
  const up = new LinkConditioner(variant.link, 2);
  const sizes: number[] = [];
  /** Snapshots sent as full states before the first acknowledgement came back (joining). */
  let joinSnapshots = 0;
  let maxPositionError = 0;
  let maxRotationError = 0;
  for (let tick = 1; tick <= recorded.length; tick++) {
    const now = tick * msPerTick;
    for (const out of server.update(now)) {
      if (out.baselineTick === undefined && sizes.length === joinSnapshots) joinSnapshots++;
      sizes.push(out.bytes.length);
      down.send(out.bytes, now);
    }
    for (const bytes of down.receive(now)) {
      const result = client.receive(bytes);
      if (result.kind === 'malformed') throw new Error(`malformed snapshot: ${result.code}`);
      if (!('ack' in result)) continue;
      if (variant.acknowledge) {
        const ack = new Uint8Array(4);
        new DataView(ack.buffer).setUint32(0, result.ack, true);
        up.send(ack, now);
      }
      if (result.kind !== 'applied') continue;
      const truth = recorded[result.tick - 1]!;
      const replicas = client.replicas(Cube);
      ids.forEach((id, i) => {
        const shown = replicas.get(id)!.state;
        maxPositionError = Math.max(maxPositionError, distance(shown.position, truth[i]!.position));
        maxRotationError = Math.max(maxRotationError, angleBetween(shown.orientation, truth[i]!.orientation));
      });
    }
    for (const bytes of up.receive(now))
      server.acknowledge('viewer', new DataView(bytes.buffer).getUint32(0, true));
  }
  // Until the first ack returns, every snapshot is the whole scene; report the steady state after.
  const steady = (variant.acknowledge ? sizes.slice(joinSnapshots) : sizes).map(kbps);
  const summary = summarize(steady);
  return {
    name: variant.name,
    avgKbps: summary.mean,
    p99Kbps: summary.p99,
    maxKbps: Math.max(...steady),
    snapshots: sizes.length,
    joinSnapshots,
    joinBytes: sizes[0]!,
    maxPositionError,
    maxRotationErrorDegrees: (maxRotationError * 180) / Math.PI,
  };
}

function distance(a: Vec3, b: Vec3): number {
  return Math.hypot(a.x - b.x, a.y - b.y, a.z - b.z);
}

/** The rotation angle between two unit quaternions (radians); q and -q are the same rotation. */
function angleBetween(a: Quat, b: Quat): number {
  const dot = Math.abs(a.x * b.x + a.y * b.y + a.z * b.z + a.w * b.w);
  return 2 * Math.acos(Math.min(1, dot));
}

const recorded = record();
const movingShare =
  recorded.reduce((sum, tick) => sum + tick.filter((cube) => cube.interacting).length, 0) /
  (recorded.length * recorded[0]!.length);
const variants: Variant[] = [
  { name: 'Shardline, delta vs acked (50 ms each way)', link: { latencyMs: 50 }, acknowledge: true },
  {
    name: 'Shardline, delta vs acked (50 ms each way, 5% loss)',
    link: { latencyMs: 50, lossPercent: 5 },
    acknowledge: true,
  },
  { name: 'Shardline, full quantized state (no acks)', link: { latencyMs: 50 }, acknowledge: false },
];
const outcomes = variants.map((variant) => replicate(recorded, variant));
const rawFloatKbps = kbps(recorded[0]!.length * (3 * 4 + 4 * 4 + 1));
const main = outcomes[0]!;

const rows = [
  ...outcomes.map((o) => [
    o.name,
    o.avgKbps.toFixed(1),
    o.p99Kbps.toFixed(1),
    o.maxKbps.toFixed(1),
    (o.maxPositionError * 1000).toFixed(2),
    o.maxRotationErrorDegrees.toFixed(3),
  ]),
  ['raw float32 state every snapshot (computed)', rawFloatKbps.toFixed(1), '—', '—', '0', '0'],
  ['Fiedler, published result for this scene', `< ${PUBLISHED_KBPS}`, '—', '—', '—', '—'],
];
const table = markdownTable(
  ['sender', 'avg kbps', 'p99 kbps', 'max kbps', 'max position error (mm)', 'max rotation error (°)'],
  rows,
);
const results = {
  environment: environment(),
  scene: {
    cubes: recorded[0]!.length,
    tickHz: TICK_HZ,
    seconds: SECONDS,
    seed: SEED,
    interactingShare: movingShare,
    positionPrecisionMetres: POSITION_PRECISION,
    quaternionBitsPerComponent: QUATERNION_BITS,
  },
  avgKbps: main.avgKbps,
  p99Kbps: main.p99Kbps,
  targetAvgKbps: TARGET_AVG_KBPS,
  publishedKbps: PUBLISHED_KBPS,
  avgVsPublished: main.avgKbps / PUBLISHED_KBPS,
  rawFloatKbps,
  outcomes,
};
const markdown = `# Cubes: snapshot bandwidth, 901 cubes at 60 Hz

${table}

Keys: **avgKbps ${main.avgKbps.toFixed(1)}** (target < ${TARGET_AVG_KBPS}: ${main.avgKbps < TARGET_AVG_KBPS ? 'met' : 'missed'}), **p99Kbps ${main.p99Kbps.toFixed(1)}**;
${(main.avgKbps / PUBLISHED_KBPS).toFixed(3)}× the published bound, ${(main.avgKbps / rawFloatKbps).toFixed(4)}× raw floats.

Scene: ${recorded[0]!.length} cubes (900 small in a 30 × 30 grid, one large cube driven around the
field, pausing about a seventh of the time), ${SECONDS} s at ${TICK_HZ} Hz, seed ${SEED}; on average
${(movingShare * 100).toFixed(1)}% of cubes are interacting in a tick. Precision: position ${POSITION_PRECISION * 1000} mm
steps (1/512 m) over ±${FIELD_HALF + 4} m, rotation smallest-three with ${QUATERNION_BITS} bits per component.
Bandwidth is snapshot payload (the world snapshot message, PROTOCOL.md §11) per 60 Hz snapshot, not
counting packet headers. Joining costs ${main.joinSnapshots} full-state snapshots of ${main.joinBytes} bytes (until the
first acknowledgement returns, one round trip); they are left out of the steady-state statistics.
Errors compare what the client shows with the unquantized simulation at the same tick.
`;
console.log(table);
console.log(
  `avgKbps ${main.avgKbps.toFixed(1)}  p99Kbps ${main.p99Kbps.toFixed(1)}  interacting ${(movingShare * 100).toFixed(1)}%`,
);
writeResults('cubes', results, markdown);
