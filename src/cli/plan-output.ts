/**
 * What every command that writes shares: the plan options (--apply, --sql, --journal,
 * --no-backup; --force is global), the dry run, the SQL file, applying with a progress line on a
 * terminal, and the report. A command builds its plan and hands it here.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SynapseDoctorError } from '../errors.js';
import { restoreExpectedRows, stepTarget, type Plan } from '../plan/plan.js';
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

/** Rows a plan writes, as far as known before it runs (what the progress bar counts to). */
function plannedRows(plan: Plan): number {
  let n = 0;
  for (const st of plan.steps) {
    if (st.kind === 'insert') n += st.count;
    else if (st.kind === 'statement') n += st.rowsExpected ?? 1;
    else if (st.kind === 'restore') n += st.rows.length + restoreExpectedRows(st);
    else n += 1;
  }
  return Math.max(n, 1);
}

/**
 * Progress while applying, on stderr: a bar with rate and ETA on a terminal (cli-progress), plain
 * lines every few seconds otherwise; nothing with --json.
 */
async function progressReporter(g: GlobalOptions, plan: Plan): Promise<{ onProgress?: (p: ApplyProgress) => void; stop(): void }> {
  if (g.json) return { stop: () => undefined };
  const total = plannedRows(plan);
  let finished = 0; // rows of steps already done
  let current = { index: -1, rows: 0 };
  const done = (p: ApplyProgress): number => {
    if (p.phase !== 'step') return finished + current.rows;
    if (p.index !== current.index) {
      finished += current.rows;
      current = { index: p.index, rows: 0 };
    }
    current.rows = p.rows;
    return Math.min(finished + current.rows, total);
  };
  if (process.stderr.isTTY) {
    const { SingleBar, Presets } = await import('cli-progress');
    const bar = new SingleBar({ format: 'synapse-doctor {bar} {percentage}% | {value}/{total} rows | {rate} rows/s | ETA {eta_formatted} | {what}', stream: process.stderr, hideCursor: true, clearOnComplete: true, etaBuffer: 50 }, Presets.shades_classic);
    const started = Date.now();
    bar.start(total, 0, { rate: 0, what: 'starting' });
    return {
      onProgress: (p) => {
        const value = done(p);
        const rate = Math.round(value / Math.max((Date.now() - started) / 1000, 0.001));
        bar.update(value, { rate, what: p.phase === 'step' && p.step ? stepTarget(p.step) : p.phase });
      },
      stop: () => bar.stop(),
    };
  }
  const started = Date.now();
  let last = started;
  return {
    onProgress: (p) => {
      const value = done(p);
      const now = Date.now();
      if (now - last < 5000) return; // quick runs print nothing
      last = now;
      const seconds = (now - started) / 1000;
      const rate = value / Math.max(seconds, 0.001);
      const eta = rate > 0 ? Math.round((total - value) / rate) : 0;
      process.stderr.write(`synapse-doctor: ${value}/${total} rows (${((100 * value) / total).toFixed(1)}%), ${Math.round(rate)} rows/s, about ${eta} s left\n`);
    },
    stop: () => undefined,
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
  const progress = await progressReporter(g, plan);
  let result: ApplyResult;
  try {
    result = await applyPlan(db, plan, {
      journal,
      force: g.force,
      ...(backup !== undefined ? { backup } : {}),
      ...(progress.onProgress ? { onProgress: progress.onProgress } : {}),
      ...(extra.transactions ? { transactions: extra.transactions } : {}),
    });
  } finally {
    progress.stop();
  }
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
