import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describePacket, formatPacketLogLine, PacketType, ReliableEndpoint } from '@shardline/server';
import { afterEach, describe, expect, it } from 'vitest';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.ts');
const running: ChildProcess[] = [];
afterEach(() => {
  for (const child of running.splice(0)) child.kill('SIGKILL');
});

function configFile(config: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'shardline-')), 'config.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}

function shardline(...args: string[]) {
  return shardlineWith({}, ...args);
}

/** The CLI from source, with `env` over this process's environment. */
function shardlineWith(env: Record<string, string>, ...args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=shardline-source', CLI, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (chunk) => (stdout += chunk));
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const logs = () =>
    stdout
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  const waitForLog = async (msg: string, timeoutMs = 20_000) => {
    const started = Date.now();
    for (;;) {
      const found = logs().find((entry) => entry.msg === msg);
      if (found) return found;
      if (Date.now() - started > timeoutMs) throw new Error(`no "${msg}" log; stderr: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { child, exited, waitForLog, stdout: () => stdout, stderr: () => stderr };
}

describe('shardline start', () => {
  it('answers /metrics and /healthz, and shuts down cleanly on SIGTERM', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'shardline-')), 'data');
    const cli = shardline(
      'start',
      '--config',
      configFile({ httpPort: 0, udpPort: 0, wsPort: 0, dataDir, worlds: [{ kind: 'starter', id: 'hub' }] }),
    );
    const listening = (await cli.waitForLog('listening')) as {
      http: string;
      udp: string;
      ws: string;
      database: string;
    };
    expect(listening.database).toBe(join(dataDir, 'shardline.db'));
    expect(existsSync(listening.database)).toBe(true);
    expect(listening.udp).toMatch(/^udp:\/\/127\.0\.0\.1:\d+$/);
    expect(listening.ws).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
    const metrics = await fetch(`${listening.http}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/^shardline_sessions 0$/m);
    expect(text).toMatch(/^shardline_process_resident_memory_bytes \d+/m);
    expect(text).toMatch(/^shardline_tick_seconds_count\{kind="starter"\} [1-9]\d*$/m); // the hub ticked
    expect(text).toMatch(/^shardline_worlds\{kind="starter"\} 1$/m);
    expect(text).toMatch(/^# TYPE shardline_rtt_ms histogram$/m);
    expect(text).toMatch(/^# TYPE shardline_rpc_rejected_total gauge$/m);
    const health = (await (await fetch(`${listening.http}/healthz`)).json()) as {
      status: string;
      worlds: number;
    };
    expect(health).toMatchObject({ status: 'ok', worlds: 1 });
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
    await cli.waitForLog('stopped');
    expect(existsSync(`${listening.database}-wal`)).toBe(false); // the log was folded in on close
  }, 30_000);

  it.each([
    [{ httpPort: 'eighty' }, 'httpPort'],
    [{ htpPort: 8080 }, 'htpPort'],
    [{ link: { lossPct: 5 } }, 'link.lossPct'],
    [{ logLevel: 'loud' }, 'logLevel'],
    [{ dataDir: 7 }, 'dataDir'],
  ])(
    'refuses the config %j, naming %s',
    async (config, key) => {
      const cli = shardline('start', '--config', configFile(config));
      expect(await cli.exited).toBe(2);
      expect(cli.stderr()).toContain(`config: ${key} `);
    },
    30_000,
  );
});

describe('shardline start with a persistent world of a kind the game does not serve', () => {
  it('says so in one line and exits with 2, before opening a port', async () => {
    const cli = shardlineWith(
      anyPorts(),
      'start',
      '--config',
      configFile({ worlds: [{ kind: 'forest', id: 'forest' }] }),
    );
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toBe(
      'shardline start: no world kind "forest" here: a persistent world (worlds / --config) or the game\'s matchmaking names a kind the game does not serve\n',
    );
  }, 30_000);
});

describe('shardline start, given a SHARDLINE_* variable it cannot use', () => {
  // Every variable's cases are in config.test.ts; this is the whole path, in one line on stderr.
  it('says which variable, what value and what the setting takes, in one line, and exits with 2', async () => {
    const cli = shardlineWith({ SHARDLINE_HTTP_PORT: 'eighty' }, 'start');
    expect(await cli.exited).toBe(2);
    expect(cli.stderr()).toBe(
      'config: SHARDLINE_HTTP_PORT is "eighty": httpPort must be a port number 0–65535 (0: any free port)\n',
    );
  }, 30_000);
});

/** Ports of a started CLI that may bind any free port, and a data directory of its own. */
const anyPorts = () => ({
  SHARDLINE_HTTP_PORT: '0',
  SHARDLINE_WS_PORT: '0',
  SHARDLINE_UDP_PORT: '0',
  SHARDLINE_DATA_DIR: join(mkdtempSync(join(tmpdir(), 'shardline-')), 'data'),
});

describe('shardline start on a taken port', () => {
  /** Holds a TCP or UDP port on 127.0.0.1 until `release`. */
  async function occupy(protocol: 'tcp' | 'udp') {
    if (protocol === 'udp') {
      const socket = createSocket('udp4');
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      return { port: socket.address().port, release: () => socket.close() };
    }
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as AddressInfo).port, release: () => server.close() };
  }

  it.each([
    ['httpPort', 'SHARDLINE_HTTP_PORT', 'tcp'],
    ['wsPort', 'SHARDLINE_WS_PORT', 'tcp'],
    ['udpPort', 'SHARDLINE_UDP_PORT', 'udp'],
  ] as const)(
    'says in one line that %s is in use and how to change it, and exits with 2',
    async (key, variable, protocol) => {
      const taken = await occupy(protocol);
      try {
        const cli = shardlineWith({ ...anyPorts(), [variable]: String(taken.port) }, 'start');
        expect(await cli.exited).toBe(2);
        expect(cli.stderr()).toBe(
          `shardline start: ${protocol.toUpperCase()} port ${taken.port} is in use on 127.0.0.1 (${key} / ${variable} / --config); stop what holds it, or choose another port (0: any free port)\n`,
        );
      } finally {
        taken.release();
      }
    },
    30_000,
  );
});

