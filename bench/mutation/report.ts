import { relative } from 'node:path';
import type { MutantResult } from '@stryker-mutator/api/core';
import { environment, markdownTable } from '../lib/results.js';

/** One surviving (or uncovered) mutant: where, which mutator, what it wrote. */
export interface Survivor {
  file: string;
  line: number;
  mutator: string;
  replacement: string;
  status: 'Survived' | 'NoCoverage';
}

export interface FileScore {
  score: number;
  detected: number;
  valid: number;
}

export interface FolderReport {
  /** Detected mutants in percent of valid ones: (killed + timeout + failedAtLoad) / (… + survived + uncovered). */
  score: number;
  killed: number;
  timeout: number;
  /** Static mutants that stop core from loading (see failsAtLoad): detected. */
  failedAtLoad: number;
  survived: number;
  noCoverage: number;
  /** Mutants that did not compile or crashed the runner: not counted. */
  invalid: number;
  /** Mutants a `// Stryker disable` comment marks as equivalent: not counted. */
  ignored: number;
  valid: number;
  /** How long the run took; null when the report was summarised from a saved run. */
  minutes: number | null;
  environment: Record<string, string | number>;
  files: Record<string, FileScore>;
  survivors: Survivor[];
}

/**
 * A static mutant (one in code that runs when a module loads) that breaks loading: every test file
 * then fails before it runs a test, and Stryker's Vitest runner reports the mutant as "Survived" with
 * no test run. It is detected — nothing that imports core can start — and counted so, on its own line.
 */
function failsAtLoad(result: MutantOutcome): boolean {
  return result.status === 'Survived' && result.static === true && result.testsCompleted === 0;
}

function detected(result: MutantOutcome): boolean {
  return result.status === 'Killed' || result.status === 'Timeout' || failsAtLoad(result);
}

function undetected(result: MutantOutcome): boolean {
  return (result.status === 'Survived' && !failsAtLoad(result)) || result.status === 'NoCoverage';
}

/** What the report needs of one mutant: from a run (Stryker's MutantResult) or from its saved report. */
export type MutantOutcome = Pick<
  MutantResult,
  'fileName' | 'status' | 'static' | 'testsCompleted' | 'location' | 'mutatorName' | 'replacement'
>;

/**
 * `minutes` is the run's duration (null when summarised from a saved report); `measuredAt` when the
 * mutants were tested.
 */
export function summarise(
  results: readonly MutantOutcome[],
  root: string,
  minutes: number | null,
  measuredAt: string,
): FolderReport {
  const count = (status: string) => results.filter((result) => result.status === status).length;
  const killed = count('Killed');
  const timeout = count('Timeout');
  const failedAtLoad = results.filter(failsAtLoad).length;
  const survived = count('Survived') - failedAtLoad;
  const noCoverage = count('NoCoverage');
  const valid = killed + timeout + failedAtLoad + survived + noCoverage;
  const files: Record<string, FileScore> = {};
  for (const result of results) {
    const file = relative(root, result.fileName);
    const entry = files[file] ?? { score: 0, detected: 0, valid: 0 };
    if (detected(result)) entry.detected++;
    if (detected(result) || undetected(result)) entry.valid++;
    files[file] = entry;
  }
  for (const entry of Object.values(files)) entry.score = percent(entry.detected, entry.valid);
  const survivors = results
    .filter(undetected)
    .map((result) => ({
      file: relative(root, result.fileName),
      line: result.location.start.line,
      mutator: result.mutatorName,
      replacement: oneLine(result.replacement ?? ''),
      status: result.status as Survivor['status'],
    }))
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  return {
    score: percent(killed + timeout + failedAtLoad, valid),
    killed,
    timeout,
    failedAtLoad,
    survived,
    noCoverage,
    invalid: count('CompileError') + count('RuntimeError'),
    ignored: count('Ignored'),
    valid,
    minutes: minutes === null ? null : Math.round(minutes * 10) / 10,
    environment: { ...environment(), date: measuredAt },
    files,
    survivors,
  };
}

export function renderMarkdown(reports: Partial<Record<string, FolderReport>>): string {
  const entries = Object.entries(reports).filter((entry): entry is [string, FolderReport] => !!entry[1]);
  const summary = markdownTable(
    [
      'folder',
      'score',
      'killed',
      'timeout',
      'failed at load',
      'survived',
      'uncovered',
      'ignored (equivalent)',
      'minutes',
      'run',
    ],
    entries.map(([name, r]) => [
      name,
      `${r.score.toFixed(1)}%`,
      `${r.killed}`,
      `${r.timeout}`,
      `${r.failedAtLoad}`,
      `${r.survived}`,
      `${r.noCoverage}`,
      `${r.ignored}`,
      r.minutes === null ? '—' : `${r.minutes}`,
      `${r.environment.date}`,
    ]),
  );
  const sections = entries.map(([name, r]) => {
    const files = markdownTable(
      ['file', 'score', 'detected / valid'],
      Object.entries(r.files).map(([file, s]) => [
        file,
        `${s.score.toFixed(1)}%`,
        `${s.detected} / ${s.valid}`,
      ]),
    );
    const survivors =
      r.survivors.length === 0
        ? 'No mutant survived.'
        : markdownTable(
            ['where', 'mutator', 'status', 'replacement'],
            r.survivors.map((s) => [
              `${s.file}:${s.line}`,
              s.mutator,
              s.status,
              `\`${s.replacement.replaceAll('|', '\\|').replaceAll('`', "'")}\``,
            ]),
          );
    return `## ${name}\n\n${files}\n\n### Surviving mutants\n\n${survivors}\n`;
  });
  return [
    '# Mutation testing (npm run test:mutation)',
    '',
    'StrykerJS with its Vitest runner mutates one folder of packages/core at a time and runs core’s tests',
    'against each mutant. Score = detected / (detected + survived + uncovered), where detected = killed,',
    'timed out, or failed at load: a mutant in code that runs when a module loads that stops core from',
    'loading, so every test file fails before running a test (Stryker’s Vitest runner reports those as',
    'survived with no test run).',
    'Mutants marked equivalent in the source (`// Stryker disable … : reason`) are listed as ignored.',
    '',
    summary,
    '',
    ...sections,
  ].join('\n');
}

function percent(part: number, whole: number): number {
  return whole === 0 ? 100 : Math.round((part / whole) * 1000) / 10;
}

function oneLine(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 80 ? `${flat.slice(0, 77)}...` : flat;
}
