import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineRpcs, event, rpc, t } from '@shardline/core';
import { describe, expect, it } from 'vitest';

/** PROTOCOL.md's worked examples, checked against what the code computes so the text cannot drift. */
const spec = readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'PROTOCOL.md'), 'utf8');

/** The fenced block that follows `marker` in the spec, without its fences. */
function blockAfter(marker: string): string {
  const at = spec.indexOf(marker);
  if (at < 0) throw new Error(`PROTOCOL.md no longer says ${JSON.stringify(marker)}`);
  const match = /```\n([\s\S]*?)\n```/.exec(spec.slice(at));
  if (!match) throw new Error(`no fenced block after ${JSON.stringify(marker)}`);
  return match[1]!;
}

describe('PROTOCOL.md §15: the RPC catalog fingerprint text', () => {
  const catalog = defineRpcs({
    use: rpc({ params: { slot: t.u8() }, reply: { ok: t.bool() } }),
    chat: event({ params: { text: t.string({ maxBytes: 10 }) } }),
  });

  it('is exactly the descriptor the code hashes', () => {
    expect(blockAfter('is described by exactly')).toBe(catalog.descriptor);
  });

  it('has the fingerprint the spec states', () => {
    const stated = /and its fingerprint is `([0-9a-f]{16})`/.exec(spec)?.[1];
    expect(stated).toBe(catalog.fingerprint);
  });
});
