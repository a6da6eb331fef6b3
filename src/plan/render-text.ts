/**
 * The default output of a write command: what the plan would change, per table, and why.
 * Everything that came from the database is escaped for the terminal (printable()).
 */
import { printable } from '../text/printable.js';
import { stepTarget, type Plan } from './plan.js';
import { summarisePlan } from './render-json.js';

export interface RenderTextOptions {
  /** Steps listed with their reasons (default 20; the rest are counted). */
  readonly maxSteps?: number;
  /** Dry run (default) or the report after applying. */
  readonly applied?: boolean;
}

export function renderText(plan: Plan, options: RenderTextOptions = {}): string {
  const p = printable;
  const lines: string[] = [];
  const summary = summarisePlan(plan);
  lines.push(`${options.applied ? 'Applied' : 'Plan'}: ${p(plan.command)}`);
  lines.push(`Target: ${plan.target.engine} ${p(plan.target.description)} (schema ${plan.target.schemaVersion})`);
  if (summary.steps === 0) {
    lines.push('Nothing to do.');
  } else {
    lines.push('', 'Rows per table:');
    const width = Math.max(5, ...summary.tables.map((t) => t.table.length));
    for (const t of summary.tables) {
      const parts: string[] = [];
      if (t.insert) parts.push(`+${t.insert} inserted`);
      if (t.update) parts.push(`${t.update} updated`);
      if (t.delete) parts.push(`-${t.delete} deleted`);
      if (t.restore) parts.push(`${t.restore} restored or removed`);
      if (t.statements) parts.push(`${t.statements} statement${t.statements === 1 ? '' : 's'}`);
      lines.push(`  ${t.table.padEnd(width)}  ${parts.join(', ') || 'no rows'}`);
    }
    if (summary.sequences.length) lines.push(`  sequences moved: ${summary.sequences.join(', ')}`);
    const max = options.maxSteps ?? 20;
    lines.push('', `Steps (${plan.steps.length}):`);
    for (const step of plan.steps.slice(0, max)) {
      const where = stepTarget(step);
      lines.push(`  ${p(step.id)}  ${where}: ${p(step.reason.text)}${step.reason.rule ? ` (rule ${p(step.reason.rule)})` : ''}`);
    }
    if (plan.steps.length > max) lines.push(`  … and ${plan.steps.length - max} more (--json lists them all)`);
  }
  if (plan.preconditions.length) {
    lines.push('', 'Refused unless, when applying:');
    for (const c of plan.preconditions) lines.push(`  - ${p(c.description)}`);
  }
  if (plan.verify.length) {
    lines.push('', 'Checked before committing:');
    for (const c of plan.verify) lines.push(`  - ${p(c.description)}`);
  }
  if (plan.notes.length) lines.push('', ...plan.notes.map((n) => p(n)));
  if (!options.applied && summary.steps > 0) {
    lines.push('', 'This was a dry run: nothing was written. Add --apply to write it (with an undo journal), or --sql FILE to save it as SQL.');
  }
  return lines.join('\n') + '\n';
}
