/**
 * One writer at a time, through each engine's lock hook, separate from any transaction:
 * PostgreSQL takes a session-level advisory lock on one fixed key (tried once), SQLite creates a
 * lock file beside the database. A second synapse-doctor fails at once with LOCK_HELD.
 */
import type { Engine } from './engine/engine.js';

export interface WriteLock {
  release(): Promise<void>;
}

export async function acquireWriteLock(engines: readonly Engine[]): Promise<WriteLock> {
  const releases: (() => Promise<void>)[] = [];
  try {
    for (const engine of engines) releases.push(await engine.hooks.acquireWriteLock());
  } catch (e) {
    for (const r of releases.reverse()) await r().catch(() => undefined);
    throw e;
  }
  let released = false;
  return {
    async release() {
      if (released) return;
      released = true;
      for (const r of releases.reverse()) await r();
    },
  };
}
