export * from './errors.js';
export * from './schema/index.js';
export * from './wire/index.js';
