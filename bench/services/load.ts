import autocannon from 'autocannon';
import type { ServerProcess } from './server-process.js';

/** One request kind of a scenario: built afresh for every request (a user's token, a new score). */
export interface RequestMaker {
  method: 'GET' | 'POST' | 'PUT';
  path(): string;
  headers(): Record<string, string>;
  body?(): string;
}

/** What one scenario window measured. Latencies in ms; `perCpu` is requests per server CPU second. */
export interface LoadResult {
  requests: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  serverCpuSeconds: number;
  perCpu: number;
  /** Requests answered with a status other than 2xx, plus connection errors: must be 0. */
  failures: number;
}

/**
 * Drives `server` for `seconds` with `connections` keep-alive connections, each sending the
 * `makers`' requests in turn, and measures throughput, latency and the server's CPU time.
 */
export async function load(
  server: ServerProcess,
  makers: readonly RequestMaker[],
  options: { connections: number; seconds: number },
): Promise<LoadResult> {
  const cpuBefore = server.cpuSeconds();
  const result = await autocannon({
    url: server.http,
    connections: options.connections,
    duration: options.seconds,
    requests: makers.map((maker) => ({
      method: maker.method,
      setupRequest: (request) => ({
        ...request,
        method: maker.method,
        path: maker.path(),
        headers: { ...maker.headers(), ...(maker.body ? { 'content-type': 'application/json' } : {}) },
        ...(maker.body ? { body: maker.body() } : {}),
      }),
    })),
  });
  const serverCpuSeconds = server.cpuSeconds() - cpuBefore;
  const requests = result.requests.total;
  return {
    requests,
    perSecond: requests / options.seconds,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    serverCpuSeconds,
    perCpu: serverCpuSeconds > 0 ? requests / serverCpuSeconds : 0,
    failures: result.non2xx + result.errors + result.timeouts,
  };
}
