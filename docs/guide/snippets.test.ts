/**
 * The guides' code cannot use a name that does not exist or an API that is not there: every ```ts
 * block of docs/guide/*.md is type-checked here, in one TypeScript program, against the workspace
 * packages as their sources (the `shardline-source` condition, as tsconfig.base.json resolves them).
 *
 * The convention, for whoever writes a guide:
 * - Each ```ts block is a module of its own, checked with the repository's compiler options (strict,
 *   `verbatimModuleSyntax`: type-only imports say `type`), plus the DOM's names for browser code. It
 *   imports what it uses: `@shardline/core`, `@shardline/server`, `@shardline/client`, `node:*`.
 * - `<!-- file: some/path/game.ts -->` on the line before a block names it: the page's other blocks
 *   import it as `./game.js` (a page shows a game's shared module once, then the server and client
 *   that import it, as real code does), and other pages' blocks as `../<page>/game.js`
 *   (`../worlds/game.js`: the blocks of worlds.md).
 * - `<!-- context … -->` just before a block (after its `file` marker, if any) holds lines the reader
 *   does not see, checked as if they opened the block: declarations of what the page leaves to the
 *   game (`declare function draw(x: number, y: number): void;`), or the setup a fragment runs in.
 * - A block that is not TypeScript says what it is: ```sh, ```text, ```json. A ``` or ```js fence
 *   fails the test, so no TypeScript escapes the check by accident.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const GUIDE = import.meta.dirname;
const ROOT = join(GUIDE, '..', '..');
/** Where the blocks live while checked (never written to disk): a folder per page. */
const VIRTUAL = join(GUIDE, '.snippets');
/** Fence languages that are checked as TypeScript. */
const CHECKED = new Set(['ts', 'typescript']);
/** Fence languages that would look checked but are not: refused (use ```ts, or a non-code fence). */
const REFUSED = new Set(['', 'js', 'javascript', 'tsx', 'jsx', 'mjs']);

interface Snippet {
  page: string;
  /** The block's file in the virtual folder. */
  path: string;
  /** The Markdown line (1-based) of the block's first line of code. */
  line: number;
  /** Hidden lines from a `context` comment, prepended to the code. */
  contextLines: number;
  text: string;
}

/** The ```ts blocks of one page, and what is wrong with its fences. */
function extract(page: string, markdown: string): { snippets: Snippet[]; problems: string[] } {
  const lines = markdown.split('\n');
  const snippets: Snippet[] = [];
  const problems: string[] = [];
  const names = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(lines[i]!);
    if (!open) continue;
    const fence = open[2]!;
    const language = open[3]!.toLowerCase();
    let end = i + 1;
    while (end < lines.length && !lines[end]!.trimStart().startsWith(fence)) end++;
    const code = lines.slice(i + 1, end).join('\n');
    const at = `${page}:${i + 1}`;
    if (REFUSED.has(language)) {
      problems.push(`${at}: a \`\`\`${language} fence: use \`\`\`ts (checked) or \`\`\`text, sh, json`);
    } else if (CHECKED.has(language)) {
      const { file, context } = markers(lines, i);
      const name = file === undefined ? `block-${i + 1}.ts` : basename(file);
      if (names.has(name)) problems.push(`${at}: a second block named ${name} on this page`);
      names.add(name);
      snippets.push({
        page,
        path: join(VIRTUAL, page.replace(/\.md$/, ''), name),
        line: i + 2,
        contextLines: context === undefined ? 0 : context.split('\n').length,
        text: context === undefined ? code : `${context}\n${code}`,
      });
    }
    i = end;
  }
  return { snippets, problems };
}

/** The `file` marker and `context` comment on the lines just before the fence at line `fence`. */
function markers(lines: string[], fence: number): { file?: string; context?: string } {
  const found: { file?: string; context?: string } = {};
  let last = fence - 1;
  while (last >= 0 && lines[last]!.trimEnd().endsWith('-->')) {
    let first = last;
    while (first > 0 && !lines[first]!.trimStart().startsWith('<!--')) first--;
    const comment = lines
      .slice(first, last + 1)
      .join('\n')
      .replace(/^\s*<!--/, '')
      .replace(/-->\s*$/, '');
    const file = /^\s*file:\s*(\S+)\s*$/.exec(comment);
    const context = /^\s*context[ \t]*\n([\s\S]*)$/.exec(comment);
    if (file) found.file = file[1]!;
    else if (context) found.context = context[1]!.replace(/\n\s*$/, '');
    else break;
    last = first - 1;
  }
  return found;
}

