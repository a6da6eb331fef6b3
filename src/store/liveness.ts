/**
 * Is a Synapse running against this database? (research notes §4.3.) Evidence, per engine (each
 * engine's `findOtherUsers` hook):
 *   PostgreSQL: other sessions on the same database in pg_stat_activity (Synapse keeps a
 *     connection pool open, even when idle);
 *   SQLite: another process holding the database file (or its -wal) open, found by scanning
 *     /proc/<pid>/fd on Linux (Synapse holds its single connection for the life of the process);
 *   both: `worker_locks` / `worker_read_write_locks` rows renewed within the last 2 minutes (a live
 *     holder renews every 30 s, locks time out after 2 minutes: synapse/storage/databases/main/lock.py).
 * A leftover `-wal` without any process is what a crash leaves; it is reported as a note, not as a
 * running Synapse. Our own connections (application_name synapse-doctor) are excluded.
 */
import { SynapseDoctorError } from '../errors.js';
import type { Engine, ReadEngine } from './engine/engine.js';
import { hasColumn, hasTable } from './introspect.js';
import { engineOf, type ReadStore } from './open.js';

export { processesHolding } from './engine/sqlite/sqlite-hooks.js';

export const LOCK_TIMEOUT_MS = 2 * 60 * 1000;

export interface Liveness {
  running: boolean;
  /** One line per finding that suggests a live Synapse. */
  evidence: string[];
  /** Findings that do not prove anything (a leftover WAL file, a check we could not make). */
  notes: string[];
}

function engines(db: ReadStore): Engine[] {
  const main = engineOf(db.main);
  const state = engineOf(db.state);
  return state === main ? [main] : [main, state];
}

async function freshWorkerLocks(engine: ReadEngine, now: number): Promise<string[]> {
  const out: string[] = [];
  for (const table of ['worker_locks', 'worker_read_write_locks']) {
    if (!(await hasTable(engine, table)) || !(await hasColumn(engine, table, 'last_renewed_ts'))) continue;
    const rows = await engine.query<{ lock_name: string; lock_key: string; instance_name: string; last_renewed_ts: number }>(
      `SELECT lock_name, lock_key, instance_name, last_renewed_ts FROM ${table} WHERE last_renewed_ts > ? ORDER BY last_renewed_ts DESC LIMIT 5`,
      [now - LOCK_TIMEOUT_MS],
    );
    for (const r of rows) {
      const age = Math.max(0, Math.round((now - Number(r.last_renewed_ts)) / 1000));
      out.push(`${table}: ${r.lock_name}/${r.lock_key} held by instance ${r.instance_name}, renewed ${age}s ago`);
    }
  }
  return out;
}

export async function checkSynapseRunning(db: ReadStore): Promise<Liveness> {
  const evidence: string[] = [];
  const notes: string[] = [];
  const now = Date.now();
  for (const engine of engines(db)) {
    const others = await engine.hooks.findOtherUsers();
    evidence.push(...others.evidence);
    notes.push(...others.notes);
    evidence.push(...(await freshWorkerLocks(engine, now)));
  }
  return { running: evidence.length > 0, evidence, notes };
}

/** Refuses (SYNAPSE_RUNNING) to write while Synapse looks alive, unless forced. Returns what was found. */
export async function assertWritable(db: ReadStore, options: { force?: boolean } = {}): Promise<Liveness> {
  if (db.main.readOnly || db.state.readOnly) {
    throw new SynapseDoctorError('USAGE', `${db.main.description} was opened read-only; writing needs --apply`);
  }
  const live = await checkSynapseRunning(db);
  if (live.running && !options.force) {
    throw new SynapseDoctorError('SYNAPSE_RUNNING', `Synapse appears to be running against ${db.main.description}: ${live.evidence[0]}${live.evidence.length > 1 ? ` (+${live.evidence.length - 1} more)` : ''}`, {
      hint: 'Stop every Synapse process (main and workers) first; --force overrides this check.',
    });
  }
  return live;
}

/** For read-only commands: a one-line warning when Synapse looks alive (results may be moving), else undefined. */
export async function runningWarning(db: ReadStore): Promise<string | undefined> {
  const live = await checkSynapseRunning(db);
  if (!live.running) return undefined;
  return `warning: Synapse appears to be running (${live.evidence[0]}); results may change while reading`;
}
