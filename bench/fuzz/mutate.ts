import { concatBytes } from '@shardline/core';
import type { SeededRandom } from '../lib/random.js';

/** Longest input the mutator makes: a few maximal datagrams. */
const MAX_INPUT_BYTES = 1 << 16;
/** Values that sit on the edges of length and count fields. */
const EDGE_U32 = [
  0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x1_0000, 0x7fff_ffff, 0xffff_ffff,
];
/** Share of inputs that are random bytes rather than a mutated valid encoding. */
const RANDOM_SHARE = 0.1;

/**
 * One fuzz input from `corpus`: random bytes one time in ten, else a valid encoding put through one
 * to four mutations (truncation, bit flips, edge values, length-field edits, splices, inserted,
 * deleted or repeated ranges). Deterministic in `random`.
 */
export function mutateInput(random: SeededRandom, corpus: readonly Uint8Array[]): Uint8Array {
  if (corpus.length === 0 || random.next() < RANDOM_SHARE) return randomBytes(random, random.index(256));
  let bytes: Uint8Array = corpus[random.index(corpus.length)]!.slice();
  const rounds = 1 + random.index(4);
  for (let round = 0; round < rounds; round++) bytes = mutateOnce(random, bytes, corpus);
  return bytes.length > MAX_INPUT_BYTES ? bytes.subarray(0, MAX_INPUT_BYTES) : bytes;
}

function mutateOnce(random: SeededRandom, bytes: Uint8Array, corpus: readonly Uint8Array[]): Uint8Array {
  const at = random.index(bytes.length + 1);
  switch (random.index(9)) {
    case 0:
      return bytes.subarray(0, at);
    case 1:
      return flipBits(random, bytes);
    case 2:
      return overwrite(bytes, at, Uint8Array.of(pick(random, EDGE_U32) & 0xff));
    case 3:
      return overwrite(bytes, at, lengthField(random));
    case 4: {
      const other = corpus[random.index(corpus.length)]!;
      return concatBytes([bytes.subarray(0, at), other.subarray(random.index(other.length + 1))]);
    }
    case 5:
      return concatBytes([
        bytes.subarray(0, at),
        randomBytes(random, 1 + random.index(16)),
        bytes.subarray(at),
      ]);
    case 6:
      return concatBytes([bytes.subarray(0, at), bytes.subarray(at + 1 + random.index(16))]);
    case 7: {
      const end = Math.min(bytes.length, at + 1 + random.index(64));
      return concatBytes([bytes.subarray(0, end), bytes.subarray(at, end), bytes.subarray(end)]);
    }
    default:
      return concatBytes([bytes, randomBytes(random, 1 + random.index(32))]);
  }
}

function flipBits(random: SeededRandom, bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0) return bytes;
  const flips = 1 + random.index(8);
  for (let i = 0; i < flips; i++) {
    const at = random.index(bytes.length);
    bytes[at] = bytes[at]! ^ (1 << random.index(8));
  }
  return bytes;
}

/** An edge value as a u8, u16, u32 (little-endian) or varuint, the encodings lengths take here. */
function lengthField(random: SeededRandom): Uint8Array {
  const value = pick(random, EDGE_U32);
  const width = random.index(4);
  if (width === 3) return varuint(value);
  const bytes = new Uint8Array(1 << width);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (value >>> (8 * i)) & 0xff;
  return bytes;
}

function varuint(value: number): Uint8Array {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest & 0x7f) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
  return Uint8Array.from(out);
}

function overwrite(bytes: Uint8Array, at: number, patch: Uint8Array): Uint8Array {
  const out = new Uint8Array(Math.max(bytes.length, at + patch.length));
  out.set(bytes);
  out.set(patch, at);
  return out;
}

export function randomBytes(random: SeededRandom, length: number): Uint8Array {
  return Uint8Array.from({ length }, () => random.index(256));
}

export function pick<T>(random: SeededRandom, values: readonly T[]): T {
  return values[random.index(values.length)]!;
}
