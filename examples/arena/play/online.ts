/**
 * The arena page's online services, through its ShardlineClient: a guest account per tab (the
 * client keeps its device id and session in sessionStorage, so two tabs are two players), the
 * all-time kills board, achievement toasts from the push stream, and the link and technique
 * settings kept in a cloud save (restored on the next visit of the same tab).
 */
import type { LinkProfileName, ServicesClient, ShardlineClient } from '@shardline/client';
import type { Techniques } from './session.js';

const SETTINGS_SLOT = 'settings';
const KILLS_BOARD = 'kills';

/** What the settings save holds. */
export interface ArenaSettings {
  link: LinkProfileName;
  techniques: Techniques;
}

export interface Online {
  services: ServicesClient;
  settings: ArenaSettings | undefined;
  saveSettings(settings: ArenaSettings): void;
}

/** Signs this tab in (as its guest), opens the push stream, and reads its saved settings. */
export async function goOnline(client: ShardlineClient, onToast: (text: string) => void): Promise<Online> {
  await client.signIn();
  const { services } = client;
  services.events.on('achievement.unlocked', ({ title }) => onToast(`Achievement unlocked: ${title}`));
  void services.events.open();
  let writing = Promise.resolve();
  return {
    services,
    settings: await readSettings(services),
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

/** The saved settings, if this player saved any (looked up in the slot list: a first visit asks for nothing missing). */
async function readSettings(services: ServicesClient): Promise<ArenaSettings | undefined> {
  try {
    const slots = await services.saves.list();
    if (!slots.some((slot) => slot.slot === SETTINGS_SLOT)) return undefined;
    const save = await services.saves.read(SETTINGS_SLOT);
    return JSON.parse(new TextDecoder().decode(save.data)) as ArenaSettings;
  } catch {
    return undefined; // unreadable: start from the defaults
  }
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
