import {
  AccessTokens,
  AccountsService,
  AchievementsService,
  accountRoutes,
  achievementRoutes,
  FriendsService,
  friendRoutes,
  LeaderboardsService,
  LobbyCoordinator,
  leaderboardRoutes,
  lobbyRoutes,
  MAX_HTTP_BODY_BYTES,
  MAX_URL_PARAM_LENGTH,
  openAccountsStore,
  openAchievementsStore,
  openFriendsStore,
  openLeaderboardsStore,
  openSavesStore,
  openSqlite,
  SavesService,
  saveRoutes,
  serveServiceApi,
} from '@shardline/server';
import Fastify, { type FastifyInstance } from 'fastify';
import type { SeededRandom } from '../../lib/random.js';
import { mutateInput, pick, randomBytes } from '../mutate.js';
import { ContractViolation, type FuzzTarget } from '../target.js';

/** One request as a fuzz input (UTF-8 JSON): method, path, query, body (or raw body text), signed in. */
interface Request {
  method: string;
  path: string;
  query: Record<string, unknown>;
  body?: unknown;
  raw?: string;
  signedIn: boolean;
}

type Schema = {
  type?: string | string[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  anyOf?: Schema[];
  minimum?: number;
  minLength?: number;
  minItems?: number;
  const?: unknown;
};

/** Values at the edges of what JSON schemas allow. */
const EDGE_VALUES: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  2 ** 53,
  -(2 ** 63),
  1e308,
  '',
  'a',
  'é😀\u0000',
  'x'.repeat(5000),
  [],
  [1, 'a'],
  {},
  { __proto__: { polluted: 1 } },
  { constructor: { prototype: 1 } },
  '../../etc/passwd',
  '%00%ff',
];
const PARAM_LENGTHS = [
  0,
  1,
  64,
  MAX_URL_PARAM_LENGTH - 1,
  MAX_URL_PARAM_LENGTH,
  MAX_URL_PARAM_LENGTH + 1,
  3000,
];

/** A valid-looking value of `schema`: what the corpus starts from. */
function sample(schema: Schema | undefined): unknown {
  if (!schema) return 'a';
  if (schema.const !== undefined) return schema.const;
  if (schema.enum) return schema.enum[0];
  if (schema.anyOf) return sample(schema.anyOf.find((s) => s.type !== 'null') ?? schema.anyOf[0]);
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  if (type === 'object') {
    return Object.fromEntries(
      Object.entries(schema.properties ?? {}).map(([key, value]) => [key, sample(value)]),
    );
  }
  if (type === 'array')
    return Array.from({ length: Math.max(1, schema.minItems ?? 0) }, () => sample(schema.items));
  if (type === 'integer' || type === 'number') return schema.minimum ?? 1;
  if (type === 'boolean') return true;
  return 'a'.repeat(Math.max(3, schema.minLength ?? 0));
}

interface Operation {
  parameters?: { in: string; name: string; schema?: Schema }[];
  requestBody?: { content?: Record<string, { schema?: Schema }> };
}

/** A request per route of the OpenAPI document, with sample parameters and body. */
function requestsOf(document: { paths: Record<string, Record<string, Operation>> }): Request[] {
  const requests: Request[] = [];
  for (const [template, operations] of Object.entries(document.paths)) {
    if (!template.startsWith('/v1/')) continue;
    for (const [method, operation] of Object.entries(operations)) {
      let path = template;
      const query: Record<string, unknown> = {};
      for (const parameter of operation.parameters ?? []) {
        if (parameter.in === 'path')
          path = path.replace(`{${parameter.name}}`, String(sample(parameter.schema)));
        if (parameter.in === 'query') query[parameter.name] = sample(parameter.schema);
      }
      const body = operation.requestBody?.content?.['application/json']?.schema;
      requests.push({
        method: method.toUpperCase(),
        path,
        query,
        body: body && sample(body),
        signedIn: true,
      });
    }
  }
  return requests;
}

const encode = (request: Request) => new TextEncoder().encode(JSON.stringify(request));

/** A mutation of one request: an edge value somewhere in its body or query, a key dropped or added, a path segment, a raw body. */
function mutateRequest(random: SeededRandom, corpus: readonly Uint8Array[]): Uint8Array {
  const request = JSON.parse(new TextDecoder().decode(pick(random, corpus))) as Request;
  const rounds = 1 + random.index(3);
  for (let round = 0; round < rounds; round++) {
    const choice = random.index(10);
    if (choice < 5) request.body = mutateValue(random, request.body);
    else if (choice < 7) request.query = mutateValue(random, request.query) as Record<string, unknown>;
    else if (choice < 8) request.path = mutatePath(random, request.path);
    else if (choice < 9) request.signedIn = !request.signedIn;
    else {
      const body = new TextEncoder().encode(JSON.stringify(request.body ?? {}));
      request.raw = Buffer.from(mutateInput(random, [body])).toString('latin1');
    }
  }
  return encode(request);
}