/** The repository's compiler options (tsconfig.json), for checking only, with the DOM's names. */
function compilerOptions(): ts.CompilerOptions {
  const file = join(ROOT, 'tsconfig.json');
  const { config } = ts.readConfigFile(file, ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, ROOT, undefined, file);
  return {
    ...options,
    noEmit: true,
    declaration: false,
    sourceMap: false,
    // Every block is a module, even one without imports: blocks never share a global scope.
    moduleDetection: ts.ModuleDetectionKind.Force,
    lib: ['lib.es2022.d.ts', 'lib.dom.d.ts'],
    types: ['node'],
  };
}

/** Type-checks the snippets in one program; returns each problem as `page.md:line: message`. */
function check(snippets: readonly Snippet[]): string[] {
  const options = compilerOptions();
  const byPath = new Map(snippets.map((snippet) => [snippet.path, snippet]));
  const host = ts.createCompilerHost(options, true);
  const { getSourceFile, fileExists, readFile, directoryExists } = host;
  host.getSourceFile = (fileName, language, ...rest) => {
    const snippet = byPath.get(fileName);
    return snippet
      ? ts.createSourceFile(fileName, snippet.text, language, true)
      : getSourceFile.call(host, fileName, language, ...rest);
  };
  host.fileExists = (fileName) => byPath.has(fileName) || fileExists.call(host, fileName);
  host.readFile = (fileName) => byPath.get(fileName)?.text ?? readFile.call(host, fileName);
  host.directoryExists = (name) =>
    name === VIRTUAL || dirname(name) === VIRTUAL || (directoryExists?.call(host, name) ?? true);
  const program = ts.createProgram({ rootNames: [...byPath.keys()], options, host });
  const problems = [...program.getOptionsDiagnostics(), ...program.getGlobalDiagnostics()].map((diagnostic) =>
    ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'),
  );
  for (const snippet of snippets) {
    const source = program.getSourceFile(snippet.path)!;
    const diagnostics = [
      ...program.getSyntacticDiagnostics(source),
      ...program.getSemanticDiagnostics(source),
    ];
    for (const diagnostic of diagnostics) {
      const line = source.getLineAndCharacterOfPosition(diagnostic.start ?? 0).line;
      const where =
        line < snippet.contextLines
          ? `${snippet.page}:${snippet.line - 1} (its context, line ${line + 1})`
          : `${snippet.page}:${snippet.line + line - snippet.contextLines}`;
      problems.push(`${where}: ${ts.flattenDiagnosticMessageText(diagnostic.messageText, ' ')}`);
    }
  }
  return problems;
}

const pages = readdirSync(GUIDE)
  .filter((name) => name.endsWith('.md'))
  .sort();
const extracted = pages.map((page) => extract(page, readFileSync(join(GUIDE, page), 'utf8')));
const snippets = extracted.flatMap(({ snippets }) => snippets);

/** A page with two planted mistakes (checked in the same program): the check must find both. */
const planted = extract(
  'planted.md',
  [
    '<!-- file: game.ts -->',
    '```ts',
    "import { defineEntity, defineWorld, t } from '@shardline/core';",
    "export const Ball = defineEntity('Ball', { x: t.u8() });",
    "export const pitch = defineWorld('pitch', { entities: [Ball] });",
    '```',
    '',
    '<!-- context',
    "import type { HostedWorld } from '@shardline/server';",
    "declare const world: HostedWorld<typeof import('./game.js').pitch>;",
    '-->',
    '```ts',
    "import { Ball } from './game.js';",
    'const id = world.spawn(Ball, { x: 1 });',
    'world.set(id, { y: 2 });',
    'undefinedName(id);',
    '```',
  ].join('\n'),
);

let problems: string[] | undefined;
/** Every problem of the guides and of the planted page, from one program (built on first use). */
const problemsOf = (page: (name: string) => boolean) => {
  problems ??= check([...snippets, ...planted.snippets]);
  return problems.filter((problem) => page(problem.slice(0, problem.indexOf(':'))));
};

describe("the guides' code", () => {
  it('uses ```ts for TypeScript and another fence for everything else', () => {
    expect(extracted.flatMap(({ problems }) => problems)).toEqual([]);
    expect(snippets.length).toBeGreaterThan(20);
  });

  it('type-checks against the packages: no undefined name, no API that is not there', () => {
    expect(problemsOf((page) => page !== 'planted.md')).toEqual([]);
  }, 60_000);

  it('finds an undefined name and a wrong API in a planted page (the check is not a no-op)', () => {
    expect(planted.problems).toEqual([]);
    const found = problemsOf((page) => page === 'planted.md');
    expect(found).toHaveLength(2);
    expect(found[0]).toMatch(/^planted\.md:15: .*'y'/);
    expect(found[1]).toMatch(/^planted\.md:16: Cannot find name 'undefinedName'/);
  }, 60_000);
});
