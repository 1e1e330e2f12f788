/**
 * Bounds a Map used as a most-recently-used cache (entries re-inserted on use, so the oldest come
 * first): past `max` entries it drops the oldest down to 90% of `max`, in one pass. Dropping one at
 * a time with `keys().next()` would cost more and more: a Map keeps deleted entries' places until
 * it is compacted, and every `next()` from the front walks past them.
 */
export function dropOldest<K, V>(map: Map<K, V>, max: number): void {
  if (map.size <= max) return;
  const keep = Math.floor(max * 0.9);
  for (const key of map.keys()) {
    if (map.size <= keep) break;
    map.delete(key);
  }
}
