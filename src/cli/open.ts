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
 * Opening for a command that may write: read-write only with --apply (a dry run stays read-only at
 * the driver too). The liveness refusal happens in applyPlan; here a dry run only warns.
 */
export async function openForPlan(g: GlobalOptions, ctx: CliContext, apply: boolean): Promise<SynapseDatabase> {
  if (!apply) return openForReading(g, ctx);
  const { openDatabase } = await import('../store/open.js');
  return openDatabase({
    ...(g.db !== undefined ? { db: g.db } : {}),
    ...(g.config !== undefined ? { config: g.config } : {}),
    ...(g.stateDb !== undefined ? { stateDb: g.stateDb } : {}),
    write: true,
    env: process.env,
  });
}
