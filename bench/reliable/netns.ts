import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Two network namespaces joined by the TUN relay (relay.py): client at .1, server at .2. */
export interface ImpairedLink {
  clientNamespace: string;
  serverNamespace: string;
  clientAddress: string;
  serverAddress: string;
  close(): void;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: 'pipe' });
}

/** Why this machine cannot build the link, or undefined when it can. */
export function missingPrerequisite(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network namespaces and TUN devices)';
  if (!existsSync('/dev/net/tun')) return 'needs /dev/net/tun';
  try {
    execFileSync('ip', ['-V'], { stdio: 'pipe' });
    execFileSync('python3', ['--version'], { stdio: 'pipe' });
  } catch {
    return 'needs iproute2 (ip) and python3';
  }
  return undefined;
}

export async function createImpairedLink(
  delayMs: number,
  lossPercent: number,
  seed: number,
): Promise<ImpairedLink> {
  const tag = `${process.pid % 100_000}`;
  const names = {
    clientNamespace: `slbc${tag}`,
    serverNamespace: `slbs${tag}`,
    clientTun: `slbtc${tag}`,
    serverTun: `slbts${tag}`,
  };
  const subnet = `10.${200 + (process.pid % 50)}.${(process.pid >> 6) % 250}`;
  const clientAddress = `${subnet}.1`;
  const serverAddress = `${subnet}.2`;
  const relayScript = fileURLToPath(new URL('./relay.py', import.meta.url));
  const relay: ChildProcess = spawn(
    'python3',
    [
      relayScript,
      '--tun-a',
      names.clientTun,
      '--tun-b',
      names.serverTun,
      '--delay-ms',
      String(delayMs),
      '--loss-percent',
      String(lossPercent),
      '--seed',
      String(seed),
    ],
    { stdio: ['pipe', 'pipe', 'inherit'] },
  );
  await new Promise<void>((resolve, reject) => {
    relay.once('exit', (code) => reject(new Error(`relay exited with ${code}`)));
    relay.stdout!.once('data', () => resolve());
  });
  const close = () => {
    relay.stdin!.end();
    relay.kill();
    for (const namespace of [names.clientNamespace, names.serverNamespace]) {
      try {
        ip('netns', 'del', namespace);
      } catch {
        // already gone
      }
    }
  };
  try {
    for (const [namespace, tun, address, peer] of [
      [names.clientNamespace, names.clientTun, clientAddress, serverAddress],
      [names.serverNamespace, names.serverTun, serverAddress, clientAddress],
    ] as const) {
      ip('netns', 'add', namespace);
      ip('link', 'set', tun, 'netns', namespace);
      ip('-n', namespace, 'addr', 'add', `${address}/32`, 'dev', tun);
      ip('-n', namespace, 'link', 'set', tun, 'up');
      ip('-n', namespace, 'link', 'set', 'lo', 'up');
      ip('-n', namespace, 'route', 'add', `${peer}/32`, 'dev', tun);
    }
  } catch (error) {
    close();
    throw error;
  }
  return {
    clientNamespace: names.clientNamespace,
    serverNamespace: names.serverNamespace,
    clientAddress,
    serverAddress,
    close,
  };
}
