import { randomInt } from 'node:crypto';
import { type LobbyView, ShardlineError } from '@shardline/core';
import type { PlacedWorld } from './world-placement.js';

/** A lobby as the lobby service holds it. Times are ms since the epoch. */
export interface Lobby extends Omit<LobbyView, 'openSlots' | 'joinCode'> {
  startedAtMs: number | undefined;
  joinCode: string;
  /** Users kicked out: they may not come back. */
  kicked: Set<string>;
  /** True while its start waits for its world and tokens: it takes no joins or changes meanwhile. */
  starting: boolean;
  /** The world its start placed (where its members' tokens come from). */
  placed?: PlacedWorld;
}

const JOIN_CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
/** Characters in a join code. */
export const JOIN_CODE_LENGTH = 8;

/** A private lobby's join code: 8 characters without look-alikes (no 0/O, 1/I), about 40 bits. */
export function newJoinCode(): string {
  return Array.from(
    { length: JOIN_CODE_LENGTH },
    () => JOIN_CODE_ALPHABET[randomInt(JOIN_CODE_ALPHABET.length)],
  ).join('');
}

/** What a lobby looks like from outside: members see the join code, others do not. */
export function view(lobby: Lobby, member: boolean): LobbyView {
  return {
    id: lobby.id,
    ownerId: lobby.ownerId,
    access: lobby.access,
    maxPlayers: lobby.maxPlayers,
    attributes: { ...lobby.attributes },
    members: lobby.members.map((m) => ({ ...m })),
    openSlots: lobby.maxPlayers - lobby.members.length,
    state: lobby.state,
    createdAtMs: lobby.createdAtMs,
    ...(member ? { joinCode: lobby.joinCode } : {}),
    ...(lobby.world !== undefined ? { world: lobby.world } : {}),
    ...(lobby.worldId !== undefined ? { worldId: lobby.worldId } : {}),
  };
}

export const notFound = () => new ShardlineError('LOBBY_NOT_FOUND', 'no such lobby');
export const forbidden = (message: string) => new ShardlineError('LOBBY_FORBIDDEN', message);
