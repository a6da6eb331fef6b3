/**
 * Runs one step on a write session, reading its before- and after-images when a journal is kept.
 * The only code that writes a plan's rows: applyPlan calls it for every step, inside the
 * transaction.
 */
import { SynapseDoctorError } from '../errors.js';
import type { ReadEngine, WriteSession } from '../store/engine/engine.js';
import { statement } from '../store/engine/engine.js';
import { quoteIdent } from '../store/engine/sql-text.js';
import type { JournalEntry } from './journal.js';
import { INSERT_BATCH_ROWS, insertBatches, restoreExpectedRows, type InsertStep, type Scope, type RestoreStep, type SequenceRestoreStep, type SequenceState, type SequenceStep, type Step } from './plan.js';
import { digestGiven, groupJournalRows, imageHolds, type GivenDigest, type JournalRow } from './row-codec.js';
import { inPlaceRestore } from './restore-rows.js';
import { decodeBatch } from '../store/engine/scratch-format.js';
import { ROW_KEYS, UNIQUE_ROW_KEYS } from '../store/writers/synapse-rows.js';

function sameColumns(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((c) => b.includes(c));
}
import { keyScopeCounted, readScope, scopeCondition, scopeToJson, splitScope } from './scope.js';

export interface StepSink {
  /** Receives journal entries; undefined when no journal is kept (fixtures). */
  journal?: (entry: JournalEntry) => void;
  /** Rows written so far by this step. */
  progress?: (rows: number) => void;
}

/** A plain identifier (sequence names are checked before they go into SQL text). */
export function assertPlainIdentifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new SynapseDoctorError('INTERNAL', `not a plain identifier: ${JSON.stringify(name)}`);
  return name;
}

export async function readSequence(tx: ReadEngine, name: string): Promise<SequenceState> {
  const row = await tx.queryOne<{ last_value: number; is_called: boolean }>(`SELECT last_value, is_called FROM ${quoteIdent(assertPlainIdentifier(name))}`);
  if (!row) throw new SynapseDoctorError('DB_ERROR', `cannot read sequence ${name}`);
  return { last_value: Number(row.last_value), is_called: row.is_called === true };
}

export async function sequenceExists(tx: ReadEngine, name: string): Promise<boolean> {
  return (await tx.queryOne("SELECT 1 AS one FROM pg_class WHERE relkind = 'S' AND relname = ?", [name])) !== undefined;
}

/** One batch of an insert's rows: given as values, or in a scratch file another thread wrote. */
interface InsertBatch {
  readonly count: number;
  write(): Promise<void>;
  /** Its key scope and rows per scope piece (keyScopeCounted). */
  keys(): { scope: Scope; pieces: readonly number[] };
  /** The digest of its rows as given, counted in `pieces`. */
  digest(pieces: readonly number[]): GivenDigest;
}

async function* insertBatchesOn(tx: WriteSession, step: InsertStep): AsyncIterable<InsertBatch> {
  const file = tx.copyFromScratch && tx.scratchBatch && !step.expressions ? await step.scratch?.() : undefined;
  if (file) {
    for (let seq = 0; ; seq++) {
      const stored = await tx.scratchBatch!(file, step.table, seq);
      if (!stored) return;
      const b = decodeBatch(stored.from, stored.to, stored.batch);
      yield {
        count: b.to - b.from + 1,
        write: () => tx.copyFromScratch!(file, step.table, step.columns, b.from, b.to),
        keys: () => {
          if (!b.scope) throw new SynapseDoctorError('INTERNAL', `the scratch rows of ${step.table} came without their keys`);
          return { scope: b.scope, pieces: b.pieces };
        },
        digest: () => b.digest,
      };
    }
  }
  for await (const batch of insertBatches(step, INSERT_BATCH_ROWS)) {
    if (batch.length === 0) continue;
    yield {
      count: batch.length,
      write: () => tx.insertMany(step.table, step.columns, batch, step.expressions),
      keys: () => keyScopeCounted(step.columns, step.key, batch),
      digest: (pieces) => digestGiven(step.columns, step.key, batch, pieces),
    };
  }
}

async function runInsert(tx: WriteSession, step: InsertStep, sink: StepSink): Promise<number> {
  let written = 0;
  for await (const batch of insertBatchesOn(tx, step)) {
    if (sink.journal && step.table === 'event_search' && tx.capabilities.eventSearch === 'fts4') {
      // An FTS4 table has no index on event_id: a key scope would scan it twice per batch. The
      // rows one insert creates are exactly the new docids (one writer, under the write lock).
      const last = async (): Promise<number> => Number((await tx.queryOne<{ m: number | null }>('SELECT MAX(docid) AS m FROM event_search'))?.m ?? 0);
      const from = await last();
      await batch.write();
      const to = await last();
      const scope: Scope = { where: statement('docid > ? AND docid <= ?', [from, to]) };
      if (to - from === batch.count && !step.expressions) {
        // each row got the next docid: the range holds exactly the rows given
        sink.journal({ step: step.id, kind: 'rows', database: step.database, table: step.table, scope: scopeToJson(scope), before: [], after: [], given: true, digest: batch.digest([batch.count]) });
      } else {
        sink.journal({ step: step.id, kind: 'rows', database: step.database, table: step.table, scope: scopeToJson(scope), before: [], after: await readScope(tx, step.table, scope) });
      }
    } else if (sink.journal) {
      const { scope, pieces } = batch.keys();
      // on a unique key an insert meets no existing row (it would fail): nothing to read before
      const unique = UNIQUE_ROW_KEYS.has(step.table) && sameColumns(step.key, ROW_KEYS[step.table] ?? []);
      const before = unique ? [] : await readScope(tx, step.table, scope);
      await batch.write();
      if (before.length === 0 && !step.expressions) {
        // Nothing else is in the scope (a unique key, or no row had these keys before): the
        // after-image is the rows as given (reading them back costs as much as writing them).
        sink.journal({ step: step.id, kind: 'rows', database: step.database, table: step.table, scope: scopeToJson(scope), before, after: [], given: true, digest: batch.digest(pieces) });
      } else {
        const after = await readScope(tx, step.table, scope);
        sink.journal({ step: step.id, kind: 'rows', database: step.database, table: step.table, scope: scopeToJson(scope), before, after });
      }
    } else {
      await batch.write();
    }
    written += batch.count;
    sink.progress?.(written);
  }
  return written;
}

