import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { plain, vectorFiles } from './vector-cases.js';
import { fromHex, renderVectors, type VectorEntry } from './vector-format.js';

const directory = join(dirname(fileURLToPath(import.meta.url)), 'vectors');

describe('golden wire vectors', () => {
  it('vectors/ holds exactly the generated files', () => {
    const files = readdirSync(directory).filter((file) => file.endsWith('.json'));
    expect(files.sort()).toEqual(
      Object.keys(vectorFiles)
        .map((name) => `${name}.json`)
        .sort(),
    );
  });

  for (const [name, cases] of Object.entries(vectorFiles)) {
    const committed = readFileSync(join(directory, `${name}.json`), 'utf8');

    it(`vectors/${name}.json matches what the code encodes (run npm run vectors after a deliberate wire change)`, () => {
      expect(renderVectors(cases)).toBe(committed);
    });

    it(`vectors/${name}.json decodes back to its values with the code`, () => {
      const entries = JSON.parse(committed) as VectorEntry[];
      for (const vector of cases) {
        if (!vector.decode) continue;
        const entry = entries.find((candidate) => candidate.name === vector.name)!;
        expect(plain(vector.decode(fromHex(entry.hex))), `${name}/${vector.name}`).toEqual(entry.value);
      }
    });
  }
});
