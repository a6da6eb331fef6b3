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
