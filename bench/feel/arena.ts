/**
 * The feel harness's arena, in one process on a simulated clock: a server world of BOTS players and
 * one client per bot, joined by link conditioners (no sockets: the links are the thing measured).
 * Each client predicts its own player (InputStream, Predictor), interpolates the others
 * (InterpolationBuffer, InterpolationDelay), and shoots: at the target as it sees it, or
 * clearly beside it; the server judges every shot with lag compensation (LagCompensator).
 */
import {
  ClientWorld,
  defineEntity,
  type FieldsOf,
  InputQueue,
  InputStream,
  InterpolationBuffer,
  InterpolationDelay,
  LagCompensator,
  LinkConditioner,
  type LinkSettings,
  Predictor,
  rayHitsSphere,
  ServerWorld,
  t,
  withinReach,
} from '@shardline/core';
import { SeededRandom } from '../lib/random.js';

export const TICK_HZ = 60;
export const SEND_HZ = 20;
export const FRAME_HZ = 60;
const TICK_MS = 1000 / TICK_HZ;
const FRAME_MS = 1000 / FRAME_HZ;
/** Walking speed, units per ms at full stick. */
const SPEED = 0.01;
const ARENA = 40;
const HIT_RADIUS = 0.5;
/** A clear miss passes this far beside the target's centre, as the shooter sees it. */
const MISS_OFFSET = 4 * HIT_RADIUS;
/** How far a shot's claimed origin may be from the server's position of the shooter. */
const ORIGIN_SLACK = 2;
/** Frames between shots of one bot. */
const SHOT_EVERY_FRAMES = 20;
/**
 * How far back the server will judge a shot: a round trip plus the interpolation delay. Bad mobile
 * needs about 560 ms (300 ms RTT, jitter, and a delay that bridges two lost snapshots); 250 ms would
 * refuse even broadband's shots (150 ms RTT plus a ~110 ms delay).
 */
export const MAX_REWIND_MS = 1_000;

const Player = defineEntity('Player', {
  x: t.quantized({ min: -64, max: 64, precision: 0.001 }),
  y: t.quantized({ min: -64, max: 64, precision: 0.001 }),
  lastInput: t.u16(),
});
const Stick = defineEntity('Stick', { dx: t.int({ min: -1, max: 1 }), dy: t.int({ min: -1, max: 1 }) });
type StickFields = FieldsOf<typeof Stick>;
type Body = { x: number; y: number };
type Input = { dx: number; dy: number };

/** The movement step client and server share (deterministic). */
function step(body: Body, input: Input, dtMs: number): Body {
  const clamp = (v: number) => Math.max(-ARENA, Math.min(ARENA, v));
  return { x: clamp(body.x + input.dx * SPEED * dtMs), y: clamp(body.y + input.dy * SPEED * dtMs) };
}
const lerp = (a: Body, b: Body, f: number): Body => ({ x: a.x + (b.x - a.x) * f, y: a.y + (b.y - a.y) * f });

/** Client → server message tags (one byte in front). */
const UP_INPUT = 1;
const UP_ACK = 2;
const UP_SHOT = 3;
/** Server → client message tag (snapshots are all the server sends). */
const DOWN_SNAPSHOT = 1;

function tagged(tag: number, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 1);
  out[0] = tag;
  out.set(bytes, 1);
  return out;
}

export interface FeelResult {
  inputDelayFrames: number;
  p50Correction: number;
  p99Correction: number;
  stallFraction: number;
  hitConfirmed: number;
  missConfirmed: number;
  shots: number;
  frames: number;
  reconciliations: number;
}

interface Shot {
  shooter: number;
  renderTimeMs: number;
  from: Body;
  direction: Body;
  onScreenHit: boolean;
}

