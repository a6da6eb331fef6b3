/**
 * Which Synapse schema a database holds, read the way Synapse reads it on start-up
 * (synapse/storage/prepare_database.py, _get_or_create_schema_state): schema_version(version,
 * upgraded), schema_compat_version, applied_schema_deltas for the current version, and the pending
 * background_updates (unfinished migrations).
 */
import { SynapseDoctorError } from '../errors.js';
import type { ReadEngine, EngineKind } from './engine/engine.js';
import { hasColumn, hasTable } from './introspect.js';

/** Synapse schema versions this tool understands: 72 (Synapse 1.62+) up to the next one, 95. */
export const SUPPORTED_SCHEMA = { min: 72, max: 95 } as const;

export interface BackgroundUpdate {
  update_name: string;
  ordering: number;
  depends_on: string | null;
}

export interface SchemaCapabilities {
  /** The `rejections` table exists (schema 95 stops reading it; events.rejection_reason remains). */
  rejectionsTable: boolean;
  /** The `state_events` table exists (schema 95 stops reading it). */
  stateEventsTable: boolean;
  /** `events.rejection_reason` exists (added in delta 68/01). */
  eventsRejectionReason: boolean;
  /** `redactions.recheck` exists (schema 94). */
  redactionsRecheck: boolean;
  /** `event_search` is SQLite FTS4 (virtual) rather than a table with a tsvector column. */
  ftsEventSearch: boolean;
}

export interface SchemaInfo {
  engine: EngineKind;
  version: number;
  upgraded: boolean;
  /** Oldest Synapse SCHEMA_VERSION allowed to use the database; null when the row is missing. */
  compatVersion: number | null;
  /** applied_schema_deltas.file rows for the current version ("94/01_x.sql"). */
  appliedDeltas: string[];
  backgroundUpdates: BackgroundUpdate[];
  capabilities: SchemaCapabilities;
}

/** Reads the schema state. Throws DB_NOT_SYNAPSE without schema_version, SCHEMA_UNSUPPORTED outside the range. */
export async function detectSchema(engine: ReadEngine): Promise<SchemaInfo> {
  const info = await readSchema(engine);
  checkSupported(info, engine.description);
  return info;
}

/** Reads the schema state without the range check. */
export async function readSchema(engine: ReadEngine): Promise<SchemaInfo> {
  if (!(await hasTable(engine, 'schema_version'))) {
    throw new SynapseDoctorError('DB_NOT_SYNAPSE', `${engine.description} is not a Synapse database (no schema_version table)`, {
      hint: 'Point --db at the database named in homeserver.yaml, or pass --config homeserver.yaml.',
    });
  }
  const row = await engine.queryOne<{ version: number; upgraded: unknown }>('SELECT version, upgraded FROM schema_version');
  if (!row) {
    throw new SynapseDoctorError('DB_NOT_SYNAPSE', `${engine.description} has an empty schema_version table; Synapse never finished preparing it`);
  }
  const version = Number(row.version);
  const compat = (await hasTable(engine, 'schema_compat_version'))
    ? await engine.queryOne<{ compat_version: number | null }>('SELECT compat_version FROM schema_compat_version')
    : undefined;
  const deltas = (await hasTable(engine, 'applied_schema_deltas'))
    ? await engine.query<{ file: string }>('SELECT file FROM applied_schema_deltas WHERE version >= ? ORDER BY file', [version])
    : [];
  const updates = (await hasTable(engine, 'background_updates'))
    ? await engine.query<BackgroundUpdate>('SELECT update_name, ordering, depends_on FROM background_updates ORDER BY ordering, update_name')
    : [];
  return {
    engine: engine.kind,
    version,
    upgraded: row.upgraded === true || row.upgraded === 1 || row.upgraded === '1',
    compatVersion: compat?.compat_version === undefined || compat.compat_version === null ? null : Number(compat.compat_version),
    appliedDeltas: deltas.map((d) => d.file),
    backgroundUpdates: updates.map((u) => ({ update_name: u.update_name, ordering: Number(u.ordering), depends_on: u.depends_on ?? null })),
    capabilities: await capabilitiesOf(engine),
  };
}

async function capabilitiesOf(engine: ReadEngine): Promise<SchemaCapabilities> {
  const events = await hasTable(engine, 'events');
  const redactions = await hasTable(engine, 'redactions');
  return {
    rejectionsTable: await hasTable(engine, 'rejections'),
    stateEventsTable: await hasTable(engine, 'state_events'),
    eventsRejectionReason: events && (await hasColumn(engine, 'events', 'rejection_reason')),
    redactionsRecheck: redactions && (await hasColumn(engine, 'redactions', 'recheck')),
    ftsEventSearch: engine.capabilities.eventSearch === 'fts4' && (await hasTable(engine, 'event_search')) && !(await hasColumn(engine, 'event_search', 'vector')),
  };
}

export function checkSupported(info: SchemaInfo, description: string): void {
  const { min, max } = SUPPORTED_SCHEMA;
  if (info.version < min) {
    throw new SynapseDoctorError('SCHEMA_UNSUPPORTED', `${description} has Synapse schema ${info.version}; synapse-doctor supports ${min}–${max}`, {
      hint: 'Upgrade Synapse (1.62 or newer) and let it start once to migrate the database.',
    });
  }
  if (info.version > max || (info.compatVersion !== null && info.compatVersion > max)) {
    const v = info.version > max ? info.version : info.compatVersion;
    throw new SynapseDoctorError('SCHEMA_UNSUPPORTED', `${description} has Synapse schema ${info.version} (compat ${info.compatVersion ?? '?'}), newer than synapse-doctor supports (${min}–${max}); found ${v}`, {
      hint: 'Use a newer synapse-doctor.',
    });
  }
}
