/**
 * The arena's browser page (served at /play, bundled by `npm run build:demo`): joins an arena
 * through a ShardlineClient as this tab's guest — quick play (join-or-create), a new arena
 * (`?new`), one by id (`?world=<id>`, the "invite" link), or a match from the matchmaker
 * (`?match`) — over WebSocket through a link conditioner the settings panel switches, and draws the
 * ArenaSession on a canvas. The kills board, achievement toasts and saved settings come from the
 * services (online.ts). Served by a shard of the arena cluster (`npm start`), quick play joins that
 * shard's world (the Forest's page, the Forest); a fighter walking into a portal moves to the other
 * world, and the world handle follows on its own (to the other shard's address). A boss defeated
 * anywhere in the cluster shows as a banner. `window.arena` exposes the session and the last frame,
 * for tests and for poking at in the console.
 */
import {
  ConditionedClientTransport,
  type ConnectTicket,
  LINK_PROFILES,
  type LinkProfileName,
  ShardlineClient,
} from '@shardline/client';
import { ARENA, arena, BOSS_HEALTH, BOSS_RADIUS, HIT_RADIUS, PORTAL_RADIUS, RANGE } from '../game.js';
import { type ArenaSettings, goOnline, killsBoard, type Online } from './online.js';
import {
  type ArenaFrame,
  ArenaSession,
  type ArenaWorld,
  type DrawnFighter,
  type Techniques,
} from './session.js';

/** The link profiles the panel offers. */
const PANEL_PROFILES: LinkProfileName[] = ['none', 'broadband', 'mobile'];
/** How long a shot's tracer stays on screen, ms. */
const TRACER_MS = 250;

const element = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const canvas = element<HTMLCanvasElement>('field');
const status = element<HTMLElement>('status');

interface Tracer {
  from: { x: number; y: number };
  to: { x: number; y: number };
  firedAtMs: number;
  result: 'pending' | 'hit' | 'miss' | 'refused';
}

/** The links of this tab's world connections (a rejoin makes a new one): the panel configures the newest. */
let link: ConditionedClientTransport | undefined;

/**
 * Joins the arena the page's address asks for. By default: in a cluster, the world the page's shard
 * hosts for good (the one with portals), by id, so that a player the cluster holds in another world
 * (it went through a portal, then reloaded) is seated there; elsewhere, quick play.
 */
async function join(client: ShardlineClient): Promise<ArenaWorld> {
  const params = new URLSearchParams(location.search);
  const id = params.get('world');
  if (id) return client.joinById(arena, id);
  if (params.has('new')) return client.create(arena);
  if (params.has('match')) return client.joinTicket(arena, await matched(client));
  const home = (await client.list(arena)).find((world) => Array.isArray(world.metadata.portals));
  return home ? client.joinById(arena, home.id) : client.join(arena);
}

/** A world's name as the page shows it (the cluster's worlds have proper names). */
const WORLD_NAMES: Record<string, string> = { forest: 'the Forest', caves: 'the Caves' };
const worldName = (id: string) => WORLD_NAMES[id] ?? id;
/** The floor colour of each world: a green Forest, a brown Caves, the arena's blue-grey elsewhere. */
const FLOORS: Record<string, string> = { forest: '#14211a', caves: '#211a14' };

/** Queues for a match and waits for its lobby to start: the ticket names the match's private arena. */
function matched(client: ShardlineClient): Promise<ConnectTicket> {
  status.textContent = 'waiting for an opponent…';
  return new Promise((resolve, reject) => {
    client.services.events.on('lobby.started', ({ connect }) => resolve(connect));
    client.services.matchmaking.queue({ skill: 1000, region: 'local' }).catch(reject);
  });
}

/** The link chosen in the panel, kept with the techniques in the settings save. */
let chosenLink: LinkProfileName = 'none';

function linkPanel(changed: () => void): void {
  const panel = element<HTMLElement>('links');
  link?.configure(LINK_PROFILES[chosenLink].settings);
  for (const name of PANEL_PROFILES) {
    const label = document.createElement('label');
    const input = document.createElement('input');
    input.type = 'radio';
    input.name = 'link';
    input.id = `link-${name}`;
    input.checked = name === chosenLink;
    input.onchange = () => {
      chosenLink = name;
      link?.configure(LINK_PROFILES[name].settings);
      changed();
    };
    label.append(input, ` ${LINK_PROFILES[name].label}`);
    panel.append(label);
  }
}

/** Links to this arena (for a friend), to a new one, and to a match from the matchmaker. */
function inviteLink(worldId: string): void {
  const invite = element<HTMLAnchorElement>('invite');
  invite.href = `/play?world=${encodeURIComponent(worldId)}`;
  invite.textContent = `this arena (${worldId})`;
}

