import { ChangedListContender } from './changed-list.js';

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** JSON text as UTF-8 bytes: what a WebSocket text frame carries. */
export class JsonContender extends ChangedListContender {
  readonly name = 'JSON';
  readonly representation = 'changed entities as [id, x, y, angle] arrays; float64 as decimal text';

  protected serialize(records: number[][]): Uint8Array {
    return encoder.encode(JSON.stringify(records));
  }

  protected deserialize(bytes: Uint8Array): number[][] {
    return JSON.parse(decoder.decode(bytes)) as number[][];
  }
}