async function runSequence(tx: WriteSession, step: SequenceStep, sink: StepSink): Promise<number> {
  const name = assertPlainIdentifier(step.sequence);
  if (!(await sequenceExists(tx, name))) return 0;
  const before = await readSequence(tx, name);
  if (before.is_called && before.last_value >= step.atLeast) return 0;
  if (!before.is_called && before.last_value > step.atLeast) return 0;
  await tx.query(statement('SELECT setval(?::regclass, ?::bigint, true)', [name, Math.max(step.atLeast, before.last_value)]));
  const after = await readSequence(tx, name);
  sink.journal?.({ step: step.id, kind: 'sequence', database: step.database, sequence: name, before, after });
  return 1;
}

/** Inserts journal rows back, one multi-row insert per column list. */
async function insertJournalRows(tx: WriteSession, table: string, rows: readonly JournalRow[]): Promise<void> {
  for (const g of groupJournalRows(rows)) await tx.insertMany(table, g.cols, g.values);
}

async function runRestore(tx: WriteSession, step: RestoreStep, sink: StepSink): Promise<number> {
  const current = await readScope(tx, step.table, step.scope);
  if (!imageHolds(current, step.expect, step.expectGiven, step.expectDigest)) {
    throw new SynapseDoctorError('PLAN_STALE', `rows of ${step.table} changed since the journal was written (${step.reason.text}): ${current.length} rows now, ${restoreExpectedRows(step)} recorded`, {
      hint: 'Nothing was changed. Something wrote to these rows after the plan was applied (Synapse, or another synapse-doctor).',
    });
  }
  const inPlace = step.expectDigest ? undefined : inPlaceRestore(step.table, current, step.rows);
  if (inPlace) {
    for (const s of [...inPlace.deletes, ...inPlace.updates]) await tx.run(s);
    await insertJournalRows(tx, step.table, inPlace.inserts);
  } else {
    for (const piece of splitScope(step.scope)) {
      const cond = scopeCondition(piece);
      await tx.run(statement(`DELETE FROM ${quoteIdent(step.table)} WHERE ${cond.sql}`, cond.params));
    }
    await insertJournalRows(tx, step.table, step.rows);
  }
  if (sink.journal) {
    const after = await readScope(tx, step.table, step.scope);
    sink.journal({ step: step.id, kind: 'rows', database: step.database, table: step.table, scope: scopeToJson(step.scope), before: current, after });
  }
  return current.length + step.rows.length;
}

async function runSequenceRestore(tx: WriteSession, step: SequenceRestoreStep, sink: StepSink): Promise<number> {
  const name = assertPlainIdentifier(step.sequence);
  const before = await readSequence(tx, name);
  if (before.last_value !== step.expect.last_value || before.is_called !== step.expect.is_called) {
    throw new SynapseDoctorError('PLAN_STALE', `sequence ${name} moved since the journal was written (now ${before.last_value}, recorded ${step.expect.last_value})`, {
      hint: 'Nothing was changed. Synapse has allocated ids since; undoing now could hand out an id twice.',
    });
  }
  await tx.query(statement('SELECT setval(?::regclass, ?::bigint, ?)', [name, step.value.last_value, step.value.is_called]));
  const after = await readSequence(tx, name);
  sink.journal?.({ step: step.id, kind: 'sequence', database: step.database, sequence: name, before, after });
  return 1;
}

/** Executes a step; returns the number of rows (or sequences) it wrote. */
export async function executeStep(tx: WriteSession, step: Step, sink: StepSink = {}): Promise<number> {
  switch (step.kind) {
    case 'insert':
      return runInsert(tx, step, sink);
    case 'statement': {
      const before = sink.journal ? await readScope(tx, step.table, { where: step.scope }) : undefined;
      const { changes } = await tx.run(step.statement);
      if (step.rowsExpected !== undefined && changes !== step.rowsExpected) {
        throw new SynapseDoctorError('PLAN_STALE', `step ${step.id} (${step.op} on ${step.table}) changed ${changes} rows, the plan expected ${step.rowsExpected}`, {
          hint: 'Nothing was changed. The database moved on since the plan was made; make the plan again.',
        });
      }
      if (sink.journal) {
        const after = await readScope(tx, step.table, { where: step.scope });
        sink.journal({ step: step.id, kind: 'rows', database: step.database, table: step.table, scope: scopeToJson({ where: step.scope }), before: before!, after });
      }
      sink.progress?.(changes);
      return changes;
    }
    case 'sequence':
      return runSequence(tx, step, sink);
    case 'restore':
      return runRestore(tx, step, sink);
    case 'sequence-restore':
      return runSequenceRestore(tx, step, sink);
  }
}
