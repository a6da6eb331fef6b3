/**
 * One writer at a time. PostgreSQL: a session-level advisory lock on one fixed 64-bit key, tried
 * once (pg_try_advisory_lock) so a second synapse-doctor fails at once with LOCK_HELD. SQLite: the
 * single connection is the lock: acquiring it opens a BEGIN IMMEDIATE transaction (SQLite's
 * RESERVED lock: no other connection may write until we finish); every transaction() the caller
 * runs in between nests inside it as a savepoint, and release() commits (or rolls back) the lot.
 */
import { SynapseDoctorError } from '../errors.js';
import type { Engine } from './engine/engine.js';
import { SqliteEngine } from './engine/sqlite/sqlite-engine.js';
import type { SynapseDatabase } from './open.js';

/** "syndocto" in ASCII: the advisory lock key every synapse-doctor process uses. */
export const ADVISORY_LOCK_KEY = 0x73796e646f63746fn;

export interface WriteLock {
  /** Commits (SQLite) and releases the lock; with rollback, an SQLite lock discards the writes. */
  release(options?: { rollback?: boolean }): Promise<void>;
}

async function lockPostgres(engine: Engine): Promise<() => Promise<void>> {
  const row = await engine.queryOne<{ ok: boolean }>('SELECT pg_try_advisory_lock(?::bigint) AS ok', [ADVISORY_LOCK_KEY]);
  if (!row?.ok) {
    throw new SynapseDoctorError('LOCK_HELD', `another synapse-doctor is writing to ${engine.description}`, {
      hint: 'Wait for it to finish; the lock is released when its session ends.',
    });
  }
  return async () => {
    await engine.query('SELECT pg_advisory_unlock(?::bigint)', [ADVISORY_LOCK_KEY]);
  };
}

function lockSqlite(engine: SqliteEngine): (rollback: boolean) => void {
  try {
    return engine.beginWriteLock();
  } catch (e) {
    const code = (e as { code?: string }).code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
      throw new SynapseDoctorError('LOCK_HELD', `another process is writing to ${engine.description}`, { cause: e });
    }
    throw e;
  }
}

export async function acquireWriteLock(db: SynapseDatabase): Promise<WriteLock> {
  const releases: ((rollback: boolean) => Promise<void>)[] = [];
  try {
    for (const engine of db.state === db.main ? [db.main] : [db.main, db.state]) {
      if (engine instanceof SqliteEngine) {
        const end = lockSqlite(engine);
        releases.push(async (rollback) => end(rollback));
      } else {
        const unlock = await lockPostgres(engine);
        releases.push(async () => unlock());
      }
    }
  } catch (e) {
    for (const r of releases.reverse()) await r(true).catch(() => undefined);
    throw e;
  }
  let released = false;
  return {
    async release(options = {}) {
      if (released) return;
      released = true;
      for (const r of releases.reverse()) await r(options.rollback ?? false);
    },
  };
}