interface Client {
  index: number;
  playerId: number;
  clockOffsetMs: number;
  up: LinkConditioner;
  down: LinkConditioner;
  world: ClientWorld;
  stream: InputStream<StickFields>;
  predictor: Predictor<Body, Input>;
  delay: InterpolationDelay;
  buffers: Map<number, InterpolationBuffer<Body>>;
  random: SeededRandom;
  waypoint: Body;
  input: Input;
  /** Frames since the stick last changed, while its effect has not shown yet (undefined: shown). */
  pendingChange: { frames: number; input: Input; from: Body } | undefined;
}

/** Runs `seconds` of the arena over links with `settings`; returns the feel figures. */
export function runArena(settings: LinkSettings, bots: number, seconds: number, seed: number): FeelResult {
  const server = new ServerWorld({ schemas: [Player], tickHz: TICK_HZ, sendHz: SEND_HZ }, 0);
  const history = new LagCompensator({ historyMs: MAX_REWIND_MS, maxRewindMs: MAX_REWIND_MS });
  const random = new SeededRandom(seed);
  const bodies: Body[] = [];
  const queues: InputQueue<StickFields>[] = [];
  const playerIds: number[] = [];
  const clients: Client[] = [];
  for (let i = 0; i < bots; i++) {
    const body = { x: random.range(-ARENA, ARENA), y: random.range(-ARENA, ARENA) };
    const id = server.spawn(Player, { ...body, lastInput: 0 });
    bodies.push(body);
    playerIds.push(id);
    queues.push(new InputQueue(Stick, 2));
    server.addClient(`c${i}`);
    clients.push({
      index: i,
      playerId: id,
      clockOffsetMs: random.range(-5_000, 5_000),
      up: new LinkConditioner(settings, seed * 31 + i * 2),
      down: new LinkConditioner(settings, seed * 31 + i * 2 + 1),
      world: new ClientWorld({ schemas: [Player] }),
      stream: new InputStream(Stick, 4),
      predictor: new Predictor<Body, Input>({
        step,
        initial: { ...body },
        distance: (a, b) => Math.hypot(a.x - b.x, a.y - b.y),
        offset: (s, from, to, w) => ({ x: s.x + (from.x - to.x) * w, y: s.y + (from.y - to.y) * w }),
        snapDistance: 2,
        smoothingMs: 100,
      }),
      delay: new InterpolationDelay({ sendIntervalMs: 1000 / SEND_HZ }),
      buffers: new Map(),
      random: new SeededRandom(seed * 97 + i),
      waypoint: { ...body },
      input: { dx: 0, dy: 0 },
      pendingChange: undefined,
    });
  }
  const shotsToJudge: Shot[] = [];
  const judged: { onScreenHit: boolean; confirmed: boolean }[] = [];
  const corrections: number[] = [];
  const inputDelays: number[] = [];
  let frames = 0;
  let stalls = 0;
  let serverNowMs = 0;

  server.onTick = (tick) => {
    for (let i = 0; i < bots; i++) {
      const next = queues[i]!.next();
      if (next) bodies[i] = step(bodies[i]!, next.input, TICK_MS);
      server.set(playerIds[i]!, { x: bodies[i]!.x, y: bodies[i]!.y, lastInput: queues[i]!.lastApplied ?? 0 });
    }
    history.record(
      tick * TICK_MS,
      playerIds.map((id, i) => [id, { ...bodies[i]!, radius: HIT_RADIUS }]),
    );
    for (const shot of shotsToJudge.splice(0)) {
      let confirmed = false;
      // The shooter fires from where it predicted itself: near where the server has it (it runs a
      // jitter buffer's worth of inputs behind), never from somewhere it could not be.
      if (!withinReach(bodies[shot.shooter]!, shot.from, ORIGIN_SLACK)) {
        judged.push({ onScreenHit: shot.onScreenHit, confirmed });
        continue;
      }
      try {
        const ray = { origin: shot.from, direction: shot.direction, maxDistance: 200 };
        confirmed =
          history.raycast(serverNowMs, shot.renderTimeMs, ray, playerIds[shot.shooter]) !== undefined;
      } catch {
        confirmed = false; // too far back: refused
      }
      judged.push({ onScreenHit: shot.onScreenHit, confirmed });
    }
  };

  const serverReceive = (i: number, message: Uint8Array) => {
    const body = message.subarray(1);
    if (message[0] === UP_INPUT) queues[i]!.receive(body);
    else if (message[0] === UP_ACK)
      server.acknowledge(`c${i}`, new DataView(body.buffer, body.byteOffset).getUint32(0, true));
    else if (message[0] === UP_SHOT) {
      const view = new DataView(body.buffer, body.byteOffset);
      shotsToJudge.push({
        shooter: i,
        renderTimeMs: view.getFloat64(0, true),
        from: { x: view.getFloat64(8, true), y: view.getFloat64(16, true) },
        direction: { x: view.getFloat64(24, true), y: view.getFloat64(32, true) },
        onScreenHit: body[40] === 1,
      });
    }
  };

  const clientReceive = (client: Client, message: Uint8Array, localMs: number) => {
    if (message[0] !== DOWN_SNAPSHOT) return;
    const result = client.world.receive(message.subarray(1));
    if (!('ack' in result)) return;
    const ack = new Uint8Array(4);
    new DataView(ack.buffer).setUint32(0, result.ack, true);
    client.up.send(tagged(UP_ACK, ack), serverNowMs);
    if (result.kind !== 'applied') return;
    const snapshotTimeMs = result.tick * TICK_MS;
    client.delay.observe(snapshotTimeMs, localMs);
    for (const [id, state] of client.world.snapshot.snapshots[0]!.entries()) {
      const position = { x: state.x as number, y: state.y as number };
      if (id === client.playerId) {
        const lastInput = state.lastInput as number;
        corrections.push(client.predictor.reconcile(position, lastInput, localMs));
        client.stream.acknowledge(lastInput);
        continue;
      }
      let buffer = client.buffers.get(id);
      if (!buffer) {
        buffer = new InterpolationBuffer<Body>({ blend: lerp, maxExtrapolationMs: 100 });
        client.buffers.set(id, buffer);
      }
      buffer.push(snapshotTimeMs, position);
    }
  };

  const frame = (client: Client, localMs: number) => {
    // Steer toward the waypoint; a new one on arrival.
    const own = client.predictor.state;
    if (Math.hypot(client.waypoint.x - own.x, client.waypoint.y - own.y) < 1) {
      client.waypoint = { x: client.random.range(-ARENA, ARENA), y: client.random.range(-ARENA, ARENA) };
    }
    const sign = (v: number) => (Math.abs(v) < 0.5 ? 0 : Math.sign(v));
    const input = { dx: sign(client.waypoint.x - own.x), dy: sign(client.waypoint.y - own.y) };
    const shownBefore = client.predictor.displayed(localMs);
    if (input.dx !== client.input.dx || input.dy !== client.input.dy) {
      client.pendingChange = { frames: 0, input, from: shownBefore };
    }
    client.input = input;
    const sequence = client.stream.push(input);
    client.predictor.apply(sequence, input, FRAME_MS);
    client.up.send(tagged(UP_INPUT, client.stream.message()!), serverNowMs);
    // Input to visible: frames until the drawn position moves the new way (0: this very frame).
    const shown = client.predictor.displayed(localMs);
    const change = client.pendingChange;
    if (change) {
      const movedX = Math.sign(Math.round((shown.x - change.from.x) * 1e6));
      const movedY = Math.sign(Math.round((shown.y - change.from.y) * 1e6));
      if (movedX === change.input.dx && movedY === change.input.dy) {
        inputDelays.push(change.frames);
        client.pendingChange = undefined;
      } else if (++change.frames > 60) {
        client.pendingChange = undefined; // blocked by a wall: not a delay
      }
    }
    // Remote players, as this client draws them: behind the snapshots' arrival by the delay.
    client.delay.update(FRAME_MS);
    const renderAt = client.delay.renderTimeMs(localMs);
    if (renderAt === undefined) return;
    const drawn = new Map<number, Body>();
    for (const [id, buffer] of client.buffers) {
      const sample = buffer.sample(renderAt);
      frames++;
      if (sample.mode === 'extrapolated' || sample.mode === 'held') stalls++;
      if (sample.state) drawn.set(id, sample.state);
    }
    // Shoot: at the nearest drawn player (alternately dead centre and clearly beside it).
    if (client.random.next() * SHOT_EVERY_FRAMES >= 1 || drawn.size === 0) return;
    const [targetId, target] = [...drawn].sort(
      ([, a], [, b]) => Math.hypot(a.x - shown.x, a.y - shown.y) - Math.hypot(b.x - shown.x, b.y - shown.y),
    )[0]!;
    const toward = { x: target.x - shown.x, y: target.y - shown.y };
    const length = Math.hypot(toward.x, toward.y);
    if (length < 2) return;
    const aimMiss = client.random.next() < 0.5;
    const aimAt = aimMiss
      ? { x: target.x - (toward.y / length) * MISS_OFFSET, y: target.y + (toward.x / length) * MISS_OFFSET }
      : target;
    const direction = { x: aimAt.x - shown.x, y: aimAt.y - shown.y };
    // What the shooter sees: the nearest drawn player the ray enters.
    let nearest: { id: number; distance: number } | undefined;
    for (const [id, body] of drawn) {
      const distance = rayHitsSphere(
        { origin: shown, direction, maxDistance: 200 },
        { ...body, radius: HIT_RADIUS },
      );
      if (distance !== undefined && (!nearest || distance < nearest.distance)) nearest = { id, distance };
    }
    const onScreenHit = nearest !== undefined && (aimMiss ? true : nearest.id === targetId);
    if (aimMiss && onScreenHit) return; // the "miss" grazed someone else: not a clear miss, skip it
    if (!aimMiss && !onScreenHit) return; // someone stood in the way: not a clean test, skip it
    const shot = new Uint8Array(41);
    const view = new DataView(shot.buffer);
    view.setFloat64(0, renderAt, true);
    view.setFloat64(8, shown.x, true);
    view.setFloat64(16, shown.y, true);
    view.setFloat64(24, direction.x, true);
    view.setFloat64(32, direction.y, true);
    shot[40] = onScreenHit ? 1 : 0;
    client.up.send(tagged(UP_SHOT, shot), serverNowMs);
  };

  const nextFrameAt = clients.map((client) => client.index * 3); // frames staggered across clients
  for (serverNowMs = 0; serverNowMs <= seconds * 1000; serverNowMs++) {
    for (const client of clients) {
      for (const message of client.up.receive(serverNowMs)) serverReceive(client.index, message);
    }
    for (const out of server.update(serverNowMs)) {
      const client = clients[Number(out.client.slice(1))]!;
      client.down.send(tagged(DOWN_SNAPSHOT, out.bytes), serverNowMs);
    }
    for (const client of clients) {
      const localMs = serverNowMs + client.clockOffsetMs;
      for (const message of client.down.receive(serverNowMs)) clientReceive(client, message, localMs);
      if (serverNowMs >= nextFrameAt[client.index]!) {
        nextFrameAt[client.index]! += FRAME_MS;
        frame(client, localMs);
      }
    }
  }
  const sorted = [...corrections].sort((a, b) => a - b);
  const quantile = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  const hits = judged.filter((shot) => shot.onScreenHit);
  const misses = judged.filter((shot) => !shot.onScreenHit);
  const sortedDelays = [...inputDelays].sort((a, b) => a - b);
  return {
    inputDelayFrames: sortedDelays[Math.floor(0.99 * (sortedDelays.length - 1))] ?? 0,
    p50Correction: quantile(0.5),
    p99Correction: quantile(0.99),
    stallFraction: frames === 0 ? 0 : stalls / frames,
    hitConfirmed: hits.length === 0 ? 0 : hits.filter((shot) => shot.confirmed).length / hits.length,
    missConfirmed: misses.length === 0 ? 0 : misses.filter((shot) => shot.confirmed).length / misses.length,
    shots: judged.length,
    frames,
    reconciliations: corrections.length,
  };
}
