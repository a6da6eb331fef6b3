/**
 * The one write path, on both engines: a dry run changes nothing; the --sql script run the way
 * sqlite3 -bail / psql would run it gives the same rows as --apply; `undo` (through the built CLI)
 * restores every row and refuses a second time or after a change; a failed precondition or
 * verification leaves the database untouched; a second writer is refused at once; SIGKILL at
 * random points leaves the database untouched or complete.
 */
import { runKillableChild } from '../support/kill-child.js';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statement, type EngineKind } from '../../src/store/engine/engine.js';
import { openDatabase, type SynapseDatabase } from '../../src/store/open.js';
import { buildScenario } from '../../src/simulator/scenarios/index.js';
import { applyPlan } from '../../src/plan/apply.js';
import { renderSqlText } from '../../src/plan/render-sql.js';
import { planUndo } from '../../src/plan/undo.js';
import { renderText } from '../../src/plan/render-text.js';
import { renderJson } from '../../src/plan/render-json.js';
import type { Plan } from '../../src/plan/plan.js';
import { createPgDatabase, dropPgDatabase, ENGINES, freshSynapseDatabase, lockStore, pgUrlFor, rawEngine } from '../support/engines.js';
import { fingerprint, killOutcome, tableFingerprints } from '../support/fingerprint.js';
import { runCli } from '../cli/run-cli.js';
// @ts-expect-error plain JavaScript shared with the child process
import { buildMissingRowsPlan, buildSamplePlan, HOSTILE } from './support/sample-plan.mjs';

const CHILD = fileURLToPath(new URL('./support/apply-child.mjs', import.meta.url));

interface Original {
  kind: EngineKind;
  url: string;
  dir: string;
  pgName?: string;
}

/** Independent copies of one scenario database. */
async function copyOf(o: Original): Promise<{ url: string; open(write?: boolean): Promise<SynapseDatabase>; cleanup(): Promise<void> }> {
  let url: string;
  let cleanup: () => Promise<void>;
  if (o.kind === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'sd-write-'));
    url = join(dir, 'homeserver.db');
    await copyFile(o.url, url);
    cleanup = () => rm(dir, { recursive: true, force: true });
  } else {
    const name = await createPgDatabase(o.pgName);
    url = pgUrlFor(name);
    cleanup = () => dropPgDatabase(name);
  }
  return { url, open: (write = true) => openDatabase({ db: url, write }), cleanup };
}

async function samplePlan(db: SynapseDatabase, bulkRows = 300): Promise<Plan> {
  return (await buildSamplePlan(db, { bulkRows })) as Plan;
}

