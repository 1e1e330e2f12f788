import {
  AccessTokens,
  AccountsService,
  openAccountsStore,
  openSqlite,
  STREAM_CLOSE,
  USER_STREAM_PATH,
  UserStreams,
} from '@shardline/server';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** User streams on a loopback HTTP server, with a user signed in; `gone` lists users reported gone. */
async function serve(options: {
  goneAfterMs: number;
  maxStreamsPerUser?: number;
  onFailure?: (error: unknown) => void;
}) {
  const database = openSqlite(':memory:');
  const accounts = new AccountsService(
    await openAccountsStore({ kind: 'sqlite', database }),
    new AccessTokens(new Uint8Array(32).fill(3)),
  );
  const gone: string[] = [];
  const streams = new UserStreams({ accounts, ...options, onUserGone: (userId) => gone.push(userId) });
  const http = Fastify();
  http.server.on('upgrade', (request, socket, head) => void streams.handleUpgrade(request, socket, head));
  const url = (await http.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws');
  cleanup.push(
    () => database.close(),
    () => http.close(),
    () => streams.close(),
  );
  const ann = await accounts.register('ann', 'correct horse battery');
  const connect = async () => {
    const socket = new WebSocket(`${url}${USER_STREAM_PATH}?access_token=${ann.accessToken}`);
    cleanup.push(() => socket.terminate());
    await new Promise((resolve) => socket.once('open', resolve));
    return socket;
  };
  /** An upgrade with ann's token that the server refuses: its HTTP status and JSON body. */
  const refusal = () =>
    new Promise<{ status: number | undefined; body: unknown }>((resolve, reject) => {
      const socket = new WebSocket(`${url}${USER_STREAM_PATH}?access_token=${ann.accessToken}`);
      socket.once('open', () => reject(new Error('the upgrade was taken')));
      socket.once('unexpected-response', (_request, response) => {
        let text = '';
        response.on('data', (chunk) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode, body: JSON.parse(text) }));
      });
    });
  return { streams, gone, connect, refusal, database, annId: ann.user.id };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const closed = (socket: WebSocket) => new Promise<number>((resolve) => socket.once('close', resolve));

describe('user push streams', () => {
  it('pushes JSON to every stream of a user', async () => {
    const { streams, connect, annId } = await serve({ goneAfterMs: 1_000 });
    const [phone, laptop] = [await connect(), await connect()];
    const heard = [phone, laptop].map(
      (socket) =>
        new Promise((resolve) => socket.once('message', (data) => resolve(JSON.parse(String(data))))),
    );
    expect(streams.push([annId, 'someone-else'], { type: 'hello' })).toBe(2);
    expect(await Promise.all(heard)).toEqual([{ type: 'hello' }, { type: 'hello' }]);
  });

  it('counts a user gone only after goneAfterMs without any stream; a quick reconnect keeps them', async () => {
    const { streams, gone, connect, annId } = await serve({ goneAfterMs: 150 });
    const first = await connect();
    first.close();
    await closed(first);
    await sleep(50);
    const second = await connect(); // back within the grace period
    await sleep(200);
    expect(gone).toEqual([]);
    expect(streams.isConnected(annId)).toBe(true);
    second.close();
    await sleep(300);
    expect(gone).toEqual([annId]);
  });

  it('closes the oldest stream past maxStreamsPerUser', async () => {
    const { streams, connect, annId } = await serve({ goneAfterMs: 1_000, maxStreamsPerUser: 2 });
    const oldest = await connect();
    const closing = closed(oldest);
    await connect();
    await connect();
    expect(await closing).toBe(STREAM_CLOSE.replaced);
    expect(streams.push([annId], { type: 'x' })).toBe(2);
  });

  it('answers an upgrade that fails on its side 500 INTERNAL, saying no more, and reports the error', async () => {
    const failures: unknown[] = [];
    const { refusal, database } = await serve({
      goneAfterMs: 1_000,
      onFailure: (error) => failures.push(error),
    });
    database.close(); // the session check cannot read the store
    expect(await refusal()).toEqual({ status: 500, body: { code: 'INTERNAL', message: 'internal error' } });
    expect(failures).toEqual([expect.any(TypeError)]);
  });
});
