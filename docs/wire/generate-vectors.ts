/** Regenerates docs/wire/vectors/*.json from the code (npm run vectors). Review the diff: it is a wire change. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { vectorFiles } from './vector-cases.js';
import { renderVectors } from './vector-format.js';

const directory = join(dirname(fileURLToPath(import.meta.url)), 'vectors');
mkdirSync(directory, { recursive: true });
for (const [name, cases] of Object.entries(vectorFiles)) {
  writeFileSync(join(directory, `${name}.json`), renderVectors(cases));
  console.log(`wrote vectors/${name}.json (${cases.length} cases)`);
}
