import * as nodeCrypto from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GameClient,
  ServiceHttp,
  ServicesClient,
  SessionManager,
  type SessionStorage,
  ticketToken,
  WebSocketClientTransport,
  type WebSocketConstructor,
} from '@shardline/client';
import {
  aeadFromNodeCrypto,
  isShardlineError,
  type RunningShardline,
  readPlayerTicket,
  starterGame,
  WORLD_CHANNELS,
} from '@shardline/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startTestShardline } from './support/json-http.js';

let running: RunningShardline;
const closers: (() => void)[] = [];
beforeAll(async () => {
  running = await startTestShardline(
    {},
    {
      ...starterGame,
      services: {
        leaderboards: [{ id: 'kills', order: 'desc', operator: 'increment' }],
        achievements: [
          { id: 'first-blood', title: 'First blood' },
          { id: 'veteran', title: 'Veteran', target: 3 },
        ],
      },
    },
  );
});
afterAll(async () => {
  for (const close of closers) close();
  await running.stop();
});

/** A Map standing in for localStorage. */
function memoryStorage(): SessionStorage & { map: Map<string, string> } {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (key) => map.get(key) ?? null,
    setItem: (key, value) => void map.set(key, value),
    removeItem: (key) => void map.delete(key),
  };
}

function client(storage?: SessionStorage): ServicesClient {
  const services = new ServicesClient({
    baseUrl: running.addresses.http,
    WebSocket: WebSocket as unknown as WebSocketConstructor,
    ...(storage ? { storage } : {}),
  });
  closers.push(() => services.events.close());
  return services;
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    return isShardlineError(error) ? error.code : String(error);
  }
  return undefined;
}

