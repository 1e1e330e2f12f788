import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, DEFAULT_CONFIG, loadConfig, parseConfig } from '@shardline/server';
import { describe, expect, it } from 'vitest';

const PORT = 'must be a port number 0–65535 (0: any free port)';

/** The ConfigError loadConfig throws for `env`, as [key, message]. */
function refusal(env: Record<string, string>, file?: string): [string, string] {
  try {
    loadConfig(file, env);
  } catch (error) {
    if (error instanceof ConfigError) return [error.key, error.message];
    throw error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('SHARDLINE_* variables', () => {
  it('set their keys over the file, whole numbers read from digits', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'shardline-config-')), 'config.json');
    writeFileSync(file, JSON.stringify({ httpPort: 9000, maxClients: 20, host: '0.0.0.0' }));
    const config = loadConfig(file, {
      SHARDLINE_HTTP_PORT: '8088',
      SHARDLINE_UDP_PORT: ' 0 ',
      SHARDLINE_MAX_CLIENTS: '60',
      SHARDLINE_LOG_LEVEL: 'warn',
    });
    expect(config).toEqual({
      ...DEFAULT_CONFIG,
      host: '0.0.0.0', // from the file: no variable set it
      httpPort: 8088,
      udpPort: 0,
      maxClients: 60,
      logLevel: 'warn',
    });
  });

  it.each([
    ['SHARDLINE_HTTP_PORT', 'eighty', `httpPort ${PORT}`],
    ['SHARDLINE_WS_PORT', '', `wsPort ${PORT}`], // Number('') would be 0: any port, silently
    ['SHARDLINE_UDP_PORT', '70000', `udpPort ${PORT}`],
    ['SHARDLINE_UDP_PORT', '-1', `udpPort ${PORT}`],
    ['SHARDLINE_MAX_CLIENTS', '0x20', 'maxClients must be a whole number 1–100000'], // Number('0x20') would be 32
    ['SHARDLINE_MAX_CLIENTS', '1.5', 'maxClients must be a whole number 1–100000'],
    ['SHARDLINE_LOG_LEVEL', 'loud', 'logLevel must be one of fatal, error, warn, info, debug, trace, silent'],
    ['SHARDLINE_HOST', '', 'host must be a host name or address'],
    ['SHARDLINE_DATA_DIR', '', 'dataDir must be a directory path'],
    ['SHARDLINE_POSTGRES_URL', 'mysql://x', 'postgresUrl must be a postgres:// URL'],
    [
      'SHARDLINE_POSTGRES_SCHEMA',
      'Bad-Name',
      'postgresSchema must be a schema name: lower-case letters, digits and _',
    ],
  ])('%s=%j is refused, naming the variable, the value and the setting', (variable, value, problem) => {
    expect(refusal({ [variable]: value })).toEqual([
      variable,
      `config: ${variable} is ${JSON.stringify(value)}: ${problem}`,
    ]);
  });

  it('leave a bad file value to be named by its key, with the value', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'shardline-config-')), 'config.json');
    writeFileSync(file, JSON.stringify({ httpPort: 'eighty' }));
    expect(refusal({}, file)).toEqual(['httpPort', `config: httpPort ${PORT}, not "eighty"`]);
  });
});

describe('world settings', () => {
  it('take persistent worlds, reservation and disposal times, and refuse the old global tick rate', () => {
    const config = parseConfig({
      worlds: [{ kind: 'overworld', id: 'forest', options: { season: 'winter' } }],
      seatReservationMs: 5_000,
      worldDisposeDelayMs: 60_000,
    });
    expect(config).toMatchObject({
      worlds: [{ kind: 'overworld', id: 'forest', options: { season: 'winter' } }],
      seatReservationMs: 5_000,
      worldDisposeDelayMs: 60_000,
    });
    expect(() => parseConfig({ worlds: [{ kind: 'overworld', id: 'has space' }] })).toThrow(
      /worlds\[0\]\.id/,
    );
    expect(() => parseConfig({ worlds: [{ kind: 'overworld', id: 'x', name: 'y' }] })).toThrow(
      /worlds\[0\]\.name is not a setting/,
    );
    expect(() => parseConfig({ seatReservationMs: 0 })).toThrow(/seatReservationMs must be a whole number/);
    expect(() => parseConfig({ tickHz: 20 })).toThrow(
      /tickHz is no longer a setting: each world kind declares its rates/,
    );
  });
});

describe('pre-handshake limits', () => {
  it('default to 5 s, 64 per address, 1,024 in all, 2 KiB frames and 1 MiB held; the file and SHARDLINE_* set them', () => {
    expect(DEFAULT_CONFIG).toMatchObject({
      handshakeTimeoutMs: 5_000,
      maxPendingPerAddress: 64,
      maxPendingConnections: 1_024,
      maxPendingFrameBytes: 2_048,
      maxPendingBufferedBytes: 1_048_576,
    });
    const file = join(mkdtempSync(join(tmpdir(), 'shardline-config-')), 'config.json');
    writeFileSync(file, JSON.stringify({ handshakeTimeoutMs: 2_000, maxPendingFrameBytes: 4_096 }));
    const config = loadConfig(file, {
      SHARDLINE_HANDSHAKE_TIMEOUT_MS: '3000',
      SHARDLINE_MAX_PENDING_PER_ADDRESS: '4',
      SHARDLINE_MAX_PENDING_CONNECTIONS: '100',
      SHARDLINE_MAX_PENDING_BUFFERED_BYTES: '65536',
    });
    expect(config).toMatchObject({
      handshakeTimeoutMs: 3_000,
      maxPendingPerAddress: 4,
      maxPendingConnections: 100,
      maxPendingFrameBytes: 4_096,
      maxPendingBufferedBytes: 65_536,
    });
  });

  it('refuse a frame limit under a connect request (1,053 bytes) and zero caps', () => {
    expect(() => parseConfig({ maxPendingFrameBytes: 1_052 })).toThrow(
      /maxPendingFrameBytes must be a whole number 1053–/,
    );
    expect(parseConfig({ maxPendingFrameBytes: 1_053 }).maxPendingFrameBytes).toBe(1_053);
    expect(() => parseConfig({ maxPendingPerAddress: 0 })).toThrow(/maxPendingPerAddress must be/);
    expect(() => loadConfig(undefined, { SHARDLINE_HANDSHAKE_TIMEOUT_MS: 'soon' })).toThrow(
      /SHARDLINE_HANDSHAKE_TIMEOUT_MS is "soon"/,
    );
  });
});