function techniquePanel(techniques: Techniques, changed: () => void): void {
  for (const key of Object.keys(techniques) as (keyof Techniques)[]) {
    const box = element<HTMLInputElement>(key);
    box.checked = techniques[key];
    box.onchange = () => {
      techniques[key] = box.checked;
      changed();
    };
  }
}

/** Shows a message for a few seconds (achievement unlocks, moves, a portal's refusal). */
function toast(text: string): void {
  const box = element<HTMLElement>('toast');
  box.textContent = text;
  box.hidden = false;
  setTimeout(() => {
    if (box.textContent === text) box.hidden = true;
  }, 4_000);
}

/** Shows a boss defeat (a global event: every world of the cluster shows it) for a while. */
function banner(text: string): void {
  const box = element<HTMLElement>('banner');
  box.textContent = text;
  box.hidden = false;
  setTimeout(() => {
    if (box.textContent === text) box.hidden = true;
  }, 8_000);
}

/** Refreshes the kills board every few seconds (errors leave the last one shown). */
function boardPanel(online: Online): void {
  const refresh = () =>
    killsBoard(online.services).then(
      (lines) =>
        element<HTMLElement>('board').replaceChildren(
          ...lines.map((line) => Object.assign(document.createElement('li'), { textContent: line })),
        ),
      () => undefined,
    );
  void refresh();
  setInterval(refresh, 3_000);
}

/** Held keys to a stick: each axis -1, 0 or 1. */
function keyboard(): () => { dx: number; dy: number } {
  const held = new Set<string>();
  const keys: Record<string, [number, number]> = {
    KeyW: [0, 1],
    ArrowUp: [0, 1],
    KeyS: [0, -1],
    ArrowDown: [0, -1],
    KeyA: [-1, 0],
    ArrowLeft: [-1, 0],
    KeyD: [1, 0],
    ArrowRight: [1, 0],
  };
  addEventListener('keydown', (event) => {
    if (keys[event.code]) {
      held.add(event.code);
      event.preventDefault();
    }
  });
  addEventListener('keyup', (event) => held.delete(event.code));
  addEventListener('blur', () => held.clear());
  return () => {
    let dx = 0;
    let dy = 0;
    for (const code of held) {
      dx += keys[code]![0];
      dy += keys[code]![1];
    }
    return { dx: Math.sign(dx), dy: Math.sign(dy) };
  };
}

/** World units (y up, ±ARENA) to canvas pixels and back. */
const MARGIN = 2;
const scale = () => canvas.width / (2 * (ARENA + MARGIN));
const toScreen = (p: { x: number; y: number }) => ({
  x: (p.x + ARENA + MARGIN) * scale(),
  y: (ARENA + MARGIN - p.y) * scale(),
});
const toWorld = (px: number, py: number) => ({
  x: px / scale() - ARENA - MARGIN,
  y: ARENA + MARGIN - py / scale(),
});

/** A portal: a ring that turns while it is open (grey, "closed" while the other world is not there). */
function drawPortal(g: CanvasRenderingContext2D, portal: ArenaFrame['portals'][number], nowMs: number): void {
  const at = toScreen(portal);
  const radius = PORTAL_RADIUS * scale();
  const colour = portal.open ? '176,132,242' : '110,118,128';
  g.fillStyle = `rgba(${colour},0.18)`;
  g.beginPath();
  g.arc(at.x, at.y, radius, 0, 2 * Math.PI);
  g.fill();
  g.strokeStyle = `rgb(${colour})`;
  g.lineWidth = 3;
  g.setLineDash([10, 7]);
  g.lineDashOffset = portal.open ? -nowMs / 40 : 0;
  g.beginPath();
  g.arc(at.x, at.y, radius, 0, 2 * Math.PI);
  g.stroke();
  g.setLineDash([]);
  g.lineWidth = 1;
  g.fillStyle = `rgb(${colour})`;
  g.font = '12px system-ui';
  g.textAlign = 'center';
  const label = `${portal.name}: to ${worldName(portal.to)}${portal.open ? '' : ' (closed)'}`;
  g.fillText(label, at.x, at.y + radius + 16);
  g.textAlign = 'start';
}

