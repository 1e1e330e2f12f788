import { FLOAT32_OPTIONS, Packr } from 'msgpackr';
import { ChangedListContender } from './changed-list.js';

/** msgpackr with every non-integer number written as float32. */
export class MsgpackrContender extends ChangedListContender {
  readonly name = 'msgpackr';
  readonly representation = 'changed entities as [id, x, y, angle] arrays; floats as float32';
  private readonly packr = new Packr({ useFloat32: FLOAT32_OPTIONS.ALWAYS });

  protected serialize(records: number[][]): Uint8Array {
    return this.packr.pack(records);
  }

  protected deserialize(bytes: Uint8Array): number[][] {
    return this.packr.unpack(bytes) as number[][];
  }
}
