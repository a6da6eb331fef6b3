/**
 * Opening the database for a command: --db / --config / $SYNAPSE_DOCTOR_DB through the store, and a
 * warning on stderr when a read-only command finds Synapse running (its caches may be ahead of
 * the database).
 */
import type { SynapseDatabase } from '../store/open.js';
import type { GlobalOptions } from './options.js';
import { warn, type CliContext } from './output.js';

export async function openForReading(g: GlobalOptions, ctx: CliContext): Promise<SynapseDatabase> {
  const { openDatabase } = await import('../store/open.js');
  const db = await openDatabase({
    ...(g.db !== undefined ? { db: g.db } : {}),
    ...(g.config !== undefined ? { config: g.config } : {}),
    ...(g.stateDb !== undefined ? { stateDb: g.stateDb } : {}),
    write: false,
    env: process.env,
  });
  try {
    const { checkSynapseRunning } = await import('../store/liveness.js');
    const live = await checkSynapseRunning(db);
    if (live.running) {
      warn(ctx, `Synapse appears to be running (${live.evidence.join('; ')}); results may lag behind its in-memory state`);
    }
  } catch (e) {
    await db.close();
    throw e;
  }
  return db;
}

/**
 * A failure while reading: driver errors (SQLITE_CORRUPT, a dropped connection, a statement
 * timeout) become database errors (exit 4 and friends) instead of internal ones; anything else is
 * returned unchanged.
 */
export async function mapReadFailure(e: unknown, db: SynapseDatabase): Promise<unknown> {
  const err = e as { name?: unknown; code?: unknown; severity?: unknown };
  const fromSqlite = err?.name === 'SqliteError';
  const fromPostgres = typeof err?.severity === 'string' || (typeof err?.code === 'string' && /^(E[A-Z]+|[0-9A-Z]{5})$/.test(err.code));
  if (!fromSqlite && !fromPostgres) return e;
  const { mapPostgresError, mapSqliteError } = await import('../store/open-errors.js');
  return db.main.kind === 'sqlite' ? mapSqliteError(e, db.main.description) : mapPostgresError(e, db.main.description);
}