describe('the services client', () => {
  it('reports the signed-in user, resumes from storage, and signs out', async () => {
    const storage = memoryStorage();
    const first = client(storage);
    const seen: (string | undefined)[] = [];
    first.session.onChange((user) => seen.push(user?.username));
    expect(first.session.connected).toBe(false);
    await first.session.register('ann', 'correct horse battery');
    expect(first.session.connected).toBe(true);
    expect(first.session.user).toMatchObject({ username: 'ann', guest: false });

    const second = client(storage); // the next run of the game
    expect((await second.session.resume())?.user.username).toBe('ann');
    expect(second.session.user?.id).toBe(first.session.user?.id);
    await second.session.logout();
    expect(second.session.connected).toBe(false);
    expect(storage.map.size).toBe(0);
    expect(seen).toEqual(['ann']);
    expect(await client(storage).session.resume()).toBeUndefined();
  });

  it('fails a call as SERVICE_UNAVAILABLE when the server never answers, after its time limit', async () => {
    const silent = createServer(() => {}); // takes the request, never answers
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    const http = new ServiceHttp(`http://127.0.0.1:${port}`, undefined, 300);
    const startedMs = Date.now();
    const error = await http.request('GET', '/worlds').catch((e: unknown) => e);
    const tookMs = Date.now() - startedMs;
    silent.closeAllConnections();
    silent.close();
    expect(error).toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
    expect(tookMs).toBeGreaterThanOrEqual(290);
    expect(tookMs).toBeLessThan(5_000);
  });

  it('refreshes an access token about to expire once, however many calls want it', async () => {
    const http = new ServiceHttp(running.addresses.http);
    const lateClock = () => Date.now() + 14.5 * 60_000; // 30 s before the 15-minute expiry
    const storage = memoryStorage();
    const session = new SessionManager(http, storage, lateClock);
    const signedIn = await session.register('bob', 'correct horse battery');
    const tokens = await Promise.all(Array.from({ length: 5 }, () => session.accessToken()));
    expect(new Set(tokens).size).toBe(1);
    const kept = storage.getItem('shardline.refreshToken');
    expect(kept).not.toBe(signedIn.refreshToken); // refreshed: the refresh token rotated
    // Still one live session: a refresh token used twice would have ended it.
    expect(await http.authed('GET', '/accounts/me')).toMatchObject({ username: 'bob' });
  });

  it('plays a lobby through: live updates on the push stream, start, and a connect token that joins the game', async () => {
    const owner = client();
    const guest = client();
    await owner.session.register('cat', 'correct horse battery');
    await guest.session.loginDevice('device-b16f0e5a');
    await Promise.all([owner.events.open(), guest.events.open()]);
    const updates: number[] = [];
    owner.events.on('lobby.updated', (event) => updates.push(event.lobby.members.length));
    // The owner hears the start too, after every update before it (one stream keeps its order).
    const ownerHeardStart = new Promise((resolve) => owner.events.on('lobby.started', resolve));
    const started = new Promise<{ lobbyId: string; token: Uint8Array }>((resolve) =>
      guest.events.on('lobby.started', (event) =>
        resolve({ lobbyId: event.lobbyId, token: ticketToken(event.connect) }),
      ),
    );
    const lobby = await owner.lobbies.create({
      maxPlayers: 2,
      attributes: { map: 'docks' },
      world: 'starter',
    });
    const [found] = await guest.lobbies.find({ equals: { map: 'docks' } });
    await guest.lobbies.join(found!.id);
    await owner.lobbies.start(lobby.id);
    const { lobbyId, token } = await started;
    expect(lobbyId).toBe(lobby.id);
    await ownerHeardStart;
    expect(updates).toEqual([2, 2]); // the guest joined; then the start (state 'started')

    const game = new GameClient({
      transport: new WebSocketClientTransport({ WebSocket: WebSocket as unknown as WebSocketConstructor }),
      token,
      channels: WORLD_CHANNELS,
      aead: aeadFromNodeCrypto(nodeCrypto),
    });
    closers.push(() => game.disconnect());
    await game.connect(running.addresses.ws);
    const players = running.server.sessions.map((id) => {
      const info = running.server.info(id)!;
      return readPlayerTicket(info.clientId, info.userData);
    });
    expect(players).toContainEqual({
      userId: guest.session.user!.id,
      username: guest.session.user!.username,
      lobbyId,
    });
  });

  it('submits and reads scores, unlocks with a pushed event, and keeps versioned saves', async () => {
    const eve = client();
    const fay = client();
    await eve.session.register('eve', 'correct horse battery');
    await fay.session.register('fay', 'correct horse battery');
    await eve.events.open();
    expect(await eve.leaderboards.list()).toMatchObject([
      { id: 'kills', order: 'desc', operator: 'increment' },
    ]);
    await eve.leaderboards.submit('kills', 3);
    expect((await eve.leaderboards.submit('kills', 2)).score).toBe(5);
    await fay.leaderboards.submit('kills', 4);
    expect((await eve.leaderboards.top('kills', { limit: 10 })).map((e) => [e.rank, e.username])).toEqual([
      [1, 'eve'],
      [2, 'fay'],
    ]);
    expect((await fay.leaderboards.aroundMe('kills', 3)).map((e) => e.username)).toEqual(['eve', 'fay']);
    expect((await fay.leaderboards.mine('kills'))?.rank).toBe(2);

    const unlocked = new Promise((resolve) => eve.events.on('achievement.unlocked', resolve));
    expect((await eve.achievements.progress('veteran', 2)).unlocked).toBe(false);
    expect((await eve.achievements.progress('veteran', 3)).newlyUnlocked).toBe(true);
    expect(await unlocked).toMatchObject({ achievementId: 'veteran', title: 'Veteran' });
    expect(await eve.achievements.unlock('first-blood')).toBe(true);
    expect(await eve.achievements.unlock('first-blood')).toBe(false);
    expect((await eve.achievements.list()).filter((a) => a.unlocked).map((a) => a.id)).toEqual([
      'first-blood',
      'veteran',
    ]);

    const data = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7) % 256);
    const written = await eve.saves.write('slot-1', { title: 'Chapter 2', data });
    expect(written).toMatchObject({ version: 1, size: 4096 });
    expect((await eve.saves.read('slot-1')).data).toEqual(data);
    await eve.saves.write('slot-1', { title: 'Chapter 3', data, expectedVersion: 1 });
    expect(await codeOf(eve.saves.write('slot-1', { title: 'stale', data, expectedVersion: 1 }))).toBe(
      'SAVE_VERSION_CONFLICT',
    );
    expect(await codeOf(eve.saves.write('slot-1', { title: 'new', data, replace: false }))).toBe(
      'SAVE_SLOT_EXISTS',
    );
    expect((await eve.saves.list()).map((save) => [save.slot, save.title, save.version])).toEqual([
      ['slot-1', 'Chapter 3', 2],
    ]);
    await eve.saves.remove('slot-1', 2);
    expect(await eve.saves.list()).toEqual([]);
  });

  it('gives refusals their stable codes, and an unreachable server SERVICE_UNAVAILABLE', async () => {
    const dan = client();
    expect(await codeOf(dan.lobbies.create())).toBe('AUTH_SESSION_ENDED'); // not signed in
    await dan.session.register('dan', 'correct horse battery');
    expect(await codeOf(dan.lobbies.join('no-such-lobby'))).toBe('LOBBY_NOT_FOUND');
    expect(await codeOf(dan.session.login('dan', 'wrong password!'))).toBe('AUTH_LOGIN_FAILED');
    expect(dan.session.user?.username).toBe('dan'); // a failed login keeps the session
    const nowhere = new ServicesClient({ baseUrl: 'http://127.0.0.1:1' });
    expect(await codeOf(nowhere.session.login('dan', 'correct horse battery'))).toBe('SERVICE_UNAVAILABLE');
  });
});
