/**
 * The dashboard page served at `/`: live server and client figures from the `/live` WebSocket
 * (LiveStats every second), the server's figures and each client's ping with a chart of their last
 * minute, the world instances hosted (kind, players, tick time), the newest sessions coming and
 * going (from the bus), the cluster view of a shard (every shard's role, status, lease age, worlds,
 * players and RPC rate, this shard's players moved through portals, and the global events applied),
 * and the topology view: the session drawn as client–server (N links) beside a full mesh
 * (N(N−1)/2 links), with packets travelling along the links and a slider for N. One self-contained page, no build step; `playPath` adds a
 * link to the game's browser page.
 */
export function dashboardHtml(options: { playPath: string | undefined }): string {
  const play = options.playPath ? ` · <a href="${options.playPath}" target="_blank">play the demo</a>` : '';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Shardline dashboard</title>
<link rel="icon" href="data:,">
<style>
  body { font: 14px system-ui, sans-serif; margin: 1.5em; background: #10141a; color: #dde3ea; }
  h1 { font-size: 1.3em; margin: 0 0 .2em; } h2 { font-size: 1.05em; margin: 1.4em 0 .4em; }
  #status { color: #8a96a3; } a { color: #5aa9e6; } #status.live { color: #6fd08c; }
  .figures { display: flex; flex-wrap: wrap; gap: .8em; }
  .figure { background: #19202a; padding: .6em .8em; border-radius: 6px; min-width: 10em; }
  .figure b { display: block; font-size: 1.3em; } .figure span { color: #8a96a3; font-size: .85em; }
  canvas.spark { display: block; margin-top: .3em; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: right; padding: .25em .6em; }
  th:first-child, td:first-child { text-align: left; } tr:nth-child(even) { background: #161c25; }
  #topology { background: #19202a; border-radius: 6px; }
  #events { list-style: none; padding: 0; margin: 0; max-height: 12em; overflow-y: auto; color: #aab4bf; }
  #events time { color: #8a96a3; margin-right: .6em; }
  #clusterEvents { list-style: none; padding: 0; margin: 0; max-height: 12em; overflow-y: auto; color: #aab4bf; }
  #clusterEvents time { color: #8a96a3; margin-right: .6em; } tr[data-status="down"] { color: #e07a6f; }
</style>
</head>
<body>
<h1>Shardline</h1>
<div><span id="status">connecting…</span>${play}</div>
<h2>Server</h2>
<div class="figures" id="server"></div>
<h2>Online services</h2>
<div class="figures" id="services"></div>
<section id="cluster" hidden>
<h2>Cluster <span id="clusterName"></span></h2>
<table id="shards"><thead><tr>
  <th>shard</th><th>role</th><th>status</th><th>lease age ms</th><th>worlds</th><th>players</th><th>RPC/s</th>
  <th title="players moved out through portals since it started">moved out</th><th title="players taken in through portals">moved in</th>
  <th title="moves rolled back (the player stayed)">rolled back</th><th>dashboard</th>
</tr></thead><tbody></tbody></table>
<h2>Global events</h2>
<ol id="clusterEvents"></ol>
</section>
<h2>Worlds</h2>
<table id="worlds"><thead><tr>
  <th>world</th><th>kind</th><th>visibility</th><th>players</th><th>connected</th><th>entities</th><th>tick</th><th>tick ms</th>
</tr></thead><tbody></tbody></table>
<h2>Clients</h2>
<table id="clients"><thead><tr>
  <th>client</th><th>world</th><th>seat</th><th>status</th><th>up s</th><th>ping ms</th><th>ping, last minute</th><th>sent</th><th>received</th><th>lost</th><th>loss %</th>
  <th>KB/s in</th><th>KB/s out</th><th>send queue</th><th>lag ms</th><th>client time</th><th>drift ms</th>
</tr></thead><tbody></tbody></table>
<h2>Sessions coming and going</h2>
<ol id="events"></ol>
<h2>Topology</h2>
<label>N = <input id="n" type="range" min="2" max="64" value="8"> <span id="nValue">8</span>
  <label><input id="follow" type="checkbox" checked> follow the connected clients</label></label>
<div id="hud"></div>
<canvas id="topology" width="960" height="420"></canvas>
<script>
const history = {}; // figure → last 60 values
const SERVER_FIGURES = [
  ['uptime', (s) => (s.uptimeMs / 1000).toFixed(0) + ' s', (s) => s.uptimeMs / 1000],
  ['server time', (s) => new Date(s.serverTimeMs).toISOString().slice(11, 23), null],
  ['worlds', (s) => String(s.worlds), (s) => s.worlds],
  ['sessions', (s) => String(s.sessions), (s) => s.sessions],
  ['KB/s in', (s) => (s.bytesInPerSecond / 1024).toFixed(1), (s) => s.bytesInPerSecond / 1024],
  ['KB/s out', (s) => (s.bytesOutPerSecond / 1024).toFixed(1), (s) => s.bytesOutPerSecond / 1024],
  ['packets/s in', (s) => s.packetsInPerSecond.toFixed(0), (s) => s.packetsInPerSecond],
  ['packets/s out', (s) => s.packetsOutPerSecond.toFixed(0), (s) => s.packetsOutPerSecond],
];
// The online services' presence (stats.services): lobbies, the matchmaking queue, push streams.
const SERVICE_FIGURES = [
  ['lobbies open', (s) => String(s.lobbiesOpen), (s) => s.lobbiesOpen],
  ['lobbies started', (s) => String(s.lobbiesStarted), (s) => s.lobbiesStarted],
  ['queued', (s) => String(s.queued), (s) => s.queued],
  ['push streams', (s) => String(s.pushStreams), (s) => s.pushStreams],
];
function remember(key, value) {
  const values = (history[key] ??= []);
  values.push(value);
  if (values.length > 60) values.shift();
  return values;
}
function spark(values) {
  const canvas = document.createElement('canvas');
  canvas.className = 'spark'; canvas.width = 140; canvas.height = 28;
  const g = canvas.getContext('2d');
  const max = Math.max(...values, 1e-9), min = Math.min(...values, 0);
  g.strokeStyle = '#5aa9e6'; g.beginPath();
  values.forEach((v, i) => {
    const x = (i / 59) * canvas.width, y = canvas.height - 2 - ((v - min) / (max - min || 1)) * (canvas.height - 4);
    i ? g.lineTo(x, y) : g.moveTo(x, y);
  });
  g.stroke();
  return canvas;
}
function figures(id, list, values) {
  document.getElementById(id).replaceChildren(...list.map(([name, text, value]) => {
    const box = document.createElement('div'); box.className = 'figure';
    box.innerHTML = '<span></span><b></b>';
    box.children[0].textContent = name; box.children[1].textContent = text(values);
    if (value) box.append(spark(remember(name, value(values))));
    return box;
  }));
}
function rows(tbody, items, cellsOf) {
  tbody.replaceChildren(...items.map((item) => {
    const row = document.createElement('tr');
    for (const cell of cellsOf(item)) {
      const td = document.createElement('td');
      if (cell instanceof HTMLElement) td.append(cell); else td.textContent = String(cell);
      row.append(td);
    }
    return row;
  }));
  return tbody.children;
}
function show(stats) {
  figures('server', SERVER_FIGURES, stats.server);
  figures('services', SERVICE_FIGURES, stats.services);
  rows(document.querySelector('#worlds tbody'), stats.worlds, (w) =>
    [w.id, w.kind, w.visibility, w.players + '/' + w.maxPlayers, w.connected, w.entities, w.tick, w.tickMs.toFixed(2)]);
  const body = document.querySelector('#clients tbody');
  const clock = (ms) => (ms === null ? '…' : new Date(ms).toISOString().slice(11, 23));
  body.replaceChildren(...stats.clients.map((c) => {
    const row = document.createElement('tr');
    row.dataset.session = c.session;
    const cells = [c.name, c.world || '–', c.seat ?? '…', c.status, (c.connectedForMs / 1000).toFixed(0), c.rttMs.toFixed(1),
      spark(remember('ping ' + c.session, c.rttMs)), c.packetsSent, c.packetsReceived, c.packetsLost,
      c.lossPercent.toFixed(2), (c.bytesInPerSecond / 1024).toFixed(2), (c.bytesOutPerSecond / 1024).toFixed(2),
      c.sendQueueLength, c.lagMs.toFixed(0), clock(c.clientTimeMs), c.driftMs === null ? '…' : c.driftMs.toFixed(1)];
    for (const cell of cells) {
      const td = document.createElement('td');
      if (cell instanceof HTMLElement) td.append(cell); else td.textContent = String(cell);
      row.append(td);
    }
    return row;
  }));
  document.getElementById('events').replaceChildren(...stats.events.map((e) => {
    const item = document.createElement('li');
    item.dataset.kind = e.kind;
    const at = document.createElement('time');
    at.textContent = clock(e.atMs);
    item.append(at, (e.name ?? e.clientId) + ' ' + e.kind + (e.reason ? ' (' + e.reason + ')' : ''));
    return item;
  }));
  showCluster(stats.cluster, clock);
  for (const key of Object.keys(history)) { // forget the charts of clients that left
    if (key.startsWith('ping ') && !stats.clients.some((c) => 'ping ' + c.session === key)) delete history[key];
  }
  if (document.getElementById('follow').checked && stats.clients.length >= 2) setN(Math.min(64, stats.clients.length));
}
// The cluster view (a shard's dashboard): every shard of the config, and the global events applied here.
function showCluster(cluster, clock) {
  document.getElementById('cluster').hidden = !cluster;
  if (!cluster) return;
  document.getElementById('clusterName').textContent =
    cluster.name + ' · this is ' + cluster.shard + ' · master: ' + (cluster.master ?? 'none (failing over)');
  const role = (s) => s.name === cluster.master ? 'master' : s.role === 'master' ? 'master (configured)' : s.standby ? 'standby' : 'secondary';
  const link = (url) => {
    if (!url) return '–';
    const a = document.createElement('a'); a.href = url; a.textContent = url; a.target = '_blank'; return a;
  };
  // Moves through portals: this shard's own (each shard's dashboard shows its row's).
  const moves = (s, key) => (s.moves ? s.moves[key] : '–');
  const shardRows = rows(document.querySelector('#shards tbody'), cluster.shards, (s) => [
    s.name + (s.name === cluster.shard ? ' (here)' : ''), role(s), s.status, s.leaseAgeMs ?? '–', s.worlds, s.players,
    s.rpcPerSecond, moves(s, 'out'), moves(s, 'in'), moves(s, 'rolledBack'), link(s.http)]);
  cluster.shards.forEach((s, i) => { shardRows[i].dataset.status = s.status; });
  document.getElementById('clusterEvents').replaceChildren(...cluster.events.map((e) => {
    const item = document.createElement('li');
    const at = document.createElement('time');
    at.textContent = clock(e.timeMs);
    item.append(at, '#' + e.sequence + ' ' + e.kind + ' (' + e.subject + ') from ' + e.reporter);
    return item;
  }));
}
function connect() {
  const socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/live');
  const status = document.getElementById('status');
  socket.onopen = () => { status.textContent = 'live'; status.className = 'live'; };
  socket.onmessage = (event) => show(JSON.parse(event.data));
  socket.onclose = () => { status.textContent = 'disconnected, retrying…'; status.className = ''; setTimeout(connect, 1000); };
}
connect();

// Topology: client–server needs N links; a full mesh of the same N peers needs N(N−1)/2.
const slider = document.getElementById('n');
let n = Number(slider.value);
function setN(value) { n = value; slider.value = String(value); document.getElementById('nValue').textContent = String(value); }
slider.oninput = () => { document.getElementById('follow').checked = false; setN(Number(slider.value)); };
function drawTopology(timeMs) {
  const canvas = document.getElementById('topology'), g = canvas.getContext('2d');
  g.clearRect(0, 0, canvas.width, canvas.height);
  const half = canvas.width / 2, r = Math.min(half, canvas.height) * 0.38, cy = canvas.height / 2 + 10;
  const ring = (cx) => Array.from({ length: n }, (_, i) => [cx + r * Math.cos((2 * Math.PI * i) / n), cy + r * Math.sin((2 * Math.PI * i) / n)]);
  const left = ring(half / 2), right = ring(half + half / 2), server = [half / 2, cy];
  const links = [
    ...left.map((p) => [server, p]),
    ...right.flatMap((p, i) => right.slice(i + 1).map((q) => [p, q])),
  ];
  g.strokeStyle = 'rgba(120,140,160,0.35)'; g.lineWidth = 1;
  for (const [a, b] of links) { g.beginPath(); g.moveTo(a[0], a[1]); g.lineTo(b[0], b[1]); g.stroke(); }
  g.fillStyle = '#f2c14e';
  links.forEach(([a, b], i) => { // a packet on each link, at its own phase
    const t = ((timeMs / 1200) + i * 0.137) % 1;
    g.beginPath(); g.arc(a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, 2, 0, 2 * Math.PI); g.fill();
  });
  g.fillStyle = '#5aa9e6';
  for (const [x, y] of [...left, ...right]) { g.beginPath(); g.arc(x, y, 5, 0, 2 * Math.PI); g.fill(); }
  g.fillStyle = '#6fd08c'; g.beginPath(); g.arc(server[0], server[1], 9, 0, 2 * Math.PI); g.fill();
  g.fillStyle = '#dde3ea'; g.font = '14px system-ui';
  g.fillText('client–server: ' + n + ' links', 16, 22);
  g.fillText('full mesh: ' + (n * (n - 1)) / 2 + ' links', half + 16, 22);
  document.getElementById('hud').textContent =
    'N = ' + n + ' · client–server ' + n + ' links · mesh ' + (n * (n - 1)) / 2 + ' links · ratio (N−1)/2 = ' + ((n - 1) / 2).toFixed(1);
  requestAnimationFrame(drawTopology);
}
requestAnimationFrame(drawTopology);
</script>
</body>
</html>
`;
}
