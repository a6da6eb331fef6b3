/**
 * Shared set-up of the fsck tests: a scenario built once per engine into a base database, then
 * copied per case (SQLite: a file copy; PostgreSQL: CREATE DATABASE … TEMPLATE), broken with raw
 * SQL and checked through the built CLI.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildScenario, type ScenarioName, type ScenarioResult } from '../../src/simulator/scenarios/index.js';
import type { Engine, EngineKind } from '../../src/store/engine/engine.js';
import { openDatabase } from '../../src/store/open.js';
import { createPgDatabase, dropPgDatabase, freshSynapseDatabase, pgUrlFor, rawEngine, type FreshDatabase } from '../support/engines.js';
import { runCli } from '../cli/run-cli.js';

/** The groups this file set tests (the state and orderings groups are tested elsewhere). */
export const OUR_GROUPS = ['events', 'rejections', 'dag', 'soft-failure'];
export const CHECK_ARGS = OUR_GROUPS.flatMap((g) => ['--check', g]);

export interface Base {
  readonly engine: EngineKind;
  readonly scenario: ScenarioResult;
  /** Every database written (the scenario's main server first). */
  readonly urls: readonly string[];
  cleanup(): Promise<void>;
}

export async function buildBase(engine: EngineKind, name: ScenarioName, version: 72 | 94, extra = 0): Promise<Base> {
  const dbs: FreshDatabase[] = [];
  for (let i = 0; i <= extra; i++) dbs.push(await freshSynapseDatabase(engine, version));
  let scenario: ScenarioResult;
  try {
    scenario = await buildScenario(name, { engine: rawEngine(dbs[0]!.db), version, otherEngines: dbs.slice(1).map((d) => rawEngine(d.db)) });
  } finally {
    for (const d of dbs) await d.db.close(); // an open connection would look like a running Synapse (and block TEMPLATE)
  }
  return { engine, scenario, urls: dbs.map((d) => d.url), cleanup: async () => { for (const d of dbs) await d.cleanup(); } };
}

export interface Copy {
  readonly url: string;
  cleanup(): Promise<void>;
}

/** A copy of one of the base's databases. */
export async function copyOf(base: Base, which = 0): Promise<Copy> {
  const src = base.urls[which]!;
  if (base.engine === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'sd-fsck-'));
    const path = join(dir, 'homeserver.db');
    await copyFile(src, path);
    return { url: path, cleanup: () => rm(dir, { recursive: true, force: true }) };
  }
  const name = await createPgDatabase(new URL(src).pathname.slice(1));
  return { url: pgUrlFor(name), cleanup: () => dropPgDatabase(name) };
}

/** Runs `fn` with a raw engine on the database, then closes it (before the CLI runs). */
export async function withRaw<T>(url: string, fn: (e: Engine) => Promise<T>): Promise<T> {
  const db = await openDatabase({ db: url, write: true });
  try {
    return await fn(rawEngine(db));
  } finally {
    await db.close();
  }
}

export interface FsckRun {
  code: number | null;
  report: {
    checks: { id: string; status: string; note?: string }[];
    findings: { check: string; severity: string; room_id: string | null; count: number; sample: Record<string, unknown>[]; fixable: boolean }[];
  };
  stderr: string;
}

export async function fsck(url: string, args: readonly string[] = CHECK_ARGS): Promise<FsckRun> {
  const r = await runCli(['fsck', '--db', url, '--json', ...args]);
  if (r.stdout.trim() === '') throw new Error(`fsck printed nothing (exit ${r.code}): ${r.stderr}`);
  return { code: r.code, report: JSON.parse(r.stdout), stderr: r.stderr };
}

/** The ids of the checks that found something or failed (with the failure note). */
export function fired(run: FsckRun, withInfo = false): string[] {
  const info = new Set(run.report.findings.filter((f) => f.severity === 'info').map((f) => f.check));
  return run.report.checks
    .filter((c) => c.status === 'failed' || (c.status === 'found' && (withInfo || !info.has(c.id))))
    .map((c) => (c.status === 'failed' ? `${c.id} FAILED: ${c.note}` : c.id));
}

export function findingsOf(run: FsckRun, check: string): FsckRun['report']['findings'] {
  return run.report.findings.filter((f) => f.check === check);
}

/**
 * A repair's contract: `--fix` (dry run) changes nothing, `--fix --apply` leaves the check clean,
 * `undo` of its journal restores every table. Returns the applied run's JSON.
 */
export async function expectRepair(url: string, check: string, expectFn: (cond: boolean, what: string) => void): Promise<Record<string, unknown>> {
  const { fingerprint } = await import('../support/fingerprint.js');
  const dir = await mkdtemp(join(tmpdir(), 'sd-fsck-fix-'));
  try {
    const before = await withRaw(url, (e) => fingerprint(e));
    const dry = await runCli(['fsck', '--db', url, '--check', check, '--fix', '--json']);
    expectFn(dry.code === 1, `dry run exits 1 (findings), got ${dry.code}: ${dry.stderr}`);
    expectFn(JSON.parse(dry.stdout).applied === false, 'dry run prints a plan, not applied');
    expectFn((await withRaw(url, (e) => fingerprint(e))) === before, 'dry run changes nothing');
    const journal = join(dir, 'fix.jsonl');
    const applied = await runCli(['fsck', '--db', url, '--check', check, '--fix', '--apply', '--no-backup', '--journal', journal, '--json']);
    expectFn(applied.code === 0, `--apply exits 0, got ${applied.code}: ${applied.stderr}`);
    const after = await fsck(url, ['--check', check]);
    expectFn(after.report.findings.length === 0 && after.code === 0, `${check} clean after --apply: ${JSON.stringify(after.report.findings)}`);
    const undo = await runCli(['undo', journal, '--db', url, '--apply', '--no-backup', '--journal', join(dir, 'undo.jsonl')]);
    expectFn(undo.code === 0, `undo exits 0, got ${undo.code}: ${undo.stderr}`);
    expectFn((await withRaw(url, (e) => fingerprint(e))) === before, 'undo restores the fingerprint');
    return JSON.parse(applied.stdout) as Record<string, unknown>;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
