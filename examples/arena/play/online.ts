/**
 * The arena page's online services: a guest account per tab (its device id kept in
 * sessionStorage, so two tabs are two players), the connect token from signing in, the all-time
 * kills board, achievement toasts from the push stream, and the link and technique settings kept
 * in a cloud save (restored on the next visit of the same tab).
 */
import { type LinkProfileName, ServicesClient, ticketToken } from '@shardline/client';
import type { Techniques } from './session.js';

const DEVICE_KEY = 'arena.deviceId';
const SETTINGS_SLOT = 'settings';
const KILLS_BOARD = 'kills';

/** What the settings save holds. */
export interface ArenaSettings {
  link: LinkProfileName;
  techniques: Techniques;
}

export interface Online {
  services: ServicesClient;
  /** A connect token for the game and where to use it. */
  ticket: { token: Uint8Array; ws: string };
  settings: ArenaSettings | undefined;
  saveSettings(settings: ArenaSettings): void;
}

function deviceId(): string {
  let id = sessionStorage.getItem(DEVICE_KEY);
  if (!id) {
    id = `arena-${crypto.randomUUID()}`;
    sessionStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

/** Signs this tab in (as its guest), opens the push stream, and reads its saved settings. */
export async function goOnline(onToast: (text: string) => void): Promise<Online> {
  const services = new ServicesClient({ baseUrl: location.origin, storage: sessionStorage });
  (await services.session.resume()) ?? (await services.session.loginDevice(deviceId()));
  const connect = await services.session.connectTicket();
  const ws = connect.serverAddresses.find((address) => address.startsWith('ws'));
  if (!ws) throw new Error('the server offers no WebSocket address');
  services.events.on('achievement.unlocked', ({ title }) => onToast(`Achievement unlocked: ${title}`));
  void services.events.open();
  let settings: ArenaSettings | undefined;
  try {
    const save = await services.saves.read(SETTINGS_SLOT);
    settings = JSON.parse(new TextDecoder().decode(save.data)) as ArenaSettings;
  } catch {
    settings = undefined; // none yet (SAVE_NOT_FOUND), or unreadable: start from the defaults
  }
  let writing = Promise.resolve();
  return {
    services,
    ticket: { token: ticketToken(connect), ws },
    settings,
    saveSettings(next) {
      const data = new TextEncoder().encode(JSON.stringify(next));
      // One write at a time, the newest last: the slot keeps the settings last chosen.
      writing = writing
        .then(() => services.saves.write(SETTINGS_SLOT, { title: 'Arena settings', data }))
        .then(
          () => undefined,
          () => undefined,
        );
    },
  };
}

/** The kills board's top five and this player's place, as list items. */
export async function killsBoard(services: ServicesClient): Promise<string[]> {
  const [top, mine] = await Promise.all([
    services.leaderboards.top(KILLS_BOARD, { limit: 5 }),
    services.leaderboards.mine(KILLS_BOARD),
  ]);
  const lines = top.map((entry) => `${entry.username}: ${entry.score}`);
  if (mine && mine.rank > top.length) lines.push(`… you (#${mine.rank}): ${mine.score}`);
  return lines;
}