for (const kind of ENGINES) {
  describe(`${kind}: the write path`, () => {
    let original: Original;
    let before: string;

    beforeAll(async () => {
      const fresh = await freshSynapseDatabase(kind, 94);
      await buildScenario('rejection-chain', { engine: rawEngine(fresh.db), version: 94 });
      const dir = await mkdtemp(join(tmpdir(), 'sd-write-orig-'));
      if (kind === 'sqlite') {
        // a self-contained copy (no -wal beside it)
        const path = join(dir, 'original.db');
        await rawEngine(fresh.db).hooks.backup(path);
        original = { kind, url: path, dir };
      } else {
        const name = new URL(fresh.url).pathname.slice(1);
        await fresh.db.close();
        original = { kind, url: fresh.url, dir, pgName: name };
        const db = await openDatabase({ db: fresh.url });
        before = await fingerprint(db.main);
        await db.close();
        return;
      }
      before = await fingerprint(fresh.db.main);
      await fresh.cleanup();
    });

    afterAll(async () => {
      if (original?.pgName) await dropPgDatabase(original.pgName);
      if (original) await rm(original.dir, { recursive: true, force: true });
    });

    it('a dry run (text, JSON, SQL) changes nothing', async () => {
      const copy = await copyOf(original);
      const db = await copy.open(false);
      try {
        const plan = await samplePlan(db);
        expect(renderText(plan)).toMatch(/dry run: nothing was written/);
        expect(renderText(plan)).toMatch(/event_backward_extremities\s+\+300 inserted/);
        const json = renderJson(plan);
        expect(json.format).toBe(1);
        expect(JSON.parse(JSON.stringify(json))).toEqual(json);
        const sql = await renderSqlText(plan, db.main.dialect);
        expect(sql).toMatch(kind === 'sqlite' ? /^BEGIN IMMEDIATE;$/m : /^BEGIN;$/m);
        // hostile text never reaches the file raw
        expect(sql).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\u202e\u2028\ufeff]/);
        expect(await fingerprint(db.main)).toBe(before);
        const cli = await runCli(['inspect', '--db', copy.url]);
        expect(cli.code).toBe(0);
      } finally {
        await db.close();
        expect(await fingerprint((await openDatabase({ db: copy.url })).main)).toBe(before);
        await copy.cleanup();
      }
    });

    it('the --sql script, run as one script, gives the same rows as --apply; undo restores them', async () => {
      const a = await copyOf(original);
      const b = await copyOf(original);
      const dir = await mkdtemp(join(tmpdir(), 'sd-journal-'));
      try {
        const dbA = await a.open();
        const plan = await samplePlan(dbA);
        const journal = join(dir, 'apply.journal.jsonl');
        const result = await applyPlan(dbA, plan, { journal, force: true });
        expect(result.verified.every((v) => v.ok)).toBe(true);
        const sql = await renderSqlText(plan, dbA.main.dialect);
        await dbA.close();

        const dbB = await b.open();
        await rawEngine(dbB).exec(sql); // the driver's multi-statement exec: no parameters
        await dbB.close();

        const fa = await tableFingerprints((await reopen(a.url)).main);
        const fb = await tableFingerprints((await reopen(b.url)).main);
        expect(fb).toEqual(fa);
        expect(await fingerprint((await reopen(a.url)).main)).not.toBe(before);

        // hostile values arrive exactly
        const check = await reopen(a.url);
        const values = (await check.main.query<{ value?: string; event_id: string }>(
          kind === 'sqlite' ? "SELECT event_id, value FROM event_search WHERE event_id LIKE '$search%'" : "SELECT event_id FROM event_search WHERE event_id LIKE '$search%'",
        ));
        expect(values.length).toBe(300);
        if (kind === 'sqlite') expect(values.find((v) => v.event_id === '$search2:test')!.value).toBe(`${HOSTILE[2]} #2`);
        const key = await check.main.queryOne<{ verify_key: Uint8Array }>("SELECT verify_key FROM server_signature_keys WHERE server_name = 'bytes.test'");
        expect([...key!.verify_key]).toEqual([0, 1, 0x27, 0x5c, 0xff]);

        // undo through the built CLI: a dry run first, then --apply (our own handles closed: the
        // liveness check would take them for Synapse)
        await closeAll();
        // SQLite: the journal names the file; PostgreSQL journals hold no password, so --db gives it
        const dry = await runCli(kind === 'sqlite' ? ['undo', journal] : ['undo', journal, '--db', a.url]);
        expect(dry.code, dry.stderr).toBe(0);
        expect(dry.stdout).toMatch(/dry run/);
        expect(await fingerprint((await reopen(a.url)).main)).not.toBe(before);
        await closeAll();
        const undo = await runCli(['undo', journal, '--db', a.url, '--apply', '--journal', join(dir, 'undo.journal.jsonl'), '--no-backup']);
        expect(undo.code, undo.stderr).toBe(0);
        expect(await fingerprint((await reopen(a.url)).main)).toBe(before);
        await closeAll();
        // a second undo is refused
        const again = await runCli(['undo', journal, '--db', a.url, '--apply']);
        expect(again.code).toBe(5);
        expect(again.stderr).toMatch(/already undone/);
        // and the undo itself can be undone (redo), which gives the applied rows again
        const redo = await runCli(['undo', join(dir, 'undo.journal.jsonl'), '--db', a.url, '--apply', '--journal', join(dir, 'redo.journal.jsonl'), '--no-backup']);
        expect(redo.code, redo.stderr).toBe(0);
        expect(await tableFingerprints((await reopen(a.url)).main)).toEqual(fa);
      } finally {
        await closeAll();
        await a.cleanup();
        await b.cleanup();
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('undo refuses (exit 5) when a row changed since, and changes nothing', async () => {
      const copy = await copyOf(original);
      const dir = await mkdtemp(join(tmpdir(), 'sd-journal-'));
      try {
        const db = await copy.open();
        const journal = join(dir, 'j.jsonl');
        await applyPlan(db, await samplePlan(db, 20), { journal, force: true });
        await rawEngine(db).run("DELETE FROM event_backward_extremities WHERE event_id = '$extremity3:test'");
        await db.close();
        const changed = await fingerprint((await reopen(copy.url)).main);
        const undo = await runCli(['undo', journal, '--db', copy.url, '--apply']);
        expect(undo.code).toBe(5);
        expect(undo.stderr).toMatch(/changed since/);
        expect(await fingerprint((await reopen(copy.url)).main)).toBe(changed);
      } finally {
        await closeAll();
        await copy.cleanup();
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('a failed precondition (PLAN_STALE) or verification (VERIFY_FAILED) leaves the database untouched and no journal', async () => {
      const copy = await copyOf(original);
      const dir = await mkdtemp(join(tmpdir(), 'sd-journal-'));
      try {
        const db = await copy.open();
        const plan = await samplePlan(db);
        const stale: Plan = { ...plan, preconditions: [{ ...plan.preconditions[0]!, expect: -1 }] };
        await expect(applyPlan(db, stale, { journal: join(dir, 'a.jsonl'), force: true })).rejects.toMatchObject({ code: 'PLAN_STALE' });
        const failing: Plan = { ...plan, verify: [...plan.verify, { id: 'impossible', description: 'an impossible check', database: 'main', query: statement('SELECT count(*) FROM events'), expect: -1 }] };
        await expect(applyPlan(db, failing, { journal: join(dir, 'b.jsonl'), force: true })).rejects.toMatchObject({ code: 'VERIFY_FAILED' });
        const wrongCount: Plan = { ...plan, steps: plan.steps.map((s) => (s.kind === 'statement' ? { ...s, rowsExpected: 999 } : s)) };
        await expect(applyPlan(db, wrongCount, { journal: join(dir, 'c.jsonl'), force: true })).rejects.toMatchObject({ code: 'PLAN_STALE' });
        expect(await fingerprint(db.main)).toBe(before);
        expect(existsSync(join(dir, 'a.jsonl')) || existsSync(join(dir, 'b.jsonl')) || existsSync(join(dir, 'c.jsonl'))).toBe(false);
        // the SQL script's guards refuse the same plans
        for (const bad of [stale, failing]) {
          const sql = await renderSqlText(bad, db.main.dialect);
          await expect(rawEngine(db).exec(sql)).rejects.toMatchObject({ code: 'DB_ERROR' });
          await rawEngine(db).exec('ROLLBACK').catch(() => undefined); // PostgreSQL: end the aborted transaction
          expect(await fingerprint(db.main)).toBe(before);
        }
        await db.close();
      } finally {
        await copy.cleanup();
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('a second writer is refused at once (LOCK_HELD)', async () => {
      const copy = await copyOf(original);
      try {
        const first = await copy.open();
        const second = await copy.open();
        const lock = await lockStore(first);
        const started = Date.now();
        await expect(applyPlan(second, await samplePlan(second, 5), { journal: false, force: true })).rejects.toMatchObject({ code: 'LOCK_HELD' });
        expect(Date.now() - started).toBeLessThan(2000);
        await lock.release();
        await applyPlan(second, await samplePlan(second, 5), { journal: false, force: true });
        await first.close();
        await second.close();
      } finally {
        await copy.cleanup();
      }
    });

    it('refuses while Synapse appears to run, unless forced', async () => {
      const copy = await copyOf(original);
      try {
        const db = await copy.open();
        const now = Date.now();
        await rawEngine(db).insertMany('worker_locks', ['lock_name', 'lock_key', 'instance_name', 'token', 'last_renewed_ts'], [['delete_room', '!r:x', 'worker1', 't', now]]);
        await expect(applyPlan(db, await samplePlan(db, 5), { journal: false })).rejects.toMatchObject({ code: 'SYNAPSE_RUNNING' });
        await db.close();
      } finally {
        await copy.cleanup();
      }
    });

    it('SIGKILL at 10 random points during apply leaves the database untouched or complete', async () => {
      const bulk = 20_000;
      const dir = await mkdtemp(join(tmpdir(), 'sd-kill-'));
      try {
        // the complete result, and how long a whole run takes
        const full = await copyOf(original);
        const done = await runChild(full.url, join(dir, 'full.jsonl'), bulk);
        const duration = done.applyMs;
        expect(done.out).toMatch(/applied/);
        const complete = await tableFingerprints((await reopen(full.url)).main);
        await closeAll();
        await full.cleanup();
        const beforeTables = await tableFingerprints((await reopen(original.url)).main);
        await closeAll();
        const outcomes: string[] = [];
        for (let i = 0; i < 10; i++) {
          const copy = await copyOf(original);
          // spread over the apply and a little past its end (the commit, the journal marker)
          const at = Math.round(((i + Math.random()) / 10) * duration * 1.1);
          await runChild(copy.url, join(dir, `kill-${i}.jsonl`), bulk, at);
          const now = await tableFingerprints((await reopen(copy.url)).main);
          await closeAll();
          const outcome = killOutcome(now, beforeTables, complete);
          outcomes.push(outcome.startsWith('torn') ? `${outcome} after ${at} ms` : outcome);
          await copy.cleanup();
        }
        console.log(`${kind}: SIGKILL during one-transaction apply (${duration} ms run): ${outcomes.join(', ')}`);
        expect(outcomes.filter((o) => o.startsWith('torn'))).toEqual([]);
        expect(outcomes).toContain('untouched');
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });

    it('per-chunk: SIGKILL leaves whole chunks; undo of the partial journal restores the original; the plan made again completes it', async () => {
      const rows = 20_000; // 40 chunks of 500
      const dir = await mkdtemp(join(tmpdir(), 'sd-chunk-'));
      try {
        const full = await copyOf(original);
        const done = await runChild(full.url, join(dir, 'full.jsonl'), rows, undefined, ['bulk', 'per-chunk']);
        const duration = done.applyMs;
        expect(done.out).toMatch(/applied/);
        const complete = await fingerprint((await reopen(full.url)).main);
        await closeAll();
        await full.cleanup();
        const base = await tableFingerprints((await reopen(original.url)).main);
        await closeAll();
        const outcomes: string[] = [];
        for (let i = 0; i < 6; i++) {
          const copy = await copyOf(original);
          const journal = join(dir, `kill-${i}.jsonl`);
          await runChild(copy.url, journal, rows, Math.round(((i + Math.random()) / 6) * duration), ['bulk', 'per-chunk']);
          const db = await copy.open();
          const n = Number((await db.main.queryOne<{ n: number }>("SELECT count(*) AS n FROM event_backward_extremities WHERE event_id LIKE '$bulk%'"))!.n);
          const now = await tableFingerprints(db.main);
          // only whole chunks, and nothing outside the table the plan writes
          expect(n % 500 === 0 || n === rows, `${n} rows`).toBe(true);
          for (const t of Object.keys(base)) if (t !== 'event_backward_extremities') expect(now[t], t).toBe(base[t]);
          if (i % 2 === 0) {
            // undo what was committed (or find there is nothing to undo)
            if (existsSync(journal)) {
              try {
                const undo = await planUndo(journal, db);
                await applyPlan(db, undo.plan, { journal: join(dir, `undo-${i}.jsonl`), force: true });
              } catch (e) {
                expect((e as { code?: string }).code).toBe('PLAN_STALE');
                expect(n).toBe(0);
              }
            }
            expect(await fingerprint(db.main)).toBe(before);
            outcomes.push(`${n} rows, undone`);
          } else {
            // resume: the plan made again inserts only what is missing
            const again = (await buildMissingRowsPlan(db, rows)) as Plan;
            await applyPlan(db, again, { journal: join(dir, `resume-${i}.jsonl`), force: true, transactions: 'per-chunk', chunkRows: 500 });
            expect(await fingerprint(db.main)).toBe(complete);
            outcomes.push(`${n} rows, resumed`);
          }
          await db.close();
          await copy.cleanup();
        }
        console.log(`${kind}: SIGKILL during per-chunk apply (${duration} ms run): ${outcomes.join(', ')}`);
      } finally {
        await closeAll();
        await rm(dir, { recursive: true, force: true });
      }
    });

  });
}

const opened: SynapseDatabase[] = [];
async function reopen(url: string): Promise<SynapseDatabase> {
  const db = await openDatabase({ db: url });
  opened.push(db);
  return db;
}
async function closeAll(): Promise<void> {
  for (const db of opened.splice(0)) await db.close();
}

/** The child applying a sample plan (support/apply-child.mjs), killed `killAfterMs` after it began. */
function runChild(url: string, journal: string, bulk: number, killAfterMs?: number, mode: [string, string] = ['sample', 'one']): Promise<{ out: string; signal: string | null; applyMs: number }> {
  return runKillableChild(CHILD, [url, journal, String(bulk), ...mode], killAfterMs);
}

