import {
  AccessTokens,
  AccountsService,
  accountRoutes,
  MAX_URL_PARAM_LENGTH,
  openAccountsStore,
  type ServiceApi,
  type ServiceDatabase,
  type ServiceRateLimits,
  serveServiceApi,
} from '@shardline/server';
import Fastify from 'fastify';
import { type JsonCall, jsonCaller } from './json-http.js';

/** A services HTTP API on a loopback port, for API tests over real HTTP. */
export interface ServicesHttp {
  /** `http://127.0.0.1:<port>` */
  url: string;
  accounts: AccountsService;
  /** Registers a user (password `correct horse battery`) and returns its id and access token. */
  signUp(username: string): Promise<{ userId: string; accessToken: string }>;
  /** `fetch` on the API: status and parsed JSON body (undefined when empty). */
  call: JsonCall;
  close(): Promise<void>;
}

/**
 * Serves the accounts routes plus `addRoutes` (the area under test) on `database`, with the real
 * services API (typebox, rate limits, error shape). Rate limits default to generous values.
 */
export async function startServicesHttp(
  database: ServiceDatabase,
  addRoutes: (api: ServiceApi, accounts: AccountsService) => Promise<void>,
  rateLimits: ServiceRateLimits = { perIpPerMinute: 100_000, perUserPerMinute: 100_000 },
): Promise<ServicesHttp> {
  const accounts = new AccountsService(
    await openAccountsStore(database),
    new AccessTokens(new Uint8Array(32).fill(7)),
  );
  const http = Fastify({
    logger: false,
    bodyLimit: 1024 * 1024,
    routerOptions: { maxParamLength: MAX_URL_PARAM_LENGTH },
  });
  await serveServiceApi(http, {
    accounts,
    rateLimits,
    addRoutes: async (api) => {
      await accountRoutes(api, accounts);
      await addRoutes(api, accounts);
    },
  });
  const url = await http.listen({ host: '127.0.0.1', port: 0 });
  const call = jsonCaller(url);
  return {
    url,
    accounts,
    call,
    async signUp(username) {
      const signedIn = await accounts.register(username, 'correct horse battery');
      return { userId: signedIn.user.id, accessToken: signedIn.accessToken };
    },
    close: () => http.close(),
  };
}
