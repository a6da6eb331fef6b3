/**
 * A plan: every change a command will make, as a value, before anything runs it. One plan feeds
 * four outputs (style guide §6.3): the text summary, JSON (`"format": 1`), an SQL script, and
 * applyPlan, which runs it in one transaction behind preconditions, an undo journal and
 * verification checks. Building a plan only reads; the same plan applied twice is refused by its
 * preconditions when it was built for a database that has moved on.
 *
 * Steps are restricted to shapes whose before- and after-images can be read exactly, so that every
 * applied plan can be undone:
 *   insert    rows into a table; each row's `key` columns name the rows it may create;
 *   statement one UPDATE/DELETE/INSERT … SELECT, with a `scope`: a condition on columns the
 *             statement does not change, covering every row it may touch;
 *   sequence  move a PostgreSQL sequence forward to at least a value;
 *   restore   make the rows in a scope exactly `rows`, refusing unless they are exactly `expect`
 *             (what `undo` is made of);
 *   sequence-restore  set a sequence back, refusing unless it is where the journal left it.
 */
import type { EngineKind, SqlValue, Statement } from '../store/engine/engine.js';
import type { GivenDigest, JournalRow } from './row-codec.js';

/** Why a step exists: read by the text summary, `explain` and reviewers of the SQL file. */
export interface Reason {
  readonly text: string;
  readonly eventId?: string;
  /** Our stable auth rule id (src/matrix/auth/rule-ids.ts), when a rule decided it. */
  readonly rule?: string;
  /** Spec section URL. */
  readonly spec?: string;
}

/** Which logical database a step writes: Synapse's main store or its (possibly separate) state store. */
export type PlanDatabase = 'main' | 'state';

export type RowValues = readonly SqlValue[];
/** Rows streamed in batches; re-readable (called once per output), memory bounded per batch. */
export type RowSource = () => AsyncIterable<readonly RowValues[]>;

interface StepBase {
  readonly id: string;
  readonly reason: Reason;
  readonly database: PlanDatabase;
  /**
   * With `transactions: 'per-chunk'`: consecutive steps with the same unit run in one transaction
   * (an import's batch of events with all their rows); steps without one are chunked by rows.
   */
  readonly unit?: number;
}

export interface InsertStep extends StepBase {
  readonly kind: 'insert';
  readonly table: string;
  readonly columns: readonly string[];
  /** SQL around each value, one `?` each (e.g. PostgreSQL's `to_tsvector('english', ?)`); default `?`. */
  readonly expressions?: readonly string[];
  /** Columns (a subset of `columns`) naming the rows a row may create: the journal's scope. */
  readonly key: readonly string[];
  readonly count: number;
  readonly rows: readonly RowValues[] | RowSource;
  /**
   * The same rows already written to a scratch file by another thread (store/engine/
   * scratch-file.ts: under the step's table, with its batches), for an engine that can copy from
   * one (WriteSession.copyFromScratch): applying then moves no value through JavaScript. `rows`
   * stays the rows' source for the other outputs and engines.
   */
  readonly scratch?: () => Promise<string>;
}

/** Rows an insert writes (and journals) at a time. */
export const INSERT_BATCH_ROWS = 2000;

/** One batch: its rowids in the file, and what the journal needs of it, made where the rows were made. */
export interface ScratchBatch {
  readonly from: number;
  readonly to: number;
  /** The batch's keys, as keyScopeCounted gives them (absent for a table journalled by docid: FTS). */
  readonly scope?: { readonly key: readonly string[]; readonly values: readonly RowValues[] };
  readonly pieces: readonly number[];
  readonly digest: GivenDigest;
}

export interface StatementStep extends StepBase {
  readonly kind: 'statement';
  readonly table: string;
  readonly op: 'insert' | 'update' | 'delete';
  readonly statement: Statement;
  /** WHERE condition over `table` on columns the statement leaves alone, covering every row it touches. */
  readonly scope: Statement;
  /** When known at planning time: applying refuses (PLAN_STALE) if the statement changes another number of rows. */
  readonly rowsExpected?: number;
}

export interface SequenceStep extends StepBase {
  readonly kind: 'sequence';
  readonly sequence: string;
  readonly atLeast: number;
}

/** Rows in a scope: a WHERE condition, or the rows whose `key` columns take one of `values`. */
export type Scope =
  | { readonly where: Statement }
  | { readonly key: readonly string[]; readonly values: readonly RowValues[] };

export interface RestoreStep extends StepBase {
  readonly kind: 'restore';
  readonly table: string;
  readonly scope: Scope;
  readonly expect: readonly JournalRow[];
  /** `expect` holds rows as an insert was given them (journal entries marked `given`). */
  readonly expectGiven?: boolean;
  /** Instead of `expect` (empty then): the digest of the rows an insert gave (row-codec.ts); the before-image is empty. */
  readonly expectDigest?: GivenDigest;
  readonly rows: readonly JournalRow[];
}

/** The rows a restore step expects to find (and removes): its after-image's rows, or its digest's count. */
export function restoreExpectedRows(step: RestoreStep): number {
  return step.expectDigest?.rows ?? step.expect.length;
}

export interface SequenceState {
  readonly last_value: number;
  readonly is_called: boolean;
}

export interface SequenceRestoreStep extends StepBase {
  readonly kind: 'sequence-restore';
  readonly sequence: string;
  readonly expect: SequenceState;
  readonly value: SequenceState;
}

export type Step = InsertStep | StatementStep | SequenceStep | RestoreStep | SequenceRestoreStep;

/** A query returning one row whose first column must equal `expect` (NULL-safe; booleans as 0/1). */
export interface Check {
  readonly id: string;
  readonly description: string;
  readonly database: PlanDatabase;
  readonly query: Statement;
  readonly expect: SqlValue;
}

export interface PlanTarget {
  readonly engine: EngineKind;
  /** The database, password masked. */
  readonly description: string;
  readonly schemaVersion: number;
  /** Present when the state tables live in another database. */
  readonly state?: { readonly engine: EngineKind; readonly description: string };
}

export interface Plan {
  readonly format: 1;
  /** The command line that made it, e.g. `unreject --room !r:x --all-wrong` (no secrets). */
  readonly command: string;
  readonly target: PlanTarget;
  readonly createdAt: string;
  readonly preconditions: readonly Check[];
  readonly steps: readonly Step[];
  readonly verify: readonly Check[];
  /** Lines the text summary prints after the counts (what to do next, what was left alone). */
  readonly notes: readonly string[];
}

export function isRowSource(rows: InsertStep['rows']): rows is RowSource {
  return typeof rows === 'function';
}

/** The rows of an insert step in batches, whichever form it holds. */
export async function* insertBatches(step: InsertStep, batchSize = 2000): AsyncIterable<readonly RowValues[]> {
  if (isRowSource(step.rows)) {
    yield* step.rows();
    return;
  }
  for (let i = 0; i < step.rows.length; i += batchSize) yield step.rows.slice(i, i + batchSize);
}

/** What a step writes: its table, or its sequence. */
export function stepTarget(step: Step): string {
  return step.kind === 'sequence' || step.kind === 'sequence-restore' ? step.sequence : step.table;
}
