/**
 * Mutation testing (npm run test:mutation): StrykerJS mutates one folder of packages/core at a time and
 * runs that folder's tests (folders.ts) against every mutant; a mutant no test notices "survives".
 * Not part of npm test: a folder takes tens of minutes on two cores.
 *
 *   npm run test:mutation                   every folder in turn (wire, reliable, connection)
 *   npm run test:mutation -- wire reliable  the named folders only; the others' scores are kept
 *   --incremental                           reuses the last run's results for unchanged code and tests
 *                                           (.scratch/mutation/); for iterating, not for results
 *   --from-reports                          writes the results from the last run of each folder
 *                                           (.scratch/mutation/, as --incremental leaves it) without
 *                                           running anything; the results say when that run was
 *   --max-minutes N                         gives up on a folder after N minutes (default 90)
 *   --no-results                            leaves bench/results alone
 *
 * Writes bench/results/mutation.json (scores.<folder>, per-file scores, every surviving mutant) and
 * mutation.md. Score = detected / (detected + undetected): killed and timed-out mutants are detected,
 * and so are mutants that stop core from loading (report.ts: failsAtLoad); survived and uncovered ones
 * are not; mutants that do not compile and mutants a source comment marks
 * as equivalent (`// Stryker disable next-line <mutator>: <why>`) are left out.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { MutantResult } from '@stryker-mutator/api/core';
import { Stryker } from '@stryker-mutator/core';
import { writeResults } from '../lib/results.js';
import {
  isMutationFolder,
  MUTATION_FOLDERS,
  MUTATION_TESTS_VARIABLE,
  type MutationFolder,
} from './folders.js';
import { type FolderReport, type MutantOutcome, renderMarkdown, summarise } from './report.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const RESULTS_JSON = join(ROOT, 'bench/results/mutation.json');

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    incremental: { type: 'boolean', default: false },
    'from-reports': { type: 'boolean', default: false },
    'max-minutes': { type: 'string', default: '90' },
    'no-results': { type: 'boolean', default: false },
  },
});
const unknown = positionals.filter((name) => !isMutationFolder(name));
if (unknown.length > 0) {
  console.error(
    `unknown folder ${unknown.join(', ')}: choose from ${Object.keys(MUTATION_FOLDERS).join(', ')}`,
  );
  process.exit(2);
}
const folders = (positionals.length > 0 ? positionals : Object.keys(MUTATION_FOLDERS)) as MutationFolder[];
const maxMinutes = Number(values['max-minutes']);

const reports: Partial<Record<MutationFolder, FolderReport>> = previousReports();
for (const folder of folders) {
  if (values['from-reports']) {
    reports[folder] = summarise(
      savedOutcomes(folder),
      ROOT,
      null,
      statSync(reportFile(folder)).mtime.toISOString(),
    );
  } else {
    const started = Date.now();
    const results = await withDeadline(folder, mutate(folder));
    reports[folder] = summarise(results, ROOT, (Date.now() - started) / 60_000, new Date().toISOString());
  }
  const report = reports[folder];
  console.log(
    `${folder}: ${report.score.toFixed(1)}% (${report.survived} survived, ${report.noCoverage} uncovered of ${report.valid})`,
  );
}

if (!values['no-results']) {
  const scores = Object.fromEntries(Object.entries(reports).map(([name, report]) => [name, report.score]));
  const json = { scores, folders: reports };
  writeResults('mutation', json, renderMarkdown(reports));
  console.log(`wrote ${relative(ROOT, RESULTS_JSON)} and mutation.md`);
}

function mutate(folder: MutationFolder): Promise<MutantResult[]> {
  const { source, tests } = MUTATION_FOLDERS[folder];
  // Read by vitest.config.ts in Stryker's test-runner processes, which inherit the environment.
  process.env[MUTATION_TESTS_VARIABLE] = tests.join(',');
  return new Stryker({
    testRunner: 'vitest',
    plugins: ['@stryker-mutator/vitest-runner'],
    vitest: { configFile: 'bench/mutation/vitest.config.ts' },
    mutate: [`${source}/**/*.ts`, `!${source}/index.ts`],
    coverageAnalysis: 'perTest',
    concurrency: 2,
    timeoutMS: 10_000,
    reporters: ['progress'],
    tempDirName: '.scratch/stryker-tmp',
    cleanTempDir: 'always',
    // The sandbox needs core, its tests and the configs; the rest of the repository only slows copying.
    ignorePatterns: [
      '/examples',
      '/docs/*',
      '!/docs/errors.md',
      '/bench/results',
      '/packages/server',
      '/packages/client',
      '/test',
    ],
    incremental: values.incremental,
    incrementalFile: reportFile(folder),
  }).runMutationTest();
}

/** Where --incremental keeps a folder's last run: a mutation-testing-report-schema document. */
function reportFile(folder: MutationFolder): string {
  return join(ROOT, `.scratch/mutation/${folder}.json`);
}

interface SavedReport {
  files: Record<string, { mutants: Omit<MutantOutcome, 'fileName'>[] }>;
}

function savedOutcomes(folder: MutationFolder): MutantOutcome[] {
  if (!existsSync(reportFile(folder))) {
    console.error(
      `${folder}: no saved run at ${relative(ROOT, reportFile(folder))}; run it with --incremental first`,
    );
    process.exit(2);
  }
  const saved = JSON.parse(readFileSync(reportFile(folder), 'utf8')) as SavedReport;
  return Object.entries(saved.files).flatMap(([file, { mutants }]) =>
    mutants.map((mutant) => ({ ...mutant, fileName: join(ROOT, file) })),
  );
}

async function withDeadline<T>(folder: string, work: Promise<T>): Promise<T> {
  const deadline = setTimeout(() => {
    console.error(`${folder}: gave up after ${maxMinutes} minutes (--max-minutes)`);
    process.exit(1);
  }, maxMinutes * 60_000);
  try {
    return await work;
  } finally {
    clearTimeout(deadline);
  }
}

function previousReports(): Partial<Record<MutationFolder, FolderReport>> {
  if (!existsSync(RESULTS_JSON)) return {};
  const previous = JSON.parse(readFileSync(RESULTS_JSON, 'utf8')) as {
    folders?: Record<string, FolderReport>;
  };
  return Object.fromEntries(
    Object.entries(previous.folders ?? {}).filter(([name]) => isMutationFolder(name)),
  ) as Partial<Record<MutationFolder, FolderReport>>;
}