/** The boss: a big red disc with its health bar, or a cross and a countdown while it is down. */
function drawBoss(g: CanvasRenderingContext2D, boss: NonNullable<ArenaFrame['boss']>): void {
  const at = toScreen(boss);
  const radius = BOSS_RADIUS * scale();
  g.font = '12px system-ui';
  g.textAlign = 'center';
  if (boss.health === 0) {
    g.strokeStyle = '#6b5147';
    g.lineWidth = 3;
    g.beginPath();
    g.moveTo(at.x - radius / 2, at.y - radius / 2);
    g.lineTo(at.x + radius / 2, at.y + radius / 2);
    g.moveTo(at.x + radius / 2, at.y - radius / 2);
    g.lineTo(at.x - radius / 2, at.y + radius / 2);
    g.stroke();
    g.lineWidth = 1;
    g.fillStyle = '#8a96a3';
    g.fillText(`${boss.name} returns in ${boss.returnsIn} s`, at.x, at.y + radius + 14);
  } else {
    g.fillStyle = '#c0483a';
    g.beginPath();
    g.arc(at.x, at.y, radius, 0, 2 * Math.PI);
    g.fill();
    g.fillStyle = '#2c3745';
    g.fillRect(at.x - 30, at.y - radius - 10, 60, 5);
    g.fillStyle = '#e66b5a';
    g.fillRect(at.x - 30, at.y - radius - 10, (60 * boss.health) / BOSS_HEALTH, 5);
    g.fillStyle = '#f0c8c0';
    g.fillText(boss.name, at.x, at.y + radius + 14);
  }
  g.textAlign = 'start';
}

function draw(
  frame: ArenaFrame,
  worldId: string,
  tracers: Tracer[],
  showSnapshot: boolean,
  nowMs: number,
): void {
  const g = canvas.getContext('2d')!;
  g.clearRect(0, 0, canvas.width, canvas.height);
  const corner = toScreen({ x: -ARENA, y: ARENA });
  g.fillStyle = FLOORS[worldId] ?? '#161c25';
  g.fillRect(corner.x, corner.y, 2 * ARENA * scale(), 2 * ARENA * scale());
  g.strokeStyle = '#2c3745';
  g.strokeRect(corner.x, corner.y, 2 * ARENA * scale(), 2 * ARENA * scale());
  for (const portal of frame.portals) drawPortal(g, portal, nowMs);
  if (frame.boss) drawBoss(g, frame.boss);
  const radius = Math.max(5, HIT_RADIUS * scale());
  if (showSnapshot) {
    g.strokeStyle = '#8a96a3';
    for (const fighter of frame.snapshot) {
      const at = toScreen(fighter);
      g.beginPath();
      g.arc(at.x, at.y, radius + 3, 0, 2 * Math.PI);
      g.stroke();
    }
  }
  for (const tracer of tracers) {
    const age = (nowMs - tracer.firedAtMs) / TRACER_MS;
    const colours = { pending: '242,193,78', hit: '230,107,90', miss: '138,150,163', refused: '138,150,163' };
    g.strokeStyle = `rgba(${colours[tracer.result]},${1 - age})`;
    const a = toScreen(tracer.from);
    const b = toScreen(tracer.to);
    g.beginPath();
    g.moveTo(a.x, a.y);
    g.lineTo(b.x, b.y);
    g.stroke();
  }
  if (frame.me) {
    // How far a shot reaches.
    const at = toScreen(frame.me);
    g.strokeStyle = 'rgba(242,193,78,0.25)';
    g.setLineDash([4, 6]);
    g.beginPath();
    g.arc(at.x, at.y, RANGE * scale(), 0, 2 * Math.PI);
    g.stroke();
    g.setLineDash([]);
  }
  const fighter = (f: DrawnFighter, colour: string) => {
    const at = toScreen(f);
    g.fillStyle = f.connected ? colour : '#4a5563';
    g.beginPath();
    g.arc(at.x, at.y, radius, 0, 2 * Math.PI);
    g.fill();
    g.fillStyle = '#2c3745';
    g.fillRect(at.x - 12, at.y - radius - 8, 24, 3);
    g.fillStyle = f.health > 50 ? '#6fd08c' : '#e66b5a';
    g.fillRect(at.x - 12, at.y - radius - 8, (24 * f.health) / 100, 3);
    g.fillStyle = '#8a96a3';
    g.font = '11px system-ui';
    g.fillText(f.connected ? f.name : `${f.name} (reconnecting)`, at.x + radius + 3, at.y + 4);
  };
  for (const other of frame.others) fighter(other, '#5aa9e6');
  if (frame.me) fighter(frame.me, '#f2c14e');
}

function showFigures(session: ArenaSession, frame: ArenaFrame): void {
  const stats = session.world.stats();
  const rows: [string, string][] = [
    ['world', worldName(session.world.id)],
    ['seat', session.world.seat],
    ['link', session.world.state],
    ['health', String(frame.me?.health ?? '…')],
    ['score', String(frame.me?.score ?? '…')],
    ['ping', stats ? `${stats.rttMs.toFixed(0)} ms` : '…'],
    ['loss', stats ? `${stats.packetLossPercent.toFixed(1)} %` : '…'],
    ['interpolation delay', `${frame.interpolationDelayMs.toFixed(0)} ms`],
    [
      'KB/s in / out',
      stats
        ? `${(stats.bytesInPerSecond / 1024).toFixed(1)} / ${(stats.bytesOutPerSecond / 1024).toFixed(1)}`
        : '…',
    ],
  ];
  element<HTMLElement>('figures').replaceChildren(
    ...rows.flatMap(([name, value]) => {
      const key = document.createElement('span');
      key.textContent = name;
      const figure = document.createElement('b');
      figure.textContent = value;
      figure.dataset.figure = name;
      return [key, figure];
    }),
  );
  const everyone = [...(frame.me ? [frame.me] : []), ...frame.others].sort((a, b) => b.score - a.score);
  const item = (text: string) => {
    const li = document.createElement('li');
    li.textContent = text;
    return li;
  };
  element<HTMLElement>('scores').replaceChildren(
    ...everyone.slice(0, 8).map((f) => item(`${f.name}: ${f.score}`)),
  );
  element<HTMLElement>('kills').replaceChildren(
    ...session.kills.map((k) => item(`${k.killer} → ${k.victim}`)),
  );
}

