/**
 * @shardline/client in Node (the package's `node` export condition): everything the browser entry
 * has, with Node's WebSocket, UDP and crypto filled in as defaults.
 */
import './platform.js';

export * from '../index.js';
