/** The text form of an fsck report. Every value from the database goes through printable(). */
import type { FsckReport } from '../fsck/run-fsck.js';
import { printable } from '../text/printable.js';

function sampleLine(row: Record<string, unknown>): string {
  return Object.entries(row)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

export function renderFsckText(report: FsckReport, options: { verbose?: boolean } = {}): string {
  const out: string[] = [];
  const scope = report.room_id === null ? 'every room' : `room ${report.room_id}`;
  out.push(`fsck of ${report.database.description} (${report.database.engine}, schema ${report.database.schema_version}), ${scope}`);
  out.push('');
  const titles = new Map(report.checks.map((c) => [c.id, c.title]));
  for (const f of report.findings) {
    const where = f.room_id === null ? '' : ` in ${f.room_id}`;
    out.push(`${f.severity.toUpperCase().padEnd(7)} ${f.check}${where}: ${f.count} × ${titles.get(f.check) ?? ''}`);
    out.push(`        why: ${f.why}`);
    for (const row of f.sample) out.push(`        - ${sampleLine(row)}`);
    if (f.count > f.sample.length) out.push(`        … and ${f.count - f.sample.length} more`);
    out.push(`        ${f.fixable ? 'fix: fsck --fix repairs it' : 'fix: not repaired by --fix'}${f.advice ? `; ${f.advice}` : ''}`);
    out.push('');
  }
  for (const c of report.checks.filter((x) => x.status === 'failed')) out.push(`FAILED  ${c.id}: the check could not run: ${c.note ?? ''}`);
  if (options.verbose) {
    for (const c of report.checks) out.push(`  ${c.status.padEnd(7)} ${c.id}  (${c.ms} ms)${c.note && c.status !== 'failed' ? `  ${c.note}` : ''}`);
    out.push('');
  }
  const by = (s: string): number => report.checks.filter((c) => c.status === s).length;
  out.push(`${report.checks.length} checks: ${by('ok')} clean, ${by('found')} with findings, ${by('skipped')} skipped, ${by('failed')} failed.`);
  const t = report.totals;
  if (t.errors + t.warnings + t.info === 0 && t.failed_checks === 0) out.push('Clean: nothing found.');
  else {
    out.push(`Found: ${t.errors} error(s), ${t.warnings} warning(s), ${t.info} note(s); ${t.fixable} repairable offline.`);
    if (t.fixable > 0) out.push('Run with --fix to see the repair plan (a dry run; add --apply to write).');
  }
  return out.map(printable).join('\n');
}
