/**
 * What every command that writes shares: the plan options (--apply, --sql, --journal,
 * --no-backup; --force is global), the dry run, the SQL file, applying with a progress line on a
 * terminal, and the report. A command builds its plan and hands it here.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SynapseDoctorError } from '../errors.js';
import { stepTarget, type Plan } from '../plan/plan.js';
import type { ApplyProgress, ApplyResult } from '../plan/apply.js';
import type { SynapseDatabase } from '../store/open.js';
import type { GlobalOptions } from './options.js';
import { writeJson, writeOut } from './output.js';
import { shellQuote } from './shell-quote.js';

export interface PlanOptions {
  apply: boolean;
  sql?: string;
  journal?: string;
  /** commander's --no-backup: false when given. */
  backup: boolean;
}

export function addPlanOptions(command: Command): Command {
  return command
    .option('--apply', 'write the plan (default: a dry run that writes nothing)')
    .option('--sql <file>', 'also save the plan as an SQL script to review or run yourself (sqlite3 -bail / psql -v ON_ERROR_STOP=1)')
    .option('--journal <path>', 'where to write the undo journal when applying (default: beside the SQLite file, or the current directory)')
    .option('--no-backup', 'SQLite: skip the online backup taken before applying');
}

export function planOptions(opts: Record<string, unknown>): PlanOptions {
  return {
    apply: opts.apply === true,
    ...(typeof opts.sql === 'string' ? { sql: opts.sql } : {}),
    ...(typeof opts.journal === 'string' ? { journal: opts.journal } : {}),
    backup: opts.backup !== false,
  };
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

function slug(command: string): string {
  return command.split(/\s+/)[0]!.replace(/[^a-z0-9-]/gi, '') || 'plan';
}

/** The journal's default path: beside an SQLite database, else in the current directory. */
export function defaultJournalPath(db: SynapseDatabase, plan: Plan): string {
  const name = `synapse-doctor-${slug(plan.command)}-${stamp()}.journal.jsonl`;
  if (db.main.capabilities.onlineBackup) return join(dirname(db.locators.main), `${basename(db.locators.main)}.${name}`);
  return resolve(name);
}

export function defaultBackupPath(db: SynapseDatabase): string {
  return `${db.locators.main}.synapse-doctor-backup-${stamp()}.db`;
}

async function writeSqlFile(path: string, plan: Plan, db: SynapseDatabase): Promise<void> {
  const { renderSql } = await import('../plan/render-sql.js');
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    const exists = (e as NodeJS.ErrnoException).code === 'EEXIST';
    throw new SynapseDoctorError(exists ? 'USAGE' : 'BAD_INPUT', exists ? `${path} already exists; --sql never overwrites a file` : `cannot create ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    for await (const chunk of renderSql(plan, db.main.dialect)) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
  }
}

function progressLine(g: GlobalOptions): ((p: ApplyProgress) => void) | undefined {
  if (g.json || !process.stderr.isTTY) return undefined;
  let last = 0;
  return (p) => {
    const now = Date.now();
    if (p.phase === 'step' && now - last < 100) return;
    last = now;
    const what = p.phase === 'step' && p.step ? `step ${p.index + 1}/${p.total} ${stepTarget(p.step)} ${p.rows} rows` : p.phase;
    process.stderr.write(`\r\x1b[2Ksynapse-doctor: ${what}`);
    if (p.phase === 'commit') process.stderr.write('\r\x1b[2K');
  };
}

/**
 * Shows, saves or applies a plan. `afterApply` runs once it has committed (e.g. marking a journal
 * undone). Returns the apply result when applied.
 */
export async function runPlan(
  g: GlobalOptions,
  po: PlanOptions,
  db: SynapseDatabase,
  plan: Plan,
  extra: { afterApply?: (r: ApplyResult) => Promise<void> | void; json?: Record<string, unknown>; transactions?: 'one' | 'per-chunk'; /** print nothing (the caller reports) */ quiet?: boolean } = {},
): Promise<ApplyResult | undefined> {
  const { renderText } = await import('../plan/render-text.js');
  const { renderJson } = await import('../plan/render-json.js');
  if (po.sql !== undefined) await writeSqlFile(resolve(po.sql), plan, db);
  if (!po.apply) {
    if (g.json) writeJson({ ...renderJson(plan), applied: false, ...(po.sql ? { sql_file: resolve(po.sql) } : {}), ...extra.json });
    else writeOut(renderText(plan) + (po.sql ? `SQL script written to ${resolve(po.sql)}\n` : ''));
    return undefined;
  }
  const { applyPlan } = await import('../plan/apply.js');
  const journal = po.journal !== undefined ? resolve(po.journal) : defaultJournalPath(db, plan);
  const backup = po.backup && db.main.capabilities.onlineBackup ? defaultBackupPath(db) : undefined;
  const onProgress = progressLine(g);
  const result = await applyPlan(db, plan, {
    journal,
    force: g.force,
    ...(backup !== undefined ? { backup } : {}),
    ...(onProgress ? { onProgress } : {}),
    ...(extra.transactions ? { transactions: extra.transactions } : {}),
  });
  await extra.afterApply?.(result);
  if (extra.quiet) return result;
  if (g.json) {
    writeJson({ ...renderJson(plan), applied: true, journal: result.journal ?? null, backup: result.backup ?? null, rows: result.rows, steps: result.steps, verified: result.verified, ...extra.json });
  } else {
    const lines = [
      renderText(plan, { applied: true }).trimEnd(),
      '',
      `Wrote ${result.rows} rows in ${result.steps.length} steps, ${extra.transactions === 'per-chunk' ? 'in batches, one transaction each' : 'in one transaction'}; every check passed.`,
      `Undo journal: ${result.journal}`,
      `  undo with: npx synapse-doctor undo ${shellQuote(result.journal!)}   (add --apply to write)`,
      ...(result.backup ? [`Backup taken before writing: ${result.backup}`] : []),
      'Restart Synapse and every worker now: their caches hold what was there before.',
    ];
    writeOut(lines.join('\n'));
  }
  return result;
}
