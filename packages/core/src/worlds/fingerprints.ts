import type { AnyEntitySchema, WorldSchema } from '../replication/world-schema.js';
import { fnv1a64 } from '../schema/fingerprint.js';
import { WORLD_CHANNELS_FINGERPRINT } from './channels.js';

/** A part absent from a declaration (no RPC catalog, no input or state template). */
export const ABSENT_FINGERPRINT = '0000000000000000';

/**
 * The fingerprint of each part of a world kind (PROTOCOL.md §13.2), 16 lower-case hex digits each.
 * Hellos carry them all together (worldKindFingerprint); a server that finds them different tells
 * the client its own parts, so the client can say which part differs.
 */
export interface WorldFingerprints {
  /** FNV-1a 64 of the kind's name. */
  kind: string;
  /** The entity schemas' fingerprint (§7), in order. */
  entities: string;
  /** The RPC catalog's fingerprint (§15), or ABSENT_FINGERPRINT. */
  rpc: string;
  /** The input template's entity fingerprint (§7), or ABSENT_FINGERPRINT. */
  input: string;
  /** The state template's entity fingerprint (§7), or ABSENT_FINGERPRINT. */
  state: string;
  /** FNV-1a 64 of `tickHz <n> sendHz <m>`. */
  rates: string;
  /** The world channel map's fingerprint (WORLD_CHANNELS_FINGERPRINT). */
  channels: string;
}

/** The parts in wire order, with what a person calls each. */
export const FINGERPRINT_PARTS: readonly { key: keyof WorldFingerprints; label: string }[] = [
  { key: 'kind', label: 'world kind name' },
  { key: 'entities', label: 'entity schemas' },
  { key: 'rpc', label: 'RPC catalog' },
  { key: 'input', label: 'input template' },
  { key: 'state', label: 'state template' },
  { key: 'rates', label: 'tick and send rates' },
  { key: 'channels', label: 'channel map' },
];

export function worldFingerprints(kind: {
  name: string;
  schema: WorldSchema;
  rpc: { fingerprint: string } | undefined;
  input: AnyEntitySchema | undefined;
  state: AnyEntitySchema | undefined;
  tickHz: number;
  sendHz: number;
}): WorldFingerprints {
  return {
    kind: fnv1a64(kind.name),
    entities: kind.schema.fingerprint,
    rpc: kind.rpc?.fingerprint ?? ABSENT_FINGERPRINT,
    input: kind.input?.fingerprint ?? ABSENT_FINGERPRINT,
    state: kind.state?.fingerprint ?? ABSENT_FINGERPRINT,
    rates: fnv1a64(`tickHz ${kind.tickHz} sendHz ${kind.sendHz}`),
    channels: WORLD_CHANNELS_FINGERPRINT,
  };
}

/** FNV-1a 64 of the parts' hex digits in FINGERPRINT_PARTS order, joined by line feeds. */
export function worldKindFingerprint(parts: WorldFingerprints): string {
  return fnv1a64(FINGERPRINT_PARTS.map(({ key }) => parts[key]).join('\n'));
}

/** What differs between two declarations, as a person would say it ('' when nothing does). */
export function describeDifferences(local: WorldFingerprints, remote: WorldFingerprints): string {
  return FINGERPRINT_PARTS.filter(({ key }) => local[key] !== remote[key])
    .map(({ label }) => label)
    .join(', ');
}
