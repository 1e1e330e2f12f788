import { createServer } from 'node:net';
import { type Client, matchMaker, Room, Server } from '@colyseus/core';
import { Encoder, type MapSchema, StateView, schema } from '@colyseus/schema';
import { WebSocketTransport } from '@colyseus/ws-transport';
import { InterestGrid } from '@shardline/core';
import type { ServerProbe } from './probe.js';
import { FanoutWorld, roomOf, TICK_HZ, type Variant, viewpointOf } from './scenario.js';
import type { StartedServer } from './shardline-server.js';

// The default 8 KiB encode buffer overflows on the full state (Colyseus warns and re-encodes).
Encoder.BUFFER_SIZE = 1024 * 1024;

/** The unit as a Colyseus game declares it: float32 positions. */
const ColyseusUnit = schema({ x: 'float32', y: 'float32' }, 'FanoutUnit');
type ColyseusUnit = InstanceType<typeof ColyseusUnit>;
/** Everyone sees everything. */
const SharedState = schema({ units: { map: ColyseusUnit } }, 'FanoutState');
/** Units are filtered per client by its StateView. */
const ViewedState = schema({ units: { map: ColyseusUnit, view: true } }, 'FanoutViewedState');

/** What the room runs; set before the room is created (room options are plain data, a probe is not). */
let setup: { variant: Variant; probe: ServerProbe } | undefined;

/**
 * The fan-out world in a Colyseus 0.16 room: the simulation interval moves the units, the patch
 * interval (same rate) encodes and sends. With a view radius, each client has a StateView kept to the
 * units within its radius, found with the same grid Shardline's world uses.
 */
class FanoutRoom extends Room {
  private simulation!: FanoutWorld;
  private units: ColyseusUnit[] = [];
  private grid: InterestGrid | undefined;
  private readonly watchers: {
    client: Client;
    viewpoint: { x: number; y: number; radius: number };
    seen: Set<number>;
  }[] = [];
  private joined = 0;

  override onCreate(options: { room: number }): void {
    const { variant, probe } = setup!;
    this.autoDispose = false;
    this.simulation = new FanoutWorld(variant, options.room);
    const radius = variant.viewRadius;
    const state = radius ? new ViewedState() : new SharedState();
    const map = state.units as MapSchema<ColyseusUnit>;
    this.units = this.simulation.units.map((unit, index) => {
      const entity = new ColyseusUnit();
      entity.x = unit.x;
      entity.y = unit.y;
      map.set(String(index), entity);
      return entity;
    });
    if (radius) {
      this.grid = new InterestGrid(radius / 2);
      for (const [index, unit] of this.simulation.units.entries()) this.grid.place(index, unit);
    }
    this.setState(state);
    let simulationMs = 0;
    this.setSimulationInterval(() => {
      const start = process.hrtime.bigint();
      this.step();
      simulationMs = Number(process.hrtime.bigint() - start) / 1e6;
    }, 1000 / TICK_HZ);
    this.setPatchRate(1000 / TICK_HZ);
    const broadcastPatch = this.broadcastPatch.bind(this);
    this.broadcastPatch = () => {
      const start = process.hrtime.bigint();
      const changed = broadcastPatch();
      probe.tick(simulationMs + Number(process.hrtime.bigint() - start) / 1e6);
      return changed;
    };
  }

  override onJoin(client: Client): void {
    const radius = this.simulation.variant.viewRadius;
    if (!radius) return;
    client.view = new StateView();
    const viewpoint = { ...viewpointOf(this.simulation.variant, this.joined++), radius };
    const watcher = { client, viewpoint, seen: new Set<number>() };
    this.watchers.push(watcher);
    this.refreshView(watcher);
  }

  override onLeave(client: Client): void {
    const at = this.watchers.findIndex((watcher) => watcher.client === client);
    if (at >= 0) this.watchers.splice(at, 1);
  }

  private step(): void {
    for (const index of this.simulation.step()) {
      const unit = this.simulation.units[index]!;
      const entity = this.units[index]!;
      entity.x = unit.x;
      entity.y = unit.y;
      this.grid?.place(index, unit);
    }
    for (const watcher of this.watchers) this.refreshView(watcher);
  }

  /** Adds what came into the client's radius to its StateView and removes what left. */
  private refreshView(watcher: (typeof this.watchers)[number]): void {
    const view = watcher.client.view!;
    const visible = new Set(this.grid!.visible(watcher.viewpoint));
    for (const index of watcher.seen) {
      if (!visible.has(index)) view.remove(this.units[index]!);
    }
    for (const index of visible) {
      if (!watcher.seen.has(index)) view.add(this.units[index]!);
    }
    watcher.seen = visible;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * A Colyseus server with the variant's fan-out rooms already created; bot i joins the room whose id
 * is its token (bots fill rooms in order).
 */
export async function startColyseus(
  variant: Variant,
  bots: number,
  probe: ServerProbe,
): Promise<StartedServer> {
  const server = new Server({ transport: new WebSocketTransport(), greet: false });
  server.define('fanout', FanoutRoom);
  const port = await freePort();
  await server.listen(port, '127.0.0.1');
  setup = { variant, probe };
  const roomIds: string[] = [];
  for (let room = 0; room < variant.rooms; room++) {
    roomIds.push((await matchMaker.createRoom('fanout', { room })).roomId);
  }
  const tokens = Array.from({ length: bots }, (_, i) => roomIds[roomOf(variant, i)]!);
  return { address: `ws://127.0.0.1:${port}`, tokens, worldCounters: () => null };
}
