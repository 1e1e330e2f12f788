/**
 * Where an entry stands on its board, without its user id: ascending keys rank first, then the
 * smaller user id (compareIds). The same numbers as the table's score_key, subscore_key and
 * reached_at_ms (migrations.ts): safe integers, the score and subscore negated on a 'desc' board.
 */
export interface RankKey {
  scoreKey: number;
  subscoreKey: number;
  /** When the entry reached this score and subscore, ms since the Unix epoch. */
  reachedAtMs: number;
}

/**
 * Orders user ids as their UTF-8 bytes do, which is how the table's rank index orders them
 * (Postgres `COLLATE "C"`, SQLite BINARY): by code point. Comparing UTF-16 code units (`<`) agrees
 * with that except where a surrogate (a code point past U+FFFF) meets U+E000–U+FFFF, so units are
 * remapped there. Ids are well-formed strings (the databases store no lone surrogates).
 * Negative: `a` first; 0: the same id.
 */
export function compareIds(a: string, b: string): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return inCodePointOrder(x) - inCodePointOrder(y);
  }
  return a.length - b.length;
}

/** A UTF-16 unit moved so that surrogates (0xD800–0xDFFF) sort after 0xE000–0xFFFF. */
function inCodePointOrder(unit: number): number {
  return unit >= 0xe000 ? unit - 0x800 : unit >= 0xd800 ? unit + 0x2000 : unit;
}
