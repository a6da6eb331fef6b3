/**
 * `synapse-doctor undo JOURNAL [--apply]`: reverses a plan that was applied, from its journal. A
 * dry run unless --apply; refuses (exit 5) when any row changed since, when the journal never
 * committed, or when it was already undone. The database is the one the journal names, unless
 * --db / --config say otherwise (the file moved, or the URL needs its password).
 */
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { globalOptions } from '../options.js';
import type { CliContext } from '../output.js';
import { openForPlan } from '../open.js';
import { addPlanOptions, planOptions, runPlan } from '../plan-output.js';

export function registerUndo(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('undo <journal>')
    .description('reverse an applied plan from its undo journal (dry run unless --apply)');
  addPlanOptions(cmd).action(async (journalArg: string, opts: Record<string, unknown>, command: Command) => {
    const g = globalOptions(command);
    const po = planOptions(opts);
    const path = resolve(journalArg);
    const { readJournal, appendJournalMarker } = await import('../../plan/journal.js');
    const journal = await readJournal(path);
    const target = g.db !== undefined || g.config !== undefined || process.env.SYNAPSE_DOCTOR_DB
      ? g
      : { ...g, db: journal.header.databases.main, ...(journal.header.databases.state ? { stateDb: journal.header.databases.state } : {}) };
    const db = await openForPlan(target, ctx, po.apply);
    try {
      const { planUndo } = await import('../../plan/undo.js');
      const { plan } = await planUndo(path, db);
      await runPlan(g, po, db, plan, {
        afterApply: (r) => appendJournalMarker(path, { undone: new Date().toISOString(), ...(r.journal ? { journal: r.journal } : {}) }),
        json: { undoes: path },
      });
    } finally {
      await db.close();
    }
  });
}
