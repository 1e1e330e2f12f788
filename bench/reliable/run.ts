/**
 * Reliable-delivery benchmark (npm run bench:reliable; needs root). Shardline's reliable-ordered
 * channel over UDP against TCP through the same impaired link (two network namespaces joined by a
 * user-space TUN relay: 50 ms each way, 5% loss), plus raw throughput of the UDP path on loopback
 * against plain node:dgram. Writes bench/results/reliable.json and reliable.md.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { environment, markdownTable, writeResults } from '../lib/results.js';
import { createImpairedLink, type ImpairedLink, missingPrerequisite } from './netns.js';
import { measureLoopbackThroughput } from './throughput.js';

const DELAY_MS = 50;
const LOSS_PERCENT = Number(process.env.SL_LOSS ?? 5);
const RATE_PER_SECOND = 600;
const STEADY_SECONDS = Number(process.env.SL_SECONDS ?? 20);
const STEADY_COUNT = RATE_PER_SECOND * STEADY_SECONDS;
const BURST_COUNT = 10_000;
const TARGETS = { p99VsTcp: 0.5, vsRawDgram: 0.5 };

interface PeerResult {
  stack: string;
  steadyReceived: number;
  latencyMs?: { median: number; p99: number; mean: number };
  burstReceived: number;
  burstCompletionMs: number;
}

const peerScript = fileURLToPath(new URL('./peer.ts', import.meta.url));

function peer(namespace: string, args: string[]): ChildProcess {
  return spawn(
    'ip',
    [
      'netns',
      'exec',
      namespace,
      process.execPath,
      '--conditions=shardline-source',
      '--import',
      'tsx',
      peerScript,
      ...args,
    ],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
}

function nextLine(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString();
      const newline = buffer.indexOf('\n');
      if (newline >= 0) {
        child.stdout!.off('data', onData);
        resolve(buffer.slice(0, newline));
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`peer exited with ${code} before printing`)));
  });
}

async function runStack(link: ImpairedLink, stack: string, port: number): Promise<PeerResult> {
  const counts = [String(STEADY_COUNT), String(BURST_COUNT)];
  const receiver = peer(link.serverNamespace, [
    'receiver',
    stack,
    link.serverAddress,
    String(port),
    ...counts,
  ]);
  await nextLine(receiver); // listening
  const sender = peer(link.clientNamespace, [
    'sender',
    stack,
    link.serverAddress,
    String(port),
    ...counts,
    String(RATE_PER_SECOND),
  ]);
  try {
    return JSON.parse(await nextLine(receiver)) as PeerResult;
  } finally {
    sender.kill();
    receiver.kill();
  }
}

const round = (value: number, digits = 1) => Number(value.toFixed(digits));

async function main(): Promise<void> {
  const missing = missingPrerequisite();
  if (missing) {
    console.error(`bench:reliable ${missing}`);
    process.exit(2);
  }
  const link = await createImpairedLink(DELAY_MS, LOSS_PERCENT, 7);
  let shardline: PeerResult;
  let tcp: PeerResult;
  try {
    shardline = await runStack(link, 'shardline-udp', 41_000);
    tcp = await runStack(link, 'tcp', 41_001);
  } finally {
    link.close();
  }
  const throughput = await measureLoopbackThroughput();

  const p99VsTcp = round(shardline.latencyMs!.p99 / tcp.latencyMs!.p99, 3);
  const burstVsTcp = round(shardline.burstCompletionMs / tcp.burstCompletionMs, 3);
  const vsRawDgram = round(throughput.shardlineMessagesPerSecond / throughput.rawDgramMessagesPerSecond, 3);
  const latencyTable = markdownTable(
    ['stack', 'one-way p50 ms', 'one-way p99 ms', 'mean ms', `burst of ${BURST_COUNT} ms`, 'delivered'],
    [shardline, tcp].map((r) => [
      r.stack === 'tcp' ? 'TCP (node:net, Nagle off)' : 'Shardline UDP, reliable-ordered',
      String(round(r.latencyMs!.median)),
      String(round(r.latencyMs!.p99)),
      String(round(r.latencyMs!.mean)),
      String(round(r.burstCompletionMs)),
      `${r.steadyReceived}/${STEADY_COUNT} + ${r.burstReceived}/${BURST_COUNT}`,
    ]),
  );
  const throughputTable = markdownTable(
    ['loopback, 64-byte messages', 'messages/s'],
    [
      [
        'plain node:dgram (one datagram per message)',
        String(Math.round(throughput.rawDgramMessagesPerSecond)),
      ],
      [
        'Shardline UDP (reliable-ordered, encrypted)',
        String(Math.round(throughput.shardlineMessagesPerSecond)),
      ],
    ],
  );
  const ratioTable = markdownTable(
    ['ratio', 'measured', 'target', 'met'],
    [
      ['p99VsTcp', String(p99VsTcp), `≤ ${TARGETS.p99VsTcp}`, p99VsTcp <= TARGETS.p99VsTcp ? 'yes' : 'no'],
      ['burstVsTcp', String(burstVsTcp), 'reported', '—'],
      [
        'vsRawDgram',
        String(vsRawDgram),
        `≥ ${TARGETS.vsRawDgram}`,
        vsRawDgram >= TARGETS.vsRawDgram ? 'yes' : 'no',
      ],
    ],
  );
  const markdown = [
    '# Reliable delivery benchmark',
    '',
    `Ordered reliable 64-byte messages at ${RATE_PER_SECOND}/s for ${STEADY_SECONDS} s, then a burst of ${BURST_COUNT}, ` +
      `from a client namespace to a server namespace joined by a user-space TUN relay that delays every IP packet ` +
      `${DELAY_MS} ms each way and drops ${LOSS_PERCENT}% (bench/reliable/relay.py): UDP and TCP cross the same link. ` +
      'Latency is one-way, from the send call to delivery to the game, measured on one clock.',
    '',
    latencyTable,
    '',
    throughputTable,
    '',
    ratioTable,
    '',
    `Run: ${JSON.stringify(environment())}. Shared 2-core machine: compare ratios.`,
  ].join('\n');
  console.log(`\n${latencyTable}\n\n${throughputTable}\n\n${ratioTable}\n`);
  writeResults(
    'reliable',
    {
      link: { delayMsEachWay: DELAY_MS, lossPercent: LOSS_PERCENT },
      workload: {
        ratePerSecond: RATE_PER_SECOND,
        steadySeconds: STEADY_SECONDS,
        burst: BURST_COUNT,
        messageBytes: 64,
      },
      shardline,
      tcp,
      throughput,
      p99VsTcp,
      burstVsTcp,
      vsRawDgram,
      targets: TARGETS,
      environment: environment(),
    },
    markdown,
  );
}

await main();
