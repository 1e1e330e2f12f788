import { mkdtempSync } from 'node:fs';
import { type IncomingHttpHeaders, request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERROR_CODES } from '@shardline/core';
import {
  DEFAULT_CONFIG,
  MAX_HTTP_BODY_BYTES,
  MAX_LIVE_VIEWERS,
  type RunningShardline,
  starterGame,
  startShardline,
} from '@shardline/server';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestShardline } from './support/json-http.js';

/** An HTTP answer as it came: status, headers, body text. */
interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

/** One request over real HTTP to `base`, the path sent exactly as given (no URL normalization). */
function send(
  base: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  const { hostname, port } = new URL(base);
  const length =
    options.body === undefined ? {} : { 'content-length': String(Buffer.byteLength(options.body)) };
  const headers = { ...length, ...options.headers };
  return new Promise((resolve, reject) => {
    const outgoing = request({ host: hostname, port, method, path, headers }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, text }));
    });
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}

/** Bytes written as they are on a fresh TCP connection to `base`; the whole answer until it closes. */
function sendRaw(base: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(bytes));
    let text = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      text += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text));
  });
}

/** A raw answer's status and parsed JSON body. */
function parseRaw(raw: string): { status: number; body: unknown } {
  const [head = '', body = ''] = raw.split('\r\n\r\n');
  return { status: Number(head.split(' ')[1]), body: JSON.parse(body) };
}

/** An upgrade to a WebSocket at `path` (`headers` replace the handshake's); the HTTP answer if refused. */
function upgrade(base: string, path: string, headers: Record<string, string> = {}, method = 'GET') {
  const { hostname, port } = new URL(base);
  return new Promise<Answer | 'upgraded'>((resolve, reject) => {
    const outgoing = request({
      host: hostname,
      port,
      path,
      method,
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
        ...headers,
      },
    });
    outgoing.on('upgrade', (_response, socket) => {
      socket.destroy();
      resolve('upgraded');
    });
    outgoing.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        text += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode!, headers: response.headers, text }));
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** The one error shape: `{ code, message }`, the code one of docs/errors.md's, as JSON. */
function expectErrorShape(answer: Answer, what: string): { code: string; message: string } {
  expect(answer.headers['content-type'], what).toMatch(/^application\/json/);
  const body = JSON.parse(answer.text);
  expect(body, what).toEqual({ code: expect.any(String), message: expect.any(String) });
  expect(Object.keys(ERROR_CODES), `${what}: ${answer.text}`).toContain(body.code);
  return body;
}

/** `expectErrorShape` and the status and code expected. */
function expectRefusal(answer: Answer, status: number, code: string, what: string): void {
  expect(answer.status, `${what}: ${answer.text}`).toBe(status);
  expect(expectErrorShape(answer, what).code, what).toBe(code);
}

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

/** A route as the server's OpenAPI document lists it: method, path pattern (`{id}`), body schema. */
interface Route {
  method: string;
  pattern: string;
  takesBody: boolean;
}

/** Every route the server registered, from its OpenAPI document (built from fastify's onRoute). */
async function routesOf(base: string): Promise<Route[]> {
  const document = JSON.parse((await send(base, 'GET', '/docs/json')).text) as {
    paths: Record<string, Record<string, { requestBody?: unknown }>>;
  };
  return Object.entries(document.paths).flatMap(([pattern, operations]) =>
    Object.entries(operations).map(([method, operation]) => ({
      method: method.toUpperCase(),
      pattern,
      takesBody: operation.requestBody !== undefined,
    })),
  );
}

/** `pattern` with each `{parameter}` as `value`. */
const fill = (pattern: string, value: string) => pattern.replace(/\{[^}]+\}/g, value);

/** Whether the concrete `path` matches route `pattern` (as the router does, a parameter may be empty). */
const matches = (pattern: string, path: string) =>
  new RegExp(`^${pattern.replace(/\{[^}]+\}/g, '[^/]*')}$`).test(path);

