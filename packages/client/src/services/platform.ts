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

/** `fetch` as the client calls it. */
export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
) => Promise<FetchResponse>;

export const platform = globalThis as unknown as {
  fetch?: FetchLike;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  atob(base64: string): string;
  btoa(binary: string): string;
  crypto: { subtle: { digest(algorithm: 'SHA-256', data: Uint8Array): Promise<ArrayBuffer> } };
};
