/**
 * `--json`: the plan as one JSON document (`"format": 1`). Statements keep their `?` SQL and
 * parameters; insert steps give their columns, count and the first rows; big integers and bytes
 * are tagged as in the journal ({"$int"}, {"$bytes"}).
 */
import { isRowSource, restoreExpectedRows, type Plan, type Step } from './plan.js';
import { jsonParam, scopeToJson } from './scope.js';

const SAMPLE_ROWS = 3;

function stepJson(step: Step): Record<string, unknown> {
  const base = { id: step.id, kind: step.kind, database: step.database, reason: step.reason };
  switch (step.kind) {
    case 'insert':
      return {
        ...base,
        table: step.table,
        op: 'insert',
        columns: step.columns,
        ...(step.expressions ? { expressions: step.expressions } : {}),
        key: step.key,
        rows: step.count,
        sample: isRowSource(step.rows) ? [] : step.rows.slice(0, SAMPLE_ROWS).map((r) => r.map(jsonParam)),
      };
    case 'statement':
      return {
        ...base,
        table: step.table,
        op: step.op,
        sql: step.statement.sql,
        params: step.statement.params.map(jsonParam),
        scope: scopeToJson({ where: step.scope }),
        ...(step.rowsExpected !== undefined ? { rows: step.rowsExpected } : {}),
      };
    case 'sequence':
      return { ...base, sequence: step.sequence, at_least: step.atLeast };
    case 'restore':
      return { ...base, table: step.table, op: 'restore', scope: scopeToJson(step.scope), remove: restoreExpectedRows(step), restore: step.rows.length };
    case 'sequence-restore':
      return { ...base, sequence: step.sequence, expect: step.expect, value: step.value };
  }
}

export function renderJson(plan: Plan): Record<string, unknown> {
  const checks = (list: Plan['verify']) =>
    list.map((c) => ({ id: c.id, description: c.description, database: c.database, sql: c.query.sql, params: c.query.params.map(jsonParam), expect: jsonParam(c.expect) }));
  return {
    format: 1,
    command: plan.command,
    target: plan.target,
    created_at: plan.createdAt,
    summary: summarisePlan(plan),
    preconditions: checks(plan.preconditions),
    steps: plan.steps.map(stepJson),
    verify: checks(plan.verify),
    notes: plan.notes,
  };
}

export interface TableSummary {
  table: string;
  insert: number;
  update: number;
  delete: number;
  restore: number;
  /** Statements whose row count is only known when they run. */
  statements: number;
}

/** Rows per table and operation, as far as the plan knows them before running. */
export function summarisePlan(plan: Plan): { tables: TableSummary[]; sequences: string[]; steps: number } {
  const tables = new Map<string, TableSummary>();
  const sequences: string[] = [];
  const row = (t: string): TableSummary => {
    let s = tables.get(t);
    if (!s) tables.set(t, (s = { table: t, insert: 0, update: 0, delete: 0, restore: 0, statements: 0 }));
    return s;
  };
  for (const step of plan.steps) {
    if (step.kind === 'sequence' || step.kind === 'sequence-restore') {
      sequences.push(step.sequence);
      continue;
    }
    const s = row(step.table);
    if (step.kind === 'insert') s.insert += step.count;
    else if (step.kind === 'restore') s.restore += step.rows.length + restoreExpectedRows(step);
    else if (step.rowsExpected !== undefined) s[step.op] += step.rowsExpected;
    else s.statements++;
  }
  return { tables: [...tables.values()], sequences, steps: plan.steps.length };
}
