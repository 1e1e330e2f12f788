/**
 * @shardline/server — the game server (Node). Transports, sessions, worlds and services arrive with
 * later issues; for now it re-exports the isomorphic core so game code imports one package per side.
 */
export * from '@shardline/core';
