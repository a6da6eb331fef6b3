/**
 * Is a Synapse running against this database? (research notes §4.3.) Evidence, per engine:
 *   PostgreSQL: other sessions on the same database in pg_stat_activity (Synapse keeps a
 *     connection pool open, even when idle);
 *   SQLite: another process holding the database file (or its -wal) open, found by scanning
 *     /proc/<pid>/fd on Linux (Synapse holds its single connection for the life of the process);
 *   both: `worker_locks` / `worker_read_write_locks` rows renewed within the last 2 minutes (a live
 *     holder renews every 30 s, locks time out after 2 minutes: synapse/storage/databases/main/lock.py).
 * A leftover `-wal` without any process is what a crash leaves; it is reported as a note, not as a
 * running Synapse. Our own connections are excluded.
 */
import { existsSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { SynapseDoctorError } from '../errors.js';
import type { Engine } from './engine/engine.js';
import { SqliteEngine } from './engine/sqlite/sqlite-engine.js';
import { hasColumn, hasTable } from './introspect.js';
import type { SynapseDatabase } from './open.js';

export const LOCK_TIMEOUT_MS = 2 * 60 * 1000;

export interface Liveness {
  running: boolean;
  /** One line per finding that suggests a live Synapse. */
  evidence: string[];
  /** Findings that do not prove anything (a leftover WAL file, a check we could not make). */
  notes: string[];
}

function engines(db: SynapseDatabase): Engine[] {
  return db.state === db.main ? [db.main] : [db.main, db.state];
}

async function freshWorkerLocks(engine: Engine, now: number): Promise<string[]> {
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

async function otherSessions(engine: Engine): Promise<string[]> {
  const rows = await engine.query<{ pid: number; usename: string | null; application_name: string | null; client: string | null; state: string | null }>(
    `SELECT pid, usename, application_name, COALESCE(host(client_addr), 'local socket') AS client, state
       FROM pg_stat_activity
      WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
      ORDER BY pid`,
  );
  return rows.map((r) =>
    `${engine.description}: session pid ${r.pid} of user ${r.usename ?? '?'} from ${r.client}${r.application_name ? ` (${r.application_name})` : ''}, ${r.state ?? 'unknown state'}`,
  );
}

/** Processes other than this one with one of `paths` open (Linux /proc). undefined when /proc is unusable. */
export function processesHolding(paths: readonly string[]): { pid: number; path: string }[] | undefined {
  if (process.platform !== 'linux' || !existsSync('/proc/self/fd')) return undefined;
  const wanted = new Set(paths);
  const found: { pid: number; path: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // gone, or not ours to see
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      if (wanted.has(target)) {
        found.push({ pid, path: target });
        break;
      }
    }
  }
  return found;
}

export async function checkSynapseRunning(db: SynapseDatabase): Promise<Liveness> {
  const evidence: string[] = [];
  const notes: string[] = [];
  const now = Date.now();
  for (const engine of engines(db)) {
    if (engine instanceof SqliteEngine) {
      const path = realpathSync(engine.path);
      const wal = `${path}-wal`;
      const holders = processesHolding([path, wal, `${path}-shm`]);
      if (holders === undefined) notes.push(`cannot list processes holding ${path} on this platform`);
      else for (const h of holders) evidence.push(`process ${h.pid} has ${h.path} open`);
      if (existsSync(wal) && holders !== undefined && holders.length === 0) {
        notes.push(`${wal} exists but no process holds the database: probably left by an unclean shutdown`);
      }
    } else if (engine.kind === 'postgres') {
      evidence.push(...(await otherSessions(engine)));
    }
    evidence.push(...(await freshWorkerLocks(engine, now)));
  }
  return { running: evidence.length > 0, evidence, notes };
}

/** Refuses (SYNAPSE_RUNNING) to write while Synapse looks alive, unless forced. Returns what was found. */
export async function assertWritable(db: SynapseDatabase, options: { force?: boolean } = {}): Promise<Liveness> {
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
export async function runningWarning(db: SynapseDatabase): Promise<string | undefined> {
  const live = await checkSynapseRunning(db);
  if (!live.running) return undefined;
  return `warning: Synapse appears to be running (${live.evidence[0]}); results may change while reading`;
}
