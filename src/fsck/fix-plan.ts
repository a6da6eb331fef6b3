/**
 * `fsck --fix`: one plan of every repair that is safe offline, gathered from the fixable checks
 * that found something. Each check re-reads what it repairs (the report is not trusted: the plan
 * may be built long after it), and its preconditions guard against a database that moved on.
 */
import { makePlan } from '../plan/make-plan.js';
import type { Check, Plan, Step } from '../plan/plan.js';
import type { ReadStore } from '../store/open.js';
import type { FsckFinding } from './check.js';
import { ALL_CHECKS } from './checks/index.js';
import { fsckContext, type FsckOptions, type FsckReport } from './run-fsck.js';

export interface FsckFixPlan {
  readonly plan: Plan;
  /** True when no repair writes a row. */
  readonly empty: boolean;
  /** Findings --fix leaves (not fixable), for the report. */
  readonly unfixed: readonly FsckFinding[];
}

export async function planFsckFix(db: ReadStore, report: FsckReport, command: string, options: FsckOptions = {}): Promise<FsckFixPlan> {
  const ctx = fsckContext(db, options);
  const checks = options.checks ?? ALL_CHECKS;
  const steps: Step[] = [];
  const preconditions: Check[] = [];
  const verify: Check[] = [];
  const notes: string[] = [];
  for (const check of checks) {
    const found = report.findings.filter((f) => f.check === check.id && f.fixable);
    if (found.length === 0 || check.repair === undefined) continue;
    const repair = await check.repair(ctx, found);
    // step ids must be unique across the plan: prefix each with its check
    steps.push(...repair.steps.map((s) => ({ ...s, id: `${check.id}:${s.id}` })));
    preconditions.push(...(repair.preconditions ?? []).map((c) => ({ ...c, id: `${check.id}:${c.id}` })));
    verify.push(...(repair.verify ?? []).map((c) => ({ ...c, id: `${check.id}:${c.id}` })));
    notes.push(...(repair.notes ?? []));
  }
  const unfixed = report.findings.filter((f) => !f.fixable || !checks.find((c) => c.id === f.check)?.repair);
  if (unfixed.length > 0) notes.push(`${unfixed.length} finding(s) are not repaired by --fix; see the report for what to do.`);
  const plan = makePlan(db, { command, steps, preconditions, verify, notes });
  return { plan, empty: steps.length === 0, unfixed };
}
