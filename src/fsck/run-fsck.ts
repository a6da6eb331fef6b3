/**
 * Runs fsck checks over a database (or one room) and gathers a report as plain data. Checks run one
 * after another (each streams its own reads), except shared work a check can start on another
 * thread (its `startAside`), which overlaps them; a check that throws is reported as `failed` with
 * its message, so one broken table cannot hide every other finding.
 */
import type { FsckCheckDefinition, FsckContext, FsckFinding, FsckGroup, FsckSeverity } from './check.js';
import { ALL_CHECKS } from './checks/index.js';
import type { ReadStore } from '../store/open.js';

export const DEFAULT_SAMPLE_SIZE = 10;

export interface FsckCheckResult {
  readonly id: string;
  readonly group: FsckGroup;
  readonly title: string;
  readonly severity: FsckSeverity;
  readonly fixable: boolean;
  /** ok: nothing found; found: at least one finding; skipped: not for this engine; failed: the check threw. */
  readonly status: 'ok' | 'found' | 'skipped' | 'failed';
  readonly findings: number;
  readonly note?: string;
  readonly ms: number;
}

export interface FsckReport {
  readonly format: 1;
  readonly database: { readonly engine: 'sqlite' | 'postgres'; readonly description: string; readonly schema_version: number };
  readonly room_id: string | null;
  readonly checks: readonly FsckCheckResult[];
  readonly findings: readonly FsckFinding[];
  readonly totals: { readonly errors: number; readonly warnings: number; readonly info: number; readonly fixable: number; readonly failed_checks: number };
}

export interface FsckOptions {
  readonly roomId?: string;
  readonly sampleSize?: number;
  /** Only these check ids (or group names); default every check. */
  readonly only?: readonly string[];
  readonly checks?: readonly FsckCheckDefinition[];
}

/** The checks `only` selects (ids or group names); unknown names are the caller's error to report. */
export function selectChecks(only: readonly string[] | undefined, checks: readonly FsckCheckDefinition[] = ALL_CHECKS): FsckCheckDefinition[] {
  if (only === undefined || only.length === 0) return [...checks];
  return checks.filter((c) => only.includes(c.id) || only.includes(c.group));
}

export function unknownCheckNames(only: readonly string[], checks: readonly FsckCheckDefinition[] = ALL_CHECKS): string[] {
  return only.filter((n) => !checks.some((c) => c.id === n || c.group === n));
}

export function fsckContext(db: ReadStore, options: FsckOptions = {}): FsckContext {
  return { db, ...(options.roomId === undefined ? {} : { roomId: options.roomId }), sampleSize: options.sampleSize ?? DEFAULT_SAMPLE_SIZE };
}

export async function runFsck(db: ReadStore, options: FsckOptions = {}): Promise<FsckReport> {
  const ctx = fsckContext(db, options);
  const checks = selectChecks(options.only, options.checks ?? ALL_CHECKS);
  const runsHere = (c: FsckCheckDefinition): boolean => c.engines === undefined || c.engines.includes(db.main.kind);
  // Checks whose work started on another thread run last: the others meanwhile run on this one.
  const aside = new Set(checks.filter((c) => runsHere(c) && c.startAside?.(ctx) === true));
  const order = [...checks.filter((c) => !aside.has(c)), ...checks.filter((c) => aside.has(c))];
  const done = new Map<FsckCheckDefinition, { result: FsckCheckResult; found: readonly FsckFinding[] }>();
  for (const check of order) {
    const base = { id: check.id, group: check.group, title: check.title, severity: check.severity, fixable: check.fixable };
    const started = Date.now();
    if (!runsHere(check)) {
      done.set(check, { result: { ...base, status: 'skipped', findings: 0, note: `only on ${check.engines!.join(' and ')}`, ms: 0 }, found: [] });
      continue;
    }
    try {
      const found = await check.run(ctx);
      done.set(check, { result: { ...base, status: found.length > 0 ? 'found' : 'ok', findings: found.length, ms: Date.now() - started }, found });
    } catch (e) {
      done.set(check, { result: { ...base, status: 'failed', findings: 0, note: (e as Error).message, ms: Date.now() - started }, found: [] });
    }
  }
  // the report in the checks' own order, however they ran
  const results = checks.map((c) => done.get(c)!.result);
  const findings = checks.flatMap((c) => done.get(c)!.found);
  const count = (s: FsckSeverity): number => findings.filter((f) => f.severity === s).length;
  return {
    format: 1,
    database: { engine: db.main.kind, description: db.main.description, schema_version: db.schema.version },
    room_id: options.roomId ?? null,
    checks: results,
    findings,
    totals: {
      errors: count('error'),
      warnings: count('warning'),
      info: count('info'),
      fixable: findings.filter((f) => f.fixable).length,
      failed_checks: results.filter((r) => r.status === 'failed').length,
    },
  };
}

/** Whether fsck exits 1: any error or warning finding, or a check that could not run. Info alone is clean. */
export function hasProblems(report: FsckReport): boolean {
  return report.totals.errors + report.totals.warnings + report.totals.failed_checks > 0;
}
