import type { LinkSettings } from './link-conditioner.js';

/** A named link, for demos, tests and benchmarks. */
export interface LinkProfile {
  label: string;
  /** Applied to each direction: the round trip is twice the latency. */
  settings: LinkSettings;
}

/** The links Shardline is judged at: a perfect one, home broadband, and a bad mobile connection. */
export const LINK_PROFILES = {
  none: { label: 'none (the real link)', settings: {} },
  lan: { label: 'LAN (5 ms RTT)', settings: { latencyMs: 2.5 } },
  broadband: {
    label: 'broadband (150 ms RTT, 20 ms jitter, 5% loss)',
    settings: { latencyMs: 75, jitterMs: 20, lossPercent: 5 },
  },
  mobile: {
    label: 'bad mobile (300 ms RTT, 50 ms jitter, 10% loss)',
    settings: { latencyMs: 150, jitterMs: 50, lossPercent: 10 },
  },
} as const satisfies Record<string, LinkProfile>;

export type LinkProfileName = keyof typeof LINK_PROFILES;
