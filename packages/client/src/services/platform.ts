/**
 * What the services client needs from its platform, present in browsers and Node 20 alike; the
 * client's ES-only typings do not declare them.
 */

/** The parts of a `fetch` Response the client reads. */
export interface FetchResponse {
  ok: boolean;
  status: number;
  text(): Promise<string>;
}

/** An AbortSignal, opaque here (the client's ES-only typings do not declare it). */
export type AbortSignalLike = object;

/** `fetch` as the client calls it. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string; signal?: AbortSignalLike },
) => Promise<FetchResponse>;

export const platform = globalThis as unknown as {
  fetch?: FetchLike;
  /** Browsers and Node ≥ 17.3: a signal that aborts a fetch after `ms`. */
  AbortSignal?: { timeout(ms: number): AbortSignalLike };
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  atob(base64: string): string;
  btoa(binary: string): string;
  crypto: { subtle: { digest(algorithm: 'SHA-256', data: Uint8Array): Promise<ArrayBuffer> } };
};
