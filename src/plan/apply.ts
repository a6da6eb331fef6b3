/**
 * applyPlan: the one way anything writes to a Synapse database (style guide §6.3).
 *   1. refuse while Synapse looks alive (unless `force`);
 *   2. take the write lock, separate from the transaction (engine hook: advisory lock / lock file);
 *   3. SQLite: an online backup, when asked for;
 *   4. one transaction (per database): preconditions (PLAN_STALE when one fails), every step with
 *      its before- and after-images journalled, the verification checks (VERIFY_FAILED when one
 *      fails), then sequence steps (PostgreSQL's setval cannot be rolled back, so they come last),
 *      the journal's end line fsynced; then COMMIT;
 *   5. the journal is marked committed; the lock released.
 * Any failure before COMMIT rolls everything back and removes the journal (nothing to undo).
 * With `transactions: 'per-chunk'` (long imports) each chunk is its own transaction, journalled
 * and fsynced before it commits; an interrupted run leaves whole chunks and its journal.
 */
import { rmSync } from 'node:fs';
import { SynapseDoctorError } from '../errors.js';
import type { Engine, WriteSession } from '../store/engine/engine.js';
import { assertWritable, type Liveness } from '../store/liveness.js';
import { acquireWriteLock } from '../store/lock.js';
import { engineOf, type ReadStore } from '../store/open.js';
import { executeStep } from './execute-step.js';
import { appendJournalMarker, JOURNAL_FORMAT, JournalWriter, type JournalEntry } from './journal.js';
import { insertBatches, stepTarget, type Check, type Plan, type PlanDatabase, type Step } from './plan.js';
import { normaliseScalar } from './row-codec.js';

export interface ApplyProgress {
  readonly phase: 'preconditions' | 'step' | 'verify' | 'commit';
  /** Index of the step (0-based) and how many there are. */
  readonly index: number;
  readonly total: number;
  readonly step?: Step;
  /** Rows written so far by this step. */
  readonly rows: number;
}

export interface ApplyOptions {
  /** Write even though Synapse looks alive (--force). */
  readonly force?: boolean;
  /**
   * Path of the undo journal (created, never overwritten). `false` keeps none: only for building
   * fixture databases (the simulator, demo, benchmarks), never for an admin's database.
   */
  readonly journal: string | false;
  /** SQLite: path of an online backup taken before writing. */
  readonly backup?: string;
  readonly onProgress?: (p: ApplyProgress) => void;
  /** Skip the liveness check entirely (fixture databases nobody else can know about). */
  readonly skipLivenessCheck?: boolean;
  /**
   * 'one' (default): the whole plan in one transaction. 'per-chunk': one transaction per insert
   * batch and per other step, each journalled and fsynced before it commits (long imports); the
   * verification and sequences run in a last transaction. A run killed half-way leaves whole
   * chunks, which `undo` reverses and an idempotent plan made again completes.
   */
  readonly transactions?: 'one' | 'per-chunk';
  /** Rows per chunk in 'per-chunk' mode (default 5000). */
  readonly chunkRows?: number;
}

const DEFAULT_CHUNK_ROWS = 5000;

export interface CheckResult {
  readonly id: string;
  readonly description: string;
  readonly ok: boolean;
  readonly actual: unknown;
  readonly expect: unknown;
}

export interface ApplyResult {
  readonly journal?: string;
  readonly backup?: string;
  readonly steps: readonly { readonly id: string; readonly table: string; readonly rows: number }[];
  readonly rows: number;
  readonly verified: readonly CheckResult[];
  readonly liveness?: Liveness;
}

/** Runs a check on a session: its query's first column of the first row, against `expect`. */
export async function runCheck(tx: WriteSession | Engine, check: Check): Promise<CheckResult> {
  const row = await tx.queryOne<Record<string, unknown>>(check.query);
  const actual = row === undefined ? null : Object.values(row)[0];
  const ok = normaliseScalar(actual) === normaliseScalar(check.expect);
  return { id: check.id, description: check.description, ok, actual: normaliseScalar(actual), expect: normaliseScalar(check.expect) };
}

