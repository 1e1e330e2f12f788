import type { WorldVisibility } from './world-instance.js';

/** An instance's figures, as the dashboard and `GET /v1/worlds` show them. */
export interface WorldStats {
  id: string;
  kind: string;
  visibility: WorldVisibility;
  persistent: boolean;
  locked: boolean;
  /** Seats taken or waiting for a dropped client. */
  players: number;
  /** Seats with a connection in them now. */
  connected: number;
  reserved: number;
  maxPlayers: number;
  entities: number;
  tick: number;
  tickMs: { last: number; mean: number; max: number };
  snapshotBytes: number;
  valuesRefused: number;
  valuesClamped: number;
  rejected: Record<string, number>;
  metadata: Readonly<Record<string, unknown>>;
  createdAtMs: number;
}
