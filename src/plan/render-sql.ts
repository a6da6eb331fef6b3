/**
 * `--sql FILE`: the plan as a script an admin can read and run in one transaction:
 *   sqlite3 -bail homeserver.db < plan.sql
 *   psql -v ON_ERROR_STOP=1 -f plan.sql 'postgres://…'
 * Values are inlined as literals escaped for the engine (each engine's Dialect); insert steps are
 * multi-row INSERTs, streamed in chunks. Preconditions and verifications are real guards (see the
 * dialects): a failure aborts the transaction, so nothing is committed. Restore steps (undo)
 * guard the rows they expect, then delete and re-insert.
 */
import type { Dialect, SqlValue } from '../store/engine/engine.js';
import { statement } from '../store/engine/engine.js';
import { inPlaceRestore } from './restore-rows.js';
import { quoteIdent } from '../store/engine/sql-text.js';
import { insertBatches, type Plan, type Scope, type Step } from './plan.js';
import { decodeCell, groupJournalRows, type JournalRow } from './row-codec.js';
import { scopeCondition, splitScope } from './scope.js';

const ROWS_PER_INSERT = 100;

function comment(text: string): string {
  // One line, no control characters: the comment must not end early or rewrite the terminal.
  return `-- ${text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, ' ')}`;
}

function insertText(dialect: Dialect, table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[], expressions?: readonly string[]): string {
  const head = `INSERT INTO ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) VALUES`;
  const tuples = rows.map((r) => `  (${columns.map((_c, i) => {
    const lit = dialect.literal(r[i] ?? null);
    const expr = expressions?.[i];
    return expr === undefined ? lit : expr.replace('?', lit);
  }).join(', ')})`);
  return `${head}\n${tuples.join(',\n')};`;
}

function journalRowsText(dialect: Dialect, table: string, rows: readonly JournalRow[]): string[] {
  const out: string[] = [];
  for (const g of groupJournalRows(rows)) {
    for (let i = 0; i < g.values.length; i += ROWS_PER_INSERT) out.push(insertText(dialect, table, g.cols, g.values.slice(i, i + ROWS_PER_INSERT)));
  }
  return out;
}

/** How many of the expected rows fall in one piece of a scope. */
function expectedIn(piece: Scope, rows: readonly JournalRow[]): number {
  if ('where' in piece) return rows.length;
  const wanted = new Set(piece.values.map((v) => JSON.stringify(v.map(paramText))));
  return rows.filter((r) => wanted.has(JSON.stringify(piece.key.map((k) => paramText(decodeCell(r[k] ?? null)))))).length;
}

function paramText(v: SqlValue): string {
  if (v instanceof Uint8Array) return `x${Buffer.from(v).toString('hex')}`;
  if (typeof v === 'boolean') return v ? '1' : '0';
  return String(v);
}

async function* stepText(dialect: Dialect, step: Step): AsyncIterable<string> {
  yield comment(`step ${step.id}: ${step.reason.text}${step.reason.eventId ? ` [${step.reason.eventId}]` : ''}${step.reason.rule ? ` (rule ${step.reason.rule})` : ''}`);
  switch (step.kind) {
    case 'insert':
      for await (const batch of insertBatches(step, ROWS_PER_INSERT)) {
        for (let i = 0; i < batch.length; i += ROWS_PER_INSERT) yield insertText(dialect, step.table, step.columns, batch.slice(i, i + ROWS_PER_INSERT), step.expressions);
      }
      return;
    case 'statement':
      yield `${dialect.inline(step.statement)};`;
      return;
    case 'sequence':
      // As applyPlan does: only when the next value handed out would not be above atLeast.
      yield `SELECT setval(${dialect.literal(step.sequence)}, GREATEST(${step.atLeast}, last_value), true) FROM ${quoteIdent(step.sequence)} WHERE NOT (last_value > ${step.atLeast} OR (is_called AND last_value = ${step.atLeast}));`;
      return;
    case 'restore': {
      // The script guards the number of rows in the scope; `undo --apply` compares every row.
      // rows an insert gave (a digest, no rows): deleted by their scope, nothing put back in place
      const inPlace = step.expectDigest ? undefined : inPlaceRestore(step.table, step.expect, step.rows);
      let n = 0;
      for (const piece of splitScope(step.scope)) {
        const cond = scopeCondition(piece);
        const expected = step.expectDigest ? (step.expectDigest.pieces[n] ?? 0) : expectedIn(piece, step.expect);
        yield dialect.guard(`${step.id}-${++n}`, statement(`SELECT count(*) FROM ${quoteIdent(step.table)} WHERE ${cond.sql}`, cond.params), expected, 'verify');
        if (!inPlace) yield `DELETE FROM ${quoteIdent(step.table)} WHERE ${dialect.inline(cond)};`;
      }
      if (inPlace) {
        for (const s of [...inPlace.deletes, ...inPlace.updates]) yield `${dialect.inline(s)};`;
        yield* journalRowsText(dialect, step.table, inPlace.inserts);
      } else yield* journalRowsText(dialect, step.table, step.rows);
      return;
    }
    case 'sequence-restore':
      yield dialect.guard(`${step.id}-value`, statement(`SELECT last_value FROM ${quoteIdent(step.sequence)}`), step.expect.last_value, 'verify');
      yield `SELECT setval(${dialect.literal(step.sequence)}, ${step.value.last_value}, ${step.value.is_called ? 'true' : 'false'});`;
      return;
  }
}

/** The script, in chunks (write them to the file as they come: bulk steps are streamed). */
export async function* renderSql(plan: Plan, dialect: Dialect): AsyncIterable<string> {
  const run = plan.target.engine === 'sqlite' ? 'sqlite3 -bail DATABASE < THIS_FILE' : 'psql -v ON_ERROR_STOP=1 -f THIS_FILE DATABASE_URL';
  yield [
    comment(`synapse-doctor plan: ${plan.command}`),
    comment(`target: ${plan.target.engine} ${plan.target.description} (schema ${plan.target.schemaVersion}); made ${plan.createdAt}`),
    comment(`run it in one transaction with: ${run}`),
    comment('Stop Synapse and every worker first, and restart them afterwards.'),
    comment('Preconditions and verifications are guards: when one fails the transaction is rolled back.'),
    '',
    dialect.begin,
    dialect.guardSetup,
  ].join('\n') + '\n';
  for (const check of plan.preconditions) {
    yield comment(`precondition ${check.id}: ${check.description}`) + '\n' + dialect.guard(check.id, check.query, check.expect, 'precondition') + '\n';
  }
  const isSequence = (s: Step): boolean => s.kind === 'sequence' || s.kind === 'sequence-restore';
  for (const step of plan.steps.filter((s) => !isSequence(s))) {
    for await (const text of stepText(dialect, step)) yield text + '\n';
  }
  for (const check of plan.verify) {
    yield comment(`verify ${check.id}: ${check.description}`) + '\n' + dialect.guard(check.id, check.query, check.expect, 'verify') + '\n';
  }
  // Last, as applyPlan does: setval is not undone by a ROLLBACK, so nothing may fail after it.
  for (const step of plan.steps.filter(isSequence)) {
    for await (const text of stepText(dialect, step)) yield text + '\n';
  }
  yield dialect.commit + '\n';
}

/** The whole script as one string (tests, small plans). */
export async function renderSqlText(plan: Plan, dialect: Dialect): Promise<string> {
  let out = '';
  for await (const chunk of renderSql(plan, dialect)) out += chunk;
  return out;
}