function databasesUsed(plan: Plan): Set<PlanDatabase> {
  const used = new Set<PlanDatabase>(['main']);
  for (const s of plan.steps) used.add(s.database);
  for (const c of [...plan.preconditions, ...plan.verify]) used.add(c.database);
  return used;
}

function assertTarget(db: ReadStore, plan: Plan): void {
  if (plan.format !== 1) throw new SynapseDoctorError('USAGE', `unknown plan format ${String(plan.format)}`);
  if (plan.target.engine !== db.main.kind) {
    throw new SynapseDoctorError('USAGE', `the plan was made for a ${plan.target.engine} database, not ${db.main.description}`);
  }
}

export async function applyPlan(db: ReadStore, plan: Plan, options: ApplyOptions): Promise<ApplyResult> {
  assertTarget(db, plan);
  const main = engineOf(db.main);
  const stateEngine = engineOf(db.state);
  const separateState = stateEngine !== main && databasesUsed(plan).has('state');
  const engines = separateState ? [main, stateEngine] : [main];
  const liveness = options.skipLivenessCheck ? undefined : await assertWritable(db, { force: options.force ?? false });
  for (const e of engines) {
    if (e.readOnly) throw new SynapseDoctorError('USAGE', `${e.description} was opened read-only; writing needs --apply`);
  }
  const lock = await acquireWriteLock(engines);
  let journal: JournalWriter | undefined;
  let committed = false;
  let anyCommitted = false;
  try {
    if (options.backup !== undefined) {
      if (!main.capabilities.onlineBackup) throw new SynapseDoctorError('USAGE', `${main.description} cannot be backed up by synapse-doctor; use pg_dump`);
      await main.hooks.backup(options.backup);
    }
    if (options.journal !== false) {
      journal = JournalWriter.create(options.journal, {
        synapse_doctor_journal: JOURNAL_FORMAT,
        command: plan.command,
        created: new Date().toISOString(),
        target: plan.target,
        ...(options.transactions === 'per-chunk' ? { transactions: 'per-chunk' as const } : {}),
        databases: db.locators.state !== undefined && separateState ? { main: db.locators.main, state: db.locators.state } : { main: db.locators.main },
      });
    }
    const total = plan.steps.length;
    const report = (p: ApplyProgress): void => options.onProgress?.(p);
    const chunked = options.transactions === 'per-chunk';
    let unit = 0;
    const write = journal
      ? (e: JournalEntry) => journal!.write(chunked ? { ...e, unit } : e)
      : undefined;
    /** One transaction over every database the plan writes. */
    const inTransaction = <T>(fn: (session: (d: PlanDatabase) => WriteSession) => Promise<T>): Promise<T> =>
      separateState
        ? main.transaction((m) => stateEngine.transaction((st) => fn((d) => (d === 'state' ? st : m))))
        : main.transaction((m) => fn(() => m));

    const done: { id: string; table: string; rows: number }[] = [];
    let rows = 0;
    const runStep = async (session: (d: PlanDatabase) => WriteSession, index: number, step: Step): Promise<void> => {
      report({ phase: 'step', index, total, step, rows: 0 });
      const progress = (n: number): void => report({ phase: 'step', index, total, step, rows: n });
      const n = await executeStep(session(step.database), step, write ? { journal: write, progress } : { progress });
      const prior = done.find((d) => d.id === step.id);
      if (prior) prior.rows += n;
      else done.push({ id: step.id, table: stepTarget(step), rows: n });
      rows += n;
    };
    const checkPreconditions = async (session: (d: PlanDatabase) => WriteSession): Promise<void> => {
      report({ phase: 'preconditions', index: 0, total, rows: 0 });
      for (const check of plan.preconditions) {
        const r = await runCheck(session(check.database), check);
        if (!r.ok) {
          throw new SynapseDoctorError('PLAN_STALE', `the database has changed since the plan was made: ${check.description} (expected ${String(r.expect)}, found ${String(r.actual)})`, {
            hint: 'Nothing was changed. Make the plan again on the database as it is now.',
          });
        }
      }
    };
    // PostgreSQL's setval is not transactional: sequences move only once everything else is
    // written and verified, just before COMMIT (a crash in between only skips ids).
    const isSequence = (st: Step): boolean => st.kind === 'sequence' || st.kind === 'sequence-restore';
    const verifyAndFinish = async (session: (d: PlanDatabase) => WriteSession): Promise<CheckResult[]> => {
      report({ phase: 'verify', index: total, total, rows });
      const verified: CheckResult[] = [];
      for (const check of plan.verify) {
        const r = await runCheck(session(check.database), check);
        verified.push(r);
        if (!r.ok) {
          throw new SynapseDoctorError('VERIFY_FAILED', `verification failed after writing, so ${unit > 0 ? 'its last transaction was not committed' : 'nothing was committed'}: ${check.description} (expected ${String(r.expect)}, found ${String(r.actual)})`, {
            hint: unit > 0 && journal
              ? `Earlier chunks were committed; \`synapse-doctor undo ${journal.path}\` reverses them. Please report this with the plan (--json).`
              : 'This is a bug in synapse-doctor or a database it does not understand; please report it with the plan (--json).',
          });
        }
      }
      for (const [index, step] of plan.steps.entries()) if (isSequence(step)) await runStep(session, index, step);
      journal?.finish();
      report({ phase: 'commit', index: total, total, rows });
      return verified;
    };

    let verified: CheckResult[];
    if (!chunked) {
      verified = await inTransaction(async (session) => {
        await checkPreconditions(session);
        for (const [index, step] of plan.steps.entries()) if (!isSequence(step)) await runStep(session, index, step);
        return verifyAndFinish(session);
      });
    } else {
      // One transaction per chunk (each insert batch, each other step), each journalled and
      // fsynced before its COMMIT; killed at any point, every chunk is there whole or not at all.
      await inTransaction(checkPreconditions);
      const commitUnit = async (fn: (session: (d: PlanDatabase) => WriteSession) => Promise<void>): Promise<void> => {
        unit++;
        await inTransaction(async (session) => {
          await fn(session);
          journal?.mark({ unit_end: unit });
        });
        journal?.mark({ unit_committed: unit });
        anyCommitted = true;
      };
      const steps = [...plan.steps.entries()];
      for (let i = 0; i < steps.length; i++) {
        const [index, step] = steps[i]!;
        if (isSequence(step)) continue;
        if (step.unit !== undefined) {
          // the whole unit in one transaction
          const members: Array<[number, Step]> = [[index, step]];
          while (i + 1 < steps.length && steps[i + 1]![1].unit === step.unit) members.push(steps[++i]!);
          await commitUnit(async (session) => {
            for (const [j, s] of members) if (!isSequence(s)) await runStep(session, j, s);
          });
        } else if (step.kind === 'insert') {
          for await (const batch of insertBatches(step, options.chunkRows ?? DEFAULT_CHUNK_ROWS)) {
            if (batch.length === 0) continue;
            // a chunk of the values only (a scratch file holds the whole step's rows)
            await commitUnit((session) => runStep(session, index, { ...step, rows: batch, count: batch.length, scratch: undefined }));
          }
        } else {
          await commitUnit((session) => runStep(session, index, step));
        }
      }
      unit++;
      verified = await inTransaction(verifyAndFinish);
    }
    const result = { steps: done, rows, verified };
    committed = true;
    if (journal) {
      journal.close();
      appendJournalMarker(journal.path, { committed: new Date().toISOString() });
    }
    return {
      ...result,
      ...(journal ? { journal: journal.path } : {}),
      ...(options.backup !== undefined ? { backup: options.backup } : {}),
      ...(liveness ? { liveness } : {}),
    };
  } finally {
    journal?.close();
    // Nothing committed: nothing to undo. Chunks committed: the journal is how to undo them.
    if (journal && !committed && !anyCommitted) rmSync(journal.path, { force: true });
    await lock.release();
  }
}
