/**
 * @shardline/client — the game client (browser and Node). Connection, client worlds and RPC stubs
 * arrive with the transport and replication issues; for now it re-exports the isomorphic core so a
 * game can already share schemas between client and server.
 */
export * from '@shardline/core';
