import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BitReader } from '@shardline/core';
import { describe, expect, it } from 'vitest';
import { vectorFiles } from './vector-cases.js';
import { fromHex, renderVectors } from './vector-format.js';

const directory = join(dirname(fileURLToPath(import.meta.url)), 'vectors');

describe('golden wire vectors', () => {
  for (const [name, cases] of Object.entries(vectorFiles)) {
    const committed = readFileSync(join(directory, `${name}.json`), 'utf8');

    it(`vectors/${name}.json matches what the code encodes (run npm run vectors after a deliberate wire change)`, () => {
      expect(renderVectors(cases)).toBe(committed);
    });

    it(`vectors/${name}.json decodes back to its values`, () => {
      const entries = JSON.parse(committed) as { name: string; hex: string }[];
      for (const vector of cases) {
        const entry = entries.find((candidate) => candidate.name === vector.name)!;
        const reader = new BitReader(fromHex(entry.hex));
        const decoded = vector.decode(reader);
        reader.expectEnd();
        const same = vector.same ?? ((a, b) => JSON.stringify(a) === JSON.stringify(b));
        expect(same(decoded, vector.value), `${name}/${vector.name}`).toBe(true);
      }
    });
  }
});