async function main(): Promise<void> {
  const client = new ShardlineClient(location.origin, {
    storage: sessionStorage, // a guest per tab: two tabs are two players
    wrapTransport: (base) => {
      link = new ConditionedClientTransport(base);
      link.configure(LINK_PROFILES[chosenLink].settings);
      return link;
    },
  });
  const online = await goOnline(client, toast);
  const world = await join(client);
  const session = new ArenaSession(world, () => performance.now());
  const playing = () => {
    status.textContent = `playing as ${online.services.session.user?.username} in ${world.id}`;
    status.className = '';
  };
  world.onReconnecting = () => {
    status.textContent = 'reconnecting…';
  };
  let shownWorld = world.id;
  const arrived = (text: string) => {
    playing();
    if (world.id === shownWorld) return;
    shownWorld = world.id;
    inviteLink(world.id);
    toast(text);
  };
  // Back after a dropped link, possibly in another world (a move finished while the link was down).
  world.onRejoined = () => arrived(`Back, in ${worldName(world.id)}`);
  world.onLeave = (reason) => {
    status.textContent = `left the arena: ${reason} (reload to rejoin)`;
    status.className = 'error';
  };
  // Through a portal: the same handle, now seated in the other world (on its own shard).
  world.onMigrated = ({ from, portal }) =>
    arrived(`From ${worldName(from)} into ${worldName(world.id)}, by the ${portal}`);
  session.onPortalRefused = ({ portal, reason }) => toast(`The ${portal} would not take you: ${reason}`);
  session.onBossDefeated = ({ boss, by, world: where }) =>
    banner(`${boss} was defeated by ${by} in ${worldName(where)}!`);
  inviteLink(world.id);
  const saved = online.settings;
  if (saved && PANEL_PROFILES.includes(saved.link)) chosenLink = saved.link;
  if (saved) Object.assign(session.techniques, saved.techniques);
  playing();
  const save = () =>
    online.saveSettings({ link: chosenLink, techniques: { ...session.techniques } } satisfies ArenaSettings);
  linkPanel(save);
  techniquePanel(session.techniques, save);
  boardPanel(online);
  const stick = keyboard();
  const tracers: Tracer[] = [];
  let frame = session.frame();
  canvas.addEventListener('mousedown', (event) => {
    if (!frame.me) return;
    const bounds = canvas.getBoundingClientRect();
    const target = toWorld(
      ((event.clientX - bounds.left) * canvas.width) / bounds.width,
      ((event.clientY - bounds.top) * canvas.height) / bounds.height,
    );
    const length = Math.hypot(target.x - frame.me.x, target.y - frame.me.y) || 1;
    const tracer: Tracer = {
      from: { x: frame.me.x, y: frame.me.y },
      to: {
        x: frame.me.x + ((target.x - frame.me.x) / length) * RANGE,
        y: frame.me.y + ((target.y - frame.me.y) / length) * RANGE,
      },
      firedAtMs: performance.now(),
      result: 'pending',
    };
    tracers.push(tracer);
    session.fire(target).then(
      (victim) => {
        tracer.result = victim ? 'hit' : 'miss';
      },
      () => {
        tracer.result = 'refused'; // over the fire rate
      },
    );
  });
  let lastFiguresMs = 0;
  const loop = (nowMs: number) => {
    session.steer(stick());
    frame = session.frame();
    while (tracers.length > 0 && nowMs - tracers[0]!.firedAtMs > TRACER_MS) tracers.shift();
    draw(frame, world.id, tracers, element<HTMLInputElement>('ghosts').checked, nowMs);
    if (nowMs - lastFiguresMs > 250) {
      lastFiguresMs = nowMs;
      showFigures(session, frame);
    }
    (window as unknown as { arena: unknown }).arena = { session, frame };
    requestAnimationFrame(loop);
  };
  requestAnimationFrame(loop);
}

main().catch((error: unknown) => {
  status.textContent = `could not join: ${error instanceof Error ? error.message : String(error)}`;
  status.className = 'error';
});
