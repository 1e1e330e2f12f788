/** Bytes as lower-case hex, two digits a byte, and back. */
export function toHex(bytes: Uint8Array): string {
  return [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

export function fromHex(hex: string): Uint8Array {
  if (!/^(?:[0-9a-f]{2})*$/.test(hex)) throw new Error(`not lower-case hex: ${hex.slice(0, 40)}`);
  return new Uint8Array((hex.match(/../g) ?? []).map((pair) => Number.parseInt(pair, 16)));
}

/** A value as the vector files hold it: bytes as hex, maps as objects, undefined left out. */
export function plain(value: unknown): unknown {
  const text = JSON.stringify(value, (_, v) =>
    v instanceof Uint8Array ? toHex(v) : v instanceof Map ? Object.fromEntries(v) : v,
  );
  return text === undefined ? null : JSON.parse(text);
}