describe('the HTTP port answers every refusal as { code, message }', () => {
  let server: RunningShardline;
  let base: string;
  let routes: Route[];

  beforeAll(async () => {
    server = await startTestShardline({ devTokens: true });
    base = server.addresses.http;
    routes = await routesOf(base);
  });
  afterAll(() => server.stop());

  /** A fresh signed-in guest's bearer header (a route that logs out ends only its own session). */
  async function signedIn(deviceId: string): Promise<Record<string, string>> {
    const answer = await send(base, 'POST', '/v1/accounts/device', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ deviceId }),
    });
    expect(answer.status).toBe(200);
    return { authorization: `Bearer ${JSON.parse(answer.text).accessToken}` };
  }

  it('lists the routes walked: the services, the dashboard, /healthz, /metrics and /api/token', () => {
    const patterns = new Set(routes.map((route) => route.pattern));
    for (const pattern of [
      '/v1/accounts/login',
      '/v1/saves/{slot}',
      '/healthz',
      '/api/token',
      '/api/stats',
      '/',
    ]) {
      expect(patterns).toContain(pattern);
    }
    expect(routes.length).toBeGreaterThan(40);
  });

  it('refuses bad input to every route with a sensible status and a documented code', async () => {
    const json = { 'content-type': 'application/json' };
    for (const [index, route] of routes.entries()) {
      const path = fill(route.pattern, 'x1');
      const what = `${route.method} ${route.pattern}`;
      const user = await signedIn(`probe-device-${index}`);
      const probes: { name: string; headers?: Record<string, string>; body?: string; status?: number }[] = [
        { name: 'no token' },
        { name: 'forged token', headers: { ...json, authorization: 'Bearer e30.e30.forged' }, body: '{}' },
        { name: 'not a bearer token', headers: { authorization: `Basic ${'A'.repeat(2_000)}` } },
      ];
      if (BODY_METHODS.has(route.method)) {
        probes.push(
          { name: 'bad JSON', headers: { ...user, ...json }, body: '{"a":', status: 400 },
          {
            name: 'oversize body',
            headers: { ...user, ...json },
            // Past every route's limit: MAX_HTTP_BODY_BYTES, or a save's (its blob cap, base64, and more).
            body: JSON.stringify({ pad: 'x'.repeat(16 * MAX_HTTP_BODY_BYTES) }),
            status: 413,
          },
          {
            name: 'wrong content type',
            headers: { ...user, 'content-type': 'application/xml' },
            body: '<a/>',
            status: 415,
          },
        );
      }
      if (route.takesBody) {
        probes.push({
          name: 'unknown field',
          headers: { ...user, ...json },
          body: '{"unknownField":1}',
          status: 400,
        });
      }
      // Last: a route without a body schema may act on it (logout ends the session).
      probes.push({
        name: 'wrong types',
        headers: { ...user, ...json },
        body: JSON.stringify({ username: 5, password: [], deviceId: {}, score: 'high', value: null }),
      });
      for (const probe of probes) {
        const answer = await send(base, route.method, path, probe);
        const label = `${what}, ${probe.name}`;
        expect(answer.status, `${label}: ${answer.text}`).toBeLessThan(500);
        if (probe.status !== undefined) expect(answer.status, `${label}: ${answer.text}`).toBe(probe.status);
        if (answer.status >= 400) expectErrorShape(answer, label);
      }
    }
  });

  it('answers a malformed URL 400, a 3,000-character path parameter 414, an unknown path 404', async () => {
    for (const pattern of new Set(routes.map((route) => route.pattern))) {
      const method = routes.find((route) => route.pattern === pattern)!.method;
      const badUrl = pattern.includes('{') ? fill(pattern, '%') : `${pattern.replace(/\/$/, '')}/%`;
      expectRefusal(await send(base, method, badUrl), 400, 'REQUEST_INVALID', `${method} ${badUrl}`);
      const unknown = `${fill(pattern, 'x1').replace(/\/$/, '')}/no/such/route`;
      expectRefusal(await send(base, method, unknown), 404, 'ROUTE_NOT_FOUND', `${method} ${unknown}`);
      if (pattern.includes('{')) {
        const long = fill(pattern, 'a'.repeat(3_000));
        expectRefusal(await send(base, method, long), 414, 'REQUEST_INVALID', `${method} ${pattern} long`);
      }
    }
    expectRefusal(await send(base, 'GET', '/v1/%'), 400, 'REQUEST_INVALID', '/v1/%');
    expectRefusal(await send(base, 'GET', '/no/such/page'), 404, 'ROUTE_NOT_FOUND', '/no/such/page');
    expectRefusal(
      await send(base, 'GET', '/docs/static/nothing'),
      404,
      'ROUTE_NOT_FOUND',
      'a missing doc file',
    );
  });

  it('answers a method a path does not take 405, naming the ones it does in allow', async () => {
    for (const pattern of new Set(routes.map((route) => route.pattern))) {
      const path = fill(pattern, 'x1');
      // Every route whose pattern takes this path (GET /v1/friends/requests and DELETE /v1/friends/{userId}).
      const allowed = new Set(
        routes.filter((route) => matches(route.pattern, path)).map((route) => route.method),
      );
      if (allowed.has('GET')) allowed.add('HEAD');
      for (const method of METHODS.filter((method) => !allowed.has(method))) {
        const answer = await send(base, method, path);
        expectRefusal(answer, 405, 'METHOD_NOT_ALLOWED', `${method} ${path}`);
        expect(String(answer.headers.allow).split(', ').sort(), `${method} ${path}`).toEqual(
          [...allowed].sort(),
        );
      }
    }
  });

  it('answers requests the HTTP parser refuses in the one shape: 400 malformed, 431 headers too large', async () => {
    const malformed = parseRaw(await sendRaw(base, 'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n'));
    expect(malformed).toEqual({
      status: 400,
      body: { code: 'REQUEST_INVALID', message: expect.any(String) },
    });
    const huge = `GET /healthz HTTP/1.1\r\nHost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`;
    expect(parseRaw(await sendRaw(base, huge))).toEqual({
      status: 431,
      body: { code: 'REQUEST_INVALID', message: expect.any(String) },
    });
  });

  it('refuses /api/token with the code of what is wrong', async () => {
    expectRefusal(await send(base, 'GET', '/api/token'), 400, 'REQUEST_INVALID', 'no client');
    const twice = '/api/token?client=ann&kind=starter&kind=other';
    expectRefusal(await send(base, 'GET', twice), 400, 'REQUEST_INVALID', 'kind given twice');
    const kind = '/api/token?client=ann&kind=nope';
    expectRefusal(await send(base, 'GET', kind), 404, 'WORLD_KIND_UNKNOWN', 'unknown kind');
    const world = '/api/token?client=ann&world=nope';
    expectRefusal(await send(base, 'GET', world), 404, 'WORLD_NOT_FOUND', 'unknown world');
    expect((await send(base, 'GET', '/api/token?client=ann')).status).toBe(200);
  });

  it('refuses WebSocket upgrades with an HTTP answer: /v1/stream without a token 401', async () => {
    const refused = async (path: string, headers?: Record<string, string>, method?: string) => {
      const answer = await upgrade(base, path, headers, method);
      if (answer === 'upgraded') throw new Error(`${path} upgraded`);
      return answer;
    };
    expectRefusal(await refused('/v1/stream'), 401, 'AUTH_TOKEN_INVALID', 'stream without a token');
    const forged = '/v1/stream?access_token=e30.e30.forged';
    expectRefusal(await refused(forged), 401, 'AUTH_TOKEN_INVALID', 'stream with a forged token');
    expectRefusal(await refused('/nowhere'), 404, 'ROUTE_NOT_FOUND', 'an upgrade where no WebSocket is');
    const badKey = await refused('/live', { 'sec-websocket-key': 'short' });
    expectRefusal(badKey, 400, 'REQUEST_INVALID', 'a bad handshake');
    expectRefusal(await refused('/live', {}, 'POST'), 405, 'METHOD_NOT_ALLOWED', 'an upgrade by POST');
    const token = (await signedIn('stream-device')).authorization!.slice('Bearer '.length);
    const user = await signedIn('stream-device-2');
    expect(await upgrade(base, `/v1/stream?access_token=${token}`)).toBe('upgraded');
    const badStreamKey = await refused(`/v1/stream?access_token=${user.authorization!.slice(7)}`, {
      'sec-websocket-version': '99',
    });
    expectRefusal(badStreamKey, 400, 'REQUEST_INVALID', 'a stream with a bad handshake');
  });

  it('answers the dashboard past its viewers 503 SERVER_BUSY', async () => {
    const wsBase = base.replace('http', 'ws');
    const viewers = await Promise.all(
      Array.from({ length: MAX_LIVE_VIEWERS }, async () => {
        const viewer = new WebSocket(`${wsBase}/live`);
        await new Promise((resolve, reject) => viewer.once('open', resolve).once('error', reject));
        return viewer;
      }),
    );
    try {
      const answer = await upgrade(base, '/live');
      if (answer === 'upgraded') throw new Error('a viewer past the limit upgraded');
      expectRefusal(answer, 503, 'SERVER_BUSY', 'one viewer too many');
    } finally {
      for (const viewer of viewers) viewer.terminate();
    }
  });
});

