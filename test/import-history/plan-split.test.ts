/**
 * Planning's JSON pass split between the planner and the worker (the planner scans the last
 * quarter of the room's events, scan-feed.ts, into an SQLite target): the plan is the one a single
 * pass makes, and it applies and verifies. SQLite source (the worker reads the file); the target on
 * each engine (into PostgreSQL the planner does not take a share: the plans are the same too).
 */
import { describe, expect, it } from 'vitest';
// The built modules: the worker thread is the built import-worker.js, next to them (as the CLI runs it)
import { planImport, type ImportPlan } from '../../dist/import-history/plan-import.js';
import { applyPlan } from '../../dist/plan/apply.js';
import { insertBatches, type Plan } from '../../dist/plan/plan.js';
import { openDatabase } from '../../dist/store/open.js';
import { statement } from '../../dist/store/engine/engine.js';
import { workerAvailable } from '../../dist/import-history/worker-client.js';
import { buildScenario } from '../../src/simulator/scenarios/index.js';
import { ENGINES, freshSynapseDatabase, rawEngine } from '../support/engines.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every step with its rows as values (read once), for comparing two plans. */
async function stepsOf(plan: Plan): Promise<unknown[]> {
  const out: unknown[] = [];
  for (const st of plan.steps) {
    if (st.kind !== 'insert') {
      out.push(st);
      continue;
    }
    const rows: unknown[] = [];
    for await (const b of insertBatches(st)) rows.push(...b);
    out.push({ id: st.id, table: st.table, columns: st.columns, count: st.count, unit: st.unit, rows: rows.map((r) => JSON.stringify(r)).sort() });
  }
  return out;
}

for (const to of ENGINES) {
  describe(`import-history planning split between two threads (sqlite → ${to})`, () => {
    it('makes the same plan as one pass, which applies and verifies', async () => {
      const src = await freshSynapseDatabase('sqlite', 94);
      const dst = await freshSynapseDatabase(to, 94);
      const dir = await mkdtemp(join(tmpdir(), 'sd-split-'));
      try {
        const s = await buildScenario('history-gap', { engine: rawEngine(src.db), version: 94, otherEngines: [rawEngine(dst.db)] });
        const room = s.roomId;
        await src.db.close();
        await dst.db.close();
        const source = await openDatabase({ db: src.url });
        const target = await openDatabase({ db: dst.url, write: true });
        try {
          const plan = (min: number): Promise<ImportPlan> => planImport(source, target, { roomId: room, plannerScanMinEvents: min, sliceSize: 4 }, 'import-history');
          expect(workerAvailable(), 'the built worker and a second core').toBe(true);
          const one = await plan(Number.POSITIVE_INFINITY);
          const split = await plan(1);
          expect(split.summary.missing).toBeGreaterThan(8);
          expect(split.summary).toEqual(one.summary);
          expect(await stepsOf(split.plan)).toEqual(await stepsOf(one.plan));
          const applied = await plan(1);
          await applyPlan(target, applied.plan, { journal: join(dir, 'split.jsonl'), force: true, transactions: 'per-chunk' });
          const n = await target.main.queryOne<{ n: number }>(statement('SELECT count(*) AS n FROM events WHERE room_id = ?', [room]));
          const m = await source.main.queryOne<{ n: number }>(statement('SELECT count(*) AS n FROM events WHERE room_id = ?', [room]));
          expect(Number(n?.n)).toBe(Number(m?.n));
        } finally {
          await source.close();
          await target.close();
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
        await src.cleanup();
        await dst.cleanup();
      }
    }, 120_000);
  });
}
