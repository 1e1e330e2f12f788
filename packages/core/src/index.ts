export * from './conditioner/index.js';
export * from './connection/index.js';
export * from './errors.js';
export * from './reliable/index.js';
export * from './replication/index.js';
export * from './schema/index.js';
export * from './transport/index.js';
export * from './wire/index.js';
