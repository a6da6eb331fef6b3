/**
 * fsck tests' shared pieces: a scenario built once per describe into a template database and copied
 * per case (SQLite: a file copy; PostgreSQL: CREATE DATABASE … TEMPLATE), a raw writable engine for
 * a case's own breakage, and fsck run through the built CLI with --json.
 */
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { buildScenario, type ScenarioName, type ScenarioResult, type SchemaVersion } from '../../src/simulator/scenarios/index.js';
import type { Engine, EngineKind } from '../../src/store/engine/engine.js';
import { openDatabase, type SynapseDatabase } from '../../src/store/open.js';
import { runCli } from '../cli/run-cli.js';
import { createPgDatabase, dropPgDatabase, freshSynapseDatabase, pgUrlFor, rawEngine } from '../support/engines.js';
import { fingerprint } from '../support/fingerprint.js';

export interface Copy {
  url: string;
  cleanup(): Promise<void>;
}

export interface Template {
  kind: EngineKind;
  scenario: ScenarioResult;
  url: string;
  copy(): Promise<Copy>;
  cleanup(): Promise<void>;
}

function pgName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.slice(1));
}

/** Copies an SQLite file or clones a PostgreSQL database (no session may be open on it). */
export async function copyDatabase(kind: EngineKind, url: string): Promise<Copy> {
  if (kind === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'sd-fsck-'));
    const path = join(dir, 'homeserver.db');
    await copyFile(url, path);
    return { url: path, cleanup: () => rm(dir, { recursive: true, force: true }) };
  }
  const name = await createPgDatabase(pgName(url));
  return { url: pgUrlFor(name), cleanup: () => dropPgDatabase(name) };
}

/** A scenario built once: its main server's database (and, for two-server scenarios, `others[i]`). */
export async function buildTemplate(kind: EngineKind, name: ScenarioName, version: SchemaVersion, options: { others?: number; roomVersion?: string } = {}): Promise<Template & { others: string[] }> {
  const main = await freshSynapseDatabase(kind, version);
  const others = await Promise.all(Array.from({ length: options.others ?? 0 }, () => freshSynapseDatabase(kind, version)));
  const scenario = await buildScenario(name, { engine: rawEngine(main.db), version, ...(options.roomVersion ? { roomVersion: options.roomVersion } : {}), ...(others.length ? { otherEngines: others.map((o) => rawEngine(o.db)) } : {}) });
  await main.db.close();
  for (const o of others) await o.db.close();
  return {
    kind, scenario, url: main.url, others: others.map((o) => o.url),
    copy: () => copyDatabase(kind, main.url),
    cleanup: async () => {
      await main.cleanup().catch(() => undefined);
      for (const o of others) await o.cleanup().catch(() => undefined);
    },
  };
}

/** Runs `fn` on a writable store of `url` (main and state raw engines), then closes it. */
export async function withWritable<T>(url: string, fn: (main: Engine, state: Engine, db: SynapseDatabase) => Promise<T>): Promise<T> {
  const db = await openDatabase({ db: url, write: true });
  try {
    return await fn(rawEngine(db, 'main'), rawEngine(db, 'state'), db);
  } finally {
    await db.close();
  }
}

export async function withReadable<T>(url: string, fn: (db: SynapseDatabase) => Promise<T>): Promise<T> {
  const db = await openDatabase({ db: url });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

export interface Finding {
  check: string;
  severity: string;
  room_id: string | null;
  count: number;
  sample: Record<string, unknown>[];
  fixable: boolean;
}

export const OUR_GROUPS = ['state', 'orderings'];

/** fsck of our groups through the CLI, as JSON: exit code and findings. */
export async function fsck(url: string, extra: string[] = []): Promise<{ code: number | null; findings: Finding[]; checks: { id: string; status: string; note?: string }[] }> {
  const r = await runCli(['fsck', '--db', url, ...OUR_GROUPS.flatMap((g) => ['--check', g]), '--json', ...extra]);
  if (r.code !== 0 && r.code !== 1) throw new Error(`fsck exited ${r.code}: ${r.stderr}`);
  const report = JSON.parse(r.stdout) as { findings: Finding[]; checks: { id: string; status: string; note?: string }[] };
  const failed = report.checks.filter((c) => c.status === 'failed');
  if (failed.length > 0) throw new Error(`checks failed: ${JSON.stringify(failed)}`);
  return { code: r.code, findings: report.findings, checks: report.checks };
}

/** Expects exactly one check of our groups to fire. */
export function expectOnly(findings: readonly Finding[], check: string): Finding[] {
  expect(findings.map((f) => f.check).filter((c) => c !== check), JSON.stringify(findings, null, 1)).toEqual([]);
  const mine = findings.filter((f) => f.check === check);
  expect(mine.length, `no ${check} finding`).toBeGreaterThan(0);
  return mine;
}

/**
 * The repair contract of one check on a broken copy: the --fix dry run changes nothing, --fix
 * --apply leaves that check clean (and no other check of our groups firing), undo restores the
 * database byte for byte.
 */
export async function expectRepair(kind: EngineKind, url: string, check: string): Promise<void> {
  const fp = async (): Promise<string> => withReadable(url, async (db) => (db.state === db.main ? fingerprint(db.main) : `${await fingerprint(db.main)}/${await fingerprint(db.state)}`));
  const before = await fp();
  const dry = await runCli(['fsck', '--db', url, '--check', check, '--fix']);
  expect(dry.code, dry.stderr).toBe(1);
  expect(dry.stdout).toMatch(/dry run/i);
  expect(await fp()).toBe(before);
  const dir = await mkdtemp(join(tmpdir(), 'sd-fsck-fix-'));
  try {
    const journal = join(dir, 'fix.jsonl');
    const applied = await runCli(['fsck', '--db', url, '--check', check, '--fix', '--apply', '--journal', journal, '--no-backup']);
    expect(applied.code, `${applied.stdout}\n${applied.stderr}`).toBe(0);
    const after = await fsck(url);
    expect(after.findings, JSON.stringify(after.findings)).toEqual([]);
    expect(after.code).toBe(0);
    const undo = await runCli(['undo', journal, '--db', url, '--apply', '--no-backup', '--journal', join(dir, 'undo.jsonl')]);
    expect(undo.code, `${undo.stdout}\n${undo.stderr}`).toBe(0);
    expect(await fp()).toBe(before);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  void kind;
}
