/**
 * `undo JOURNAL`: a plan like any other, made from a journal. Each journal entry becomes a restore
 * step (in reverse order): the rows in its scope must still be exactly what the plan left (its
 * after-image), and become its before-image again; sequences go back likewise. Applying it writes
 * its own journal (so an undo can itself be undone) and marks the original journal undone.
 */
import { SynapseDoctorError } from '../errors.js';
import { statement } from '../store/engine/engine.js';
import { quoteIdent } from '../store/engine/sql-text.js';
import { engineOf, type ReadStore } from '../store/open.js';
import { readSequence, sequenceExists } from './execute-step.js';
import { readJournal, type JournalContents, type JournalEntry, type RowsEntry } from './journal.js';
import type { Check, Plan, Step } from './plan.js';
import { imageHolds, sameRows, type JournalRow } from './row-codec.js';
import { readScope, scopeFromJson } from './scope.js';

export interface UndoPlan {
  plan: Plan;
  journal: JournalContents;
  /** Rows restored per table. */
  tables: Map<string, { remove: number; restore: number }>;
}

/** Refuses journals that cannot be undone (never committed, already undone, another engine). */
export function assertUndoable(path: string, journal: JournalContents, db: ReadStore): void {
  if (journal.undone) {
    throw new SynapseDoctorError('PLAN_STALE', `${path} was already undone on ${journal.undone.at}${journal.undone.journal ? ` (its undo journal: ${journal.undone.journal})` : ''}`, {
      hint: 'To redo the change, undo that undo journal instead.',
    });
  }
  const chunked = journal.header.transactions === 'per-chunk';
  if (!journal.ended && !(chunked && journal.unitsEnded.size > 0)) {
    throw new SynapseDoctorError('PLAN_STALE', `${path} is incomplete: the run that wrote it never committed, so there is nothing to undo`);
  }
  if (journal.header.target.engine !== db.main.kind) {
    throw new SynapseDoctorError('USAGE', `${path} was written for a ${journal.header.target.engine} database, not ${db.main.description}`);
  }
}

/** Do the rows read now hold a rows entry's after-image (its rows, or their digest)? */
function afterHolds(now: readonly JournalRow[], e: RowsEntry): boolean {
  return imageHolds(now, e.after, e.given, e.digest);
}

async function holds(db: ReadStore, e: JournalEntry, image: 'before' | 'after'): Promise<boolean> {
  const engine = e.database === 'state' ? db.state : db.main;
  if (e.kind === 'sequence') {
    const now = await readSequence(engine, e.sequence);
    return now.last_value === e[image].last_value && now.is_called === e[image].is_called;
  }
  const now = await readScope(engine, e.table, scopeFromJson(e.scope));
  return image === 'after' ? afterHolds(now, e) : sameRows(now, e.before);
}

/**
 * The entries whose transactions committed. One-transaction journals: all of them. Per-chunk
 * journals: chunks marked committed; a chunk whose end line was written but whose commit marker
 * is missing (killed in between) is looked at: the database holds its after-image (committed) or
 * its before-image (not), anything else is refused.
 */
async function committedEntries(path: string, journal: JournalContents, db: ReadStore): Promise<JournalEntry[]> {
  if (journal.header.transactions !== 'per-chunk') {
    if (journal.committed !== undefined) return journal.entries;
    // Ended but no commit marker: killed between the journal's fsync and COMMIT, or just after.
    let before = true;
    for (const e of journal.entries) before &&= await holds(db, e, 'before');
    if (before && journal.entries.length > 0) {
      throw new SynapseDoctorError('PLAN_STALE', `${path} belongs to a run that never committed: the database holds none of its changes, so there is nothing to undo`);
    }
    return journal.entries;
  }
  const byUnit = new Map<number, JournalEntry[]>();
  for (const e of journal.entries) {
    const u = e.unit ?? 0;
    if (!byUnit.has(u)) byUnit.set(u, []);
    byUnit.get(u)!.push(e);
  }
  const out: JournalEntry[] = [];
  for (const [u, entries] of [...byUnit].sort((a, b) => a[0] - b[0])) {
    const isLast = !journal.unitsEnded.has(u) && journal.ended;
    const committed = journal.unitsCommitted.has(u) || (isLast && journal.committed !== undefined);
    const uncertain = !committed && (journal.unitsEnded.has(u) || isLast);
    if (committed) {
      out.push(...entries);
    } else if (uncertain) {
      let after = true;
      let before = true;
      for (const e of entries) {
        after &&= await holds(db, e, 'after');
        before &&= await holds(db, e, 'before');
      }
      if (after) out.push(...entries);
      else if (!before) {
        throw new SynapseDoctorError('PLAN_STALE', `chunk ${u} of ${path} is neither there nor absent: rows changed since the journal was written`, {
          hint: 'Nothing was changed. Something wrote to these rows after the plan was applied.',
        });
      }
    }
  }
  return out;
}

