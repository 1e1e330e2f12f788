import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const VECTORS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'docs', 'wire', 'vectors');

/** The committed golden vectors of `file` (docs/wire/vectors/<file>.json) named in `names`, as bytes. */
export function vectorBytes(file: string, names: readonly string[]): Uint8Array[] {
  const entries = JSON.parse(readFileSync(join(VECTORS, `${file}.json`), 'utf8')) as {
    name: string;
    hex: string;
  }[];
  return names.map((name) => {
    const entry = entries.find((candidate) => candidate.name === name);
    if (!entry) throw new Error(`no vector ${file}/${name}`);
    return Uint8Array.from(Buffer.from(entry.hex, 'hex'));
  });
}

/** A context byte in front of a valid encoding: targets with several decoding contexts read it first. */
export function withContext(context: number, bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length + 1);
  out[0] = context;
  out.set(bytes, 1);
  return out;
}
