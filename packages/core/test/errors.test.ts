import { readFileSync } from 'node:fs';
import { ERROR_CODES, isShardlineError, ShardlineError } from '@shardline/core';
import { describe, expect, it } from 'vitest';

describe('error codes', () => {
  it('are all documented in docs/errors.md, and the document lists no others', () => {
    const doc = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `([A-Z_]+)` *\|/gm)].map((match) => match[1]);
    expect(documented.sort()).toEqual(Object.keys(ERROR_CODES).sort());
  });

  it('carry a stable code, a readable message and details', () => {
    const error = new ShardlineError('WIRE_LIMIT', 'length 9 exceeds 8', { length: 9 });
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('WIRE_LIMIT');
    expect(error.message).toBe('WIRE_LIMIT: length 9 exceeds 8');
    expect(error.details).toEqual({ length: 9 });
    expect(isShardlineError(error, 'WIRE_LIMIT')).toBe(true);
    expect(isShardlineError(error, 'WIRE_INVALID')).toBe(false);
    expect(isShardlineError(new Error('x'))).toBe(false);
  });
});
