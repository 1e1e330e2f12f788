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
  /** Detected mutants in percent of valid ones (killed + timed out) / (… + survived + uncovered). */
  score: number;
  killed: number;
  timeout: number;
  survived: number;
  noCoverage: number;
  /** Mutants that did not compile or crashed the runner: not counted. */
  invalid: number;
  /** Mutants a `// Stryker disable` comment marks as equivalent: not counted. */
  ignored: number;
  valid: number;
  minutes: number;
  environment: Record<string, string | number>;
  files: Record<string, FileScore>;
  survivors: Survivor[];
}

export function summarise(results: MutantResult[], root: string, minutes: number): FolderReport {
  const count = (status: string) => results.filter((result) => result.status === status).length;
  const killed = count('Killed');
  const timeout = count('Timeout');
  const survived = count('Survived');
  const noCoverage = count('NoCoverage');
  const valid = killed + timeout + survived + noCoverage;
  const files: Record<string, FileScore> = {};
  for (const result of results) {
    const file = relative(root, result.fileName);
    const entry = files[file] ?? { score: 0, detected: 0, valid: 0 };
    if (result.status === 'Killed' || result.status === 'Timeout') entry.detected++;
    if (['Killed', 'Timeout', 'Survived', 'NoCoverage'].includes(result.status)) entry.valid++;
    files[file] = entry;
  }
  for (const entry of Object.values(files)) entry.score = percent(entry.detected, entry.valid);
  const survivors = results
    .filter((result) => result.status === 'Survived' || result.status === 'NoCoverage')
    .map((result) => ({
      file: relative(root, result.fileName),
      line: result.location.start.line,
      mutator: result.mutatorName,
      replacement: oneLine(result.replacement ?? ''),
      status: result.status as Survivor['status'],
    }))
    .sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
  return {
    score: percent(killed + timeout, valid),
    killed,
    timeout,
    survived,
    noCoverage,
    invalid: count('CompileError') + count('RuntimeError'),
    ignored: count('Ignored'),
    valid,
    minutes: Math.round(minutes * 10) / 10,
    environment: environment(),
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
      `${r.survived}`,
      `${r.noCoverage}`,
      `${r.ignored}`,
      `${r.minutes}`,
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
    'against each mutant. Score = (killed + timed out) / (killed + timed out + survived + uncovered).',
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