describe('the HTTP port on its own failures and limits', () => {
  let server: RunningShardline;
  /** The server's log lines (pino JSON), at info. */
  const logged: string[] = [];

  beforeAll(async () => {
    const assets = {
      '/broken': mkdtempSync(join(tmpdir(), 'shardline-asset-')), // a directory: reading it fails
      '/missing': join(tmpdir(), 'shardline-no-such-asset.js'),
    };
    const config = {
      ...DEFAULT_CONFIG,
      httpPort: 0,
      udpPort: 0,
      wsPort: 0,
      dataDir: mkdtempSync(join(tmpdir(), 'shardline-')),
      rateLimits: { perIpPerMinute: 2, perUserPerMinute: 100 },
    };
    const logger = pino({ level: 'info' }, { write: (line: string) => logged.push(line) });
    server = await startShardline(config, logger, { ...starterGame, assets });
  });
  afterAll(() => server.stop());

  it('answers a failure on its side 500 INTERNAL, saying no more, and logs the error', async () => {
    const answer = await send(server.addresses.http, 'GET', '/broken');
    expect(answer.status).toBe(500);
    expect(JSON.parse(answer.text)).toEqual({ code: 'INTERNAL', message: 'internal error' });
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    const failures = logged.filter((line) => line.includes('"component":"http"'));
    expect(failures).toHaveLength(1); // not a line per request
    expect(failures[0]).toContain('EISDIR');
  });

  it('answers a game asset whose file is missing 404 ROUTE_NOT_FOUND', async () => {
    const answer = await send(server.addresses.http, 'GET', '/missing');
    expectRefusal(answer, 404, 'ROUTE_NOT_FOUND', 'a missing asset');
  });

  it('answers past the rate limit 429 RATE_LIMITED with retry-after', async () => {
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await send(server.addresses.http, 'GET', '/v1/leaderboards/'));
    expect(answers.slice(0, 2).map((answer) => answer.status)).toEqual([200, 200]);
    expectRefusal(answers[2]!, 429, 'RATE_LIMITED', 'the third request in a minute');
    expect(Number(answers[2]!.headers['retry-after'])).toBeGreaterThan(0);
  });
});