describe('shardline start on a data directory another server uses', () => {
  it('is refused in one line naming the holder, and the directory is free again once that server dies', async () => {
    const env = anyPorts();
    const first = shardlineWith(env, 'start');
    await first.waitForLog('listening');
    const second = shardlineWith(env, 'start');
    expect(await second.exited).toBe(2);
    const lockFile = join(env.SHARDLINE_DATA_DIR, 'shardline.db.lock');
    expect(second.stderr()).toBe(
      `shardline start: the data directory ${env.SHARDLINE_DATA_DIR} is in use by process ${first.child.pid} (it holds ${lockFile}); stop that server, or give this one another directory (dataDir / SHARDLINE_DATA_DIR / --config)\n`,
    );
    // A crash leaves no stale lock: the operating system let go of it with the process.
    first.child.kill('SIGKILL');
    await first.exited;
    const third = shardlineWith(env, 'start');
    await third.waitForLog('listening');
    third.child.kill('SIGTERM');
    expect(await third.exited).toBe(0);
  }, 60_000);
});

describe('shardline inspect', () => {
  /** A Data datagram as a stream carries it: the type byte, then a packet with one reliable message. */
  function datagram(): Uint8Array {
    const endpoint = new ReliableEndpoint({ channels: [{ kind: 'reliable-ordered' }], headroomBytes: 1 }, 0);
    endpoint.send(0, new Uint8Array(10).fill(7), 0);
    const [packet] = endpoint.update(1);
    packet![0] = PacketType.Data;
    return packet!;
  }
  const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');

  it('decodes one datagram given in hex', async () => {
    const cli = shardline('inspect', hex(datagram()));
    expect(await cli.exited).toBe(0);
    const out = cli.stdout();
    expect(out).toMatch(/Data 24 B seq 0 ack 0/); // type, 8-byte header, 5-byte entry head, 10 bytes
    expect(out).toMatch(/\[Reliable ch0 #0 10 B\]/);
    expect(out).toMatch(/^in Data: 1 packets, 24 B$/m);
  }, 30_000);

  it('summarises a packet log, and refuses input that is neither', async () => {
    const bytes = datagram();
    const lines = [
      describePacket('out', 'ws:1', 1_000, bytes.length, PacketType.Data, bytes.subarray(1)),
      describePacket('in', 'ws:1', 1_010, 1, PacketType.Accepted),
    ].map(formatPacketLogLine);
    const file = join(mkdtempSync(join(tmpdir(), 'shardline-')), 'trace.jsonl');
    writeFileSync(file, `${lines.join('\n')}\n`);
    const cli = shardline('inspect', file, '--json');
    expect(await cli.exited).toBe(0);
    const entries = cli
      .stdout()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; sequence?: number });
    expect(entries.map((entry) => entry.type)).toEqual(['Data', 'Accepted']);
    const odd = shardline('inspect', 'abc');
    expect(await odd.exited).toBe(2);
    expect(odd.stderr()).toContain('even number of digits');
  }, 30_000);
});