function mutateValue(random: SeededRandom, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || random.index(4) === 0) return pick(random, EDGE_VALUES);
  const copy: Record<string, unknown> = Array.isArray(value) ? { ...value } : { ...(value as object) };
  const keys = Object.keys(copy);
  const action = random.index(3);
  if (action === 0 && keys.length > 0) delete copy[pick(random, keys)];
  else if (action === 1 || keys.length === 0)
    copy[pick(random, ['extra', 'id', '__proto__', '0'])] = pick(random, EDGE_VALUES);
  else {
    const key = pick(random, keys);
    copy[key] = mutateValue(random, copy[key]);
  }
  return Array.isArray(value) ? Object.values(copy) : copy;
}

function mutatePath(random: SeededRandom, path: string): string {
  const segments = path.split('/');
  const at = 3 + random.index(Math.max(1, segments.length - 3));
  const length = pick(random, PARAM_LENGTHS);
  segments[at] = Array.from(randomBytes(random, length), (byte) =>
    byte < 128 ? 'abc-_.~%20é'[byte % 11] : 'z',
  ).join('');
  return segments.join('/');
}

/** A query as the URL carries it: each value as text (objects as JSON); a query that is no object, as JSON. */
function queryString(query: unknown): string {
  if (query === null || typeof query !== 'object' || Array.isArray(query))
    return encodeURIComponent(JSON.stringify(query));
  const text = (value: unknown) => (typeof value === 'string' ? value : (JSON.stringify(value) ?? ''));
  return new URLSearchParams(Object.entries(query).map(([key, value]) => [key, text(value)])).toString();
}

/**
 * The online services' HTTP API (every services/<area>/http-routes.ts, with the real error handler,
 * validation and limits) on an in-memory SQLite, driven through fastify's `inject`. A request must
 * never get a 5xx: that is an exception a handler did not expect.
 */
export async function servicesHttpTarget(): Promise<{ target: FuzzTarget; close: () => Promise<void> }> {
  const database = { kind: 'sqlite' as const, database: openSqlite(':memory:') };
  const accountsStore = await openAccountsStore(database);
  const accounts = new AccountsService(accountsStore, new AccessTokens(new Uint8Array(32).fill(7)));
  const friends = new FriendsService(await openFriendsStore(database), accountsStore);
  const leaderboards = new LeaderboardsService(await openLeaderboardsStore(database), [
    { id: 'high-score', order: 'desc', operator: 'best' },
    { id: 'kills', order: 'desc', operator: 'increment', authoritative: true },
  ]);
  const achievements = new AchievementsService(await openAchievementsStore(database), [
    { id: 'first-blood', title: 'First blood' },
    { id: 'collector', title: 'Collector', target: 10 },
  ]);
  const saves = new SavesService(await openSavesStore(database));
  const lobbies = new LobbyCoordinator({
    issueTicket: () => ({
      token: 'dG9rZW4=',
      expiresAtMs: Date.now() + 60_000,
      serverAddresses: ['udp://127.0.0.1:1'],
    }),
    friends,
    notify: () => {},
    onError: (error, where) => console.error(`services-http fuzz target: ${where}`, error),
  });
  const http: FastifyInstance = Fastify({
    logger: false,
    bodyLimit: MAX_HTTP_BODY_BYTES,
    routerOptions: { maxParamLength: MAX_URL_PARAM_LENGTH },
  });
  await serveServiceApi(http, {
    accounts,
    rateLimits: { perIpPerMinute: 1e9, perUserPerMinute: 1e9 },
    addRoutes: async (api) => {
      await accountRoutes(api, accounts);
      await friendRoutes(api, friends);
      await leaderboardRoutes(api, leaderboards);
      await achievementRoutes(api, achievements);
      await saveRoutes(api, saves);
      await lobbyRoutes(api, lobbies);
    },
  });
  await http.ready();
  /** The fuzzer's session; a fuzzed logout can end it, so it signs in again after one. */
  const signIn = async () => (await accounts.deviceLogin('fuzzer-device-0001')).accessToken;
  let accessToken = await signIn();
  const corpus = requestsOf(http.swagger() as never).map(encode);
  const target: FuzzTarget = {
    name: 'services-http',
    weight: 2,
    corpus,
    maxInputMs: 5_000,
    generate: mutateRequest,
    decode: async (input) => {
      const request = JSON.parse(new TextDecoder().decode(input)) as Request;
      const payload = request.raw ?? (request.body === undefined ? undefined : JSON.stringify(request.body));
      const response = await http.inject({
        method: request.method as 'GET',
        url: `${request.path}?${queryString(request.query)}`,
        headers: {
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          ...(request.signedIn ? { authorization: `Bearer ${accessToken}` } : {}),
        },
        ...(payload === undefined ? {} : { payload }),
      });
      if (request.path.startsWith('/v1/accounts/logout') && response.statusCode < 300)
        accessToken = await signIn();
      if (response.statusCode >= 500) {
        throw new ContractViolation(`HTTP ${response.statusCode}: ${response.body.slice(0, 300)}`);
      }
      return response.statusCode;
    },
    outcome: (status) => `HTTP ${status}`,
  };
  return { target, close: () => http.close() };
}