export async function planUndo(path: string, db: ReadStore): Promise<UndoPlan> {
  const journal = await readJournal(path);
  assertUndoable(path, journal, db);
  const steps: Step[] = [];
  const tables = new Map<string, { remove: number; restore: number }>();
  const applied = await committedEntries(path, journal, db);
  const entries = [...applied].reverse();
  for (const [i, e] of entries.entries()) {
    const id = `undo-${entries.length - i}`;
    if (e.kind === 'sequence') {
      steps.push({ kind: 'sequence-restore', id, reason: { text: `set ${e.sequence} back (journal step ${e.step})` }, database: e.database, sequence: e.sequence, expect: e.after, value: e.before });
      continue;
    }
    steps.push({ kind: 'restore', id, reason: { text: `restore ${e.table} as before step ${e.step}` }, database: e.database, table: e.table, scope: scopeFromJson(e.scope), expect: e.after, ...(e.given ? { expectGiven: true } : {}), ...(e.digest ? { expectDigest: e.digest } : {}), rows: e.before });
    const t = tables.get(e.table) ?? { remove: 0, restore: 0 };
    t.remove += e.digest?.rows ?? e.after.length;
    t.restore += e.before.length;
    tables.set(e.table, t);
  }
  // Read-only look ahead, so a dry run already says whether applying would be refused: the last
  // entry for each table must match the rows now. Earlier entries of the same table are checked
  // while applying, once the later ones are restored (their scopes may overlap: a delete then an
  // insert of the same keys).
  const seen = new Set<string>();
  for (const e of applied.slice().reverse()) {
    if (e.kind === 'sequence') {
      const engine = e.database === 'state' ? db.state : db.main;
      if (seen.has(`seq:${e.sequence}`)) continue;
      seen.add(`seq:${e.sequence}`);
      const session = engineOf(engine);
      if (!(await sequenceExists(session, e.sequence))) continue;
      const now = await readSequence(session, e.sequence);
      if (now.last_value !== e.after.last_value || now.is_called !== e.after.is_called) {
        throw new SynapseDoctorError('PLAN_STALE', `sequence ${e.sequence} moved since ${path} was written (now ${now.last_value}, recorded ${e.after.last_value})`, {
          hint: 'Nothing was changed. Synapse has allocated ids since; undoing now could hand out an id twice.',
        });
      }
      continue;
    }
    const key = `${e.database}:${e.table}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const engine = e.database === 'state' ? db.state : db.main;
    const current = await readScope(engine, e.table, scopeFromJson(e.scope));
    if (!afterHolds(current, e)) {
      throw new SynapseDoctorError('PLAN_STALE', `rows of ${e.table} changed since ${path} was written (${current.length} rows now, ${e.digest?.rows ?? e.after.length} recorded)`, {
        hint: 'Nothing was changed. Something wrote to these rows after the plan was applied (Synapse, or another synapse-doctor).',
      });
    }
  }
  // After restoring, each touched table holds its count as it is now, less what the plan added,
  // plus what it removed.
  const verify: Check[] = [];
  for (const [table, t] of tables) {
    const entry = applied.find((x) => x.kind === 'rows' && x.table === table)!;
    const engine = entry.database === 'state' ? db.state : db.main;
    const row = await engine.queryOne<{ n: number }>(statement(`SELECT count(*) AS n FROM ${quoteIdent(table)}`));
    verify.push({
      id: `count-${table}`,
      description: `${table} holds ${Number(row?.n ?? 0) - t.remove + t.restore} rows again`,
      database: entry.database,
      query: statement(`SELECT count(*) FROM ${quoteIdent(table)}`),
      expect: Number(row?.n ?? 0) - t.remove + t.restore,
    });
  }
  const plan: Plan = {
    format: 1,
    command: `undo ${path}`,
    target: journal.header.target,
    createdAt: new Date().toISOString(),
    preconditions: [],
    steps,
    verify,
    notes: [
      journal.ended
        ? `Reverses "${journal.header.command}", applied ${journal.committed ?? journal.header.created}.`
        : `Reverses the ${new Set(applied.map((e) => e.unit)).size} committed chunks of "${journal.header.command}", interrupted after ${journal.header.created}.`,
      'Restart Synapse and every worker afterwards: their caches still hold what the plan wrote.'],
  };
  return { plan, journal, tables };
}
