import type { SaveMeta } from '@shardline/core';

/** A cloud save as the client reads it: its metadata and its bytes. (The wire shapes are in @shardline/core.) */
export interface Save extends SaveMeta {
  data: Uint8Array;
}
