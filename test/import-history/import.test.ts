/**
 * `import-history` through the built CLI, read back through fresh connections: the simulator's
 * history-gap scenario for every engine pair (source × target) and schema 72/94; the databases
 * written by a real Synapse 1.67 (../shared/real-synapse/dev-migration, when present); the head of
 * the room (current state, forward extremities) byte-identical; a rerun copies nothing; undo
 * restores the target; SIGKILL between batches leaves whole batches, and running it again
 * completes the import.
 */
import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { batchSizes } from '../../src/import-history/plan-import.js';
import { buildScenario } from '../../src/simulator/scenarios/index.js';
import { engineOf, openDatabase, type SynapseDatabase } from '../../src/store/open.js';
import type { EngineKind, ReadEngine } from '../../src/store/engine/engine.js';
import { statement } from '../../src/store/engine/engine.js';
import { encodeRow, rowText } from '../../src/plan/row-codec.js';
import { readStateGroup } from '../../src/store/readers/state-groups.js';
import { ENGINES, freshSynapseDatabase, rawEngine } from '../support/engines.js';
import { fingerprint } from '../support/fingerprint.js';
import { BIN, runCli } from '../cli/run-cli.js';

async function withStore<T>(url: string, fn: (db: SynapseDatabase) => Promise<T>): Promise<T> {
  const db = await openDatabase({ db: url, write: true });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** The room's head: rows an import must leave byte-identical. */
async function head(engine: ReadEngine, roomId: string): Promise<string> {
  const parts: string[] = [];
  for (const t of ['current_state_events', 'event_forward_extremities', 'local_current_membership', 'current_state_delta_stream']) {
    const rows = await engine.query(statement(`SELECT * FROM ${t} WHERE room_id = ?`, [roomId]));
    parts.push(`${t}:${rows.map((r) => rowText(encodeRow(r))).sort().join('|')}`);
  }
  return parts.join('\n');
}

/** The room as the target keeps it, with local ids replaced by what they point at. */
async function roomContent(db: SynapseDatabase, roomId: string): Promise<Record<string, string[]>> {
  const m = db.main;
  const q = async (sql: string): Promise<string[]> => (await m.query(statement(sql, [roomId]))).map((r) => rowText(encodeRow(r))).sort();
  const inRoom = 'event_id IN (SELECT event_id FROM events WHERE room_id = ?)';
  const mapped = await m.query<{ event_id: string; state_group: number }>(statement('SELECT g.event_id, g.state_group FROM event_to_state_groups g JOIN events e ON e.event_id = g.event_id WHERE e.room_id = ?', [roomId]));
  const states: string[] = [];
  for (const r of mapped) states.push(`${r.event_id}=${JSON.stringify([...(await readStateGroup(db.state, Number(r.state_group)))].sort())}`);
  return {
    events: await q('SELECT event_id, type, state_key, depth, topological_ordering, outlier, sender FROM events WHERE room_id = ?'),
    event_json: await q('SELECT event_id, json FROM event_json WHERE room_id = ?'),
    event_edges: await q(`SELECT event_id, prev_event_id FROM event_edges WHERE ${inRoom}`),
    state_events: await q(`SELECT event_id, type, state_key FROM state_events WHERE ${inRoom}`),
    room_memberships: await q(`SELECT event_id, user_id, membership FROM room_memberships WHERE ${inRoom}`),
    event_relations: await q(`SELECT event_id, relates_to_id, relation_type FROM event_relations WHERE ${inRoom}`),
    redactions: await q(`SELECT event_id, redacts FROM redactions WHERE ${inRoom}`),
    event_search: await q('SELECT event_id FROM event_search WHERE room_id = ?'),
    backward: await q('SELECT event_id FROM event_backward_extremities WHERE room_id = ?'),
    event_auth: await q(`SELECT event_id, auth_id FROM event_auth WHERE ${inRoom}`),
    rejections: await q(`SELECT event_id, reason FROM rejections WHERE ${inRoom}`),
    threads: (await m.introspector.listTables()).includes('threads') ? await q('SELECT thread_id, latest_event_id, topological_ordering FROM threads WHERE room_id = ?') : [],
    room_depth: await q('SELECT min_depth FROM room_depth WHERE room_id = ?'),
    states: states.sort(),
  };
}

/** Stream orderings of the imported events are negative and grow with depth. */
async function orderingsMonotone(engine: ReadEngine, roomId: string): Promise<boolean> {
  // de-outliered events keep the ordering they had as outliers (events.py _update_outliers_txn)
  const rows = await engine.query<{ depth: number; stream_ordering: number }>(statement('SELECT depth, stream_ordering FROM events WHERE room_id = ? AND stream_ordering < 0 AND event_id NOT IN (SELECT event_id FROM ex_outlier_stream) ORDER BY stream_ordering', [roomId]));
  for (let i = 1; i < rows.length; i++) if (Number(rows[i]!.depth) < Number(rows[i - 1]!.depth)) return false;
  return true;
}

const PAIRS: Array<[EngineKind, EngineKind]> = [];
for (const a of ENGINES) for (const b of ENGINES) PAIRS.push([a, b]);

describe('import-history through the CLI: the simulator\'s history gap', () => {
  for (const [from, to] of PAIRS) {
    for (const [vFrom, vTo] of [[94, 94], [72, 94], [94, 72]] as const) {
      if (vFrom !== vTo && from !== to) continue; // schema pairs once per engine
      it(`${from} ${vFrom} → ${to} ${vTo}: every source event, the head untouched, a rerun copies nothing, undo restores`, async () => {
        const src = await freshSynapseDatabase(from, vFrom);
        const dst = await freshSynapseDatabase(to, vTo);
        const dir = await mkdtemp(join(tmpdir(), 'sd-import-'));
        try {
          const s = await buildScenario('history-gap', { engine: rawEngine(src.db), version: vFrom, otherEngines: [rawEngine(dst.db)] });
          const room = s.roomId;
          const headBefore = await head(dst.db.main, room);
          const before = await fingerprint(dst.db.main);
          await src.db.close();
          await dst.db.close();

          const dry = await runCli(['import-history', '--from', src.url, '--to', dst.url, '--room', room, '--json']);
          expect(dry.code, dry.stderr).toBe(0);
          const plan = JSON.parse(dry.stdout);
          const lacking = await withStore(src.url, async (old) => withStore(dst.url, async (nu) => {
            const have = new Set((await nu.main.query<{ event_id: string }>(statement('SELECT event_id FROM events WHERE room_id = ?', [room]))).map((r) => r.event_id));
            return (await old.main.query<{ event_id: string }>(statement('SELECT event_id FROM events WHERE room_id = ?', [room]))).filter((r) => !have.has(r.event_id)).length;
          }));
          expect(plan.summary.missing).toBe(lacking);
          expect(lacking).toBeGreaterThanOrEqual((s.labels.missingOnNew as string[]).length);
          expect(plan.summary.conflicts).toEqual([]);
          expect(await withStore(dst.url, (db) => fingerprint(db.main))).toBe(before);
          // Batches of at most --batch-size; into SQLite from SQLite (a worker making the rows, on
          // two cores) the first and last are one slice, a smaller room up to six equal ones between.
          const sliced = await runCli(['import-history', '--from', src.url, '--to', dst.url, '--room', room, '--json', '--slice-size', '3']);
          const cut = from === 'sqlite' && to === 'sqlite' && availableParallelism() > 1;
          const { batches, missing, de_outliered: deOutliered } = JSON.parse(sliced.stdout).summary as { batches: number; missing: number; de_outliered: number };
          expect(missing + deOutliered).toBeGreaterThan(6);
          // the batches hold the missing events and the de-outliered ones
          if (cut) expect(batches).toBe(batchSizes(missing + deOutliered, 3, 100_000, true).length);
          else expect(batches).toBe(1);
          if (cut) expect(batches).toBeGreaterThanOrEqual(3);

          const journal = join(dir, 'import.jsonl');
          const applied = await runCli(['import-history', '--from', src.url, '--to', dst.url, '--room', room, '--apply', '--no-backup', '--journal', journal, '--batch-size', '7', '--slice-size', '3']);
          expect(applied.code, applied.stderr).toBe(0);
          expect(applied.stdout).toMatch(/Verified: (\d+)\/\1 source events present, (\d+)\/\2 timeline events with their state, states equal to the source's: (\d+)\/\3; backward extremities: 0/);

          await withStore(dst.url, async (db) => {
            expect(await head(db.main, room)).toBe(headBefore);
            expect(await orderingsMonotone(db.main, room)).toBe(true);
            const json = await db.main.query<{ event_id: string; json: string }>(statement('SELECT event_id, json FROM event_json WHERE event_id IN (' + (s.labels.missingOnNew as string[]).map(() => '?').join(', ') + ')', s.labels.missingOnNew as string[]));
            expect(json.length).toBe((s.labels.missingOnNew as string[]).length);
          });
          await withStore(src.url, async (old) => {
            const jsonOld = await old.main.query<{ event_id: string; json: unknown }>(statement('SELECT event_id, json FROM event_json WHERE room_id = ?', [room]));
            await withStore(dst.url, async (nu) => {
              const jsonNew = new Map((await nu.main.query<{ event_id: string; json: unknown }>(statement('SELECT event_id, json FROM event_json WHERE room_id = ?', [room]))).map((r) => [r.event_id, String(r.json)]));
              for (const r of jsonOld) if ((s.labels.missingOnNew as string[]).includes(r.event_id)) expect(jsonNew.get(r.event_id)).toBe(String(r.json));
            });
          });

          const again = await runCli(['import-history', '--from', src.url, '--to', dst.url, '--room', room, '--json']);
          expect(again.code, again.stderr).toBe(0);
          expect(JSON.parse(again.stdout).nothing_to_do).toBe(true);

          // Something changed an imported row since: undo refuses (the after-image is the rows as given).
          const touched = (s.labels.missingOnNew as string[])[0]!;
          const bump = async (by: number): Promise<void> => {
            const db = await openDatabase({ db: dst.url, write: true });
            try {
              await engineOf(db.main).run(statement('UPDATE events SET received_ts = received_ts + ? WHERE event_id = ?', [by, touched]));
            } finally {
              await db.close();
            }
          };
          await bump(1);
          const refused = await runCli(['undo', journal, '--db', dst.url, '--apply', '--no-backup', '--journal', join(dir, 'undo-refused.jsonl')]);
          expect(refused.code, refused.stderr).toBe(5);
          await bump(-1);

          const undo = await runCli(['undo', journal, '--db', dst.url, '--apply', '--no-backup', '--journal', join(dir, 'undo.jsonl')]);
          expect(undo.code, undo.stderr).toBe(0);
          expect(await withStore(dst.url, (db) => fingerprint(db.main))).toBe(before);
        } finally {
          await rm(dir, { recursive: true, force: true });
          await src.cleanup();
          await dst.cleanup();
        }
      });
    }
  }

  for (const [from, to] of PAIRS) {
    it(`${from} → ${to}: the target equals the reference the simulator builds as if the target had backfilled the history itself`, async () => {
      const src = await freshSynapseDatabase(from, 94);
      const dst = await freshSynapseDatabase(to, 94);
      const ref = await freshSynapseDatabase(to, 94);
      try {
        const s = await buildScenario('history-gap', { engine: rawEngine(src.db), version: 94, otherEngines: [rawEngine(dst.db)], backfilledTwin: rawEngine(ref.db) });
        const room = s.roomId;
        await src.db.close();
        await dst.db.close();
        await ref.db.close();
        const r = await runCli(['import-history', '--from', src.url, '--to', dst.url, '--room', room, '--apply', '--no-backup', '--journal', join(tmpdir(), `sd-ref-${process.pid}-${from}-${to}.jsonl`)]);
        expect(r.code, r.stderr).toBe(0);
        const got = await withStore(dst.url, (db) => roomContent(db, room));
        const want = await withStore(ref.url, (db) => roomContent(db, room));
        for (const k of Object.keys(want)) expect(got[k], k).toEqual(want[k]);
        // the same relative order of stream orderings, and the same de-outliered events
        const orderOf = async (url: string): Promise<string[]> => withStore(url, async (db) => (await db.main.query<{ event_id: string }>(statement('SELECT event_id FROM events WHERE room_id = ? ORDER BY stream_ordering', [room]))).map((x) => x.event_id));
        expect(await orderOf(dst.url)).toEqual(await orderOf(ref.url));
        const exOutliers = async (url: string): Promise<string[]> => withStore(url, async (db) => (await db.main.query<{ event_id: string }>(statement('SELECT event_id FROM ex_outlier_stream ORDER BY event_stream_ordering'))).map((x) => x.event_id));
        expect(await exOutliers(dst.url)).toEqual(await exOutliers(ref.url));
        const head = async (url: string): Promise<unknown> => withStore(url, async (db) => (await db.main.query(statement('SELECT event_id FROM event_forward_extremities WHERE room_id = ? ORDER BY event_id', [room]))));
        expect(await head(dst.url)).toEqual(await head(ref.url));
      } finally {
        await src.cleanup();
        await dst.cleanup();
        await ref.cleanup();
      }
    });
  }

  for (const to of ENGINES) {
    it(`SIGKILL at 10 points during --apply on ${to}: whole batches only; running it again completes the same import`, async () => {
      const src = await freshSynapseDatabase('sqlite', 94);
      const dst = await freshSynapseDatabase(to, 94);
      const dir = await mkdtemp(join(tmpdir(), 'sd-import-kill-'));
      const copies: Array<{ url: string; cleanup(): Promise<void> }> = [];
      try {
        const s = await buildScenario('history-gap', { engine: rawEngine(src.db), version: 94, otherEngines: [rawEngine(dst.db)] });
        const room = s.roomId;
        await src.db.close();
        await dst.db.close();
        const fresh = async (): Promise<string> => {
          if (to === 'sqlite') {
            const d = await mkdtemp(join(dir, 't-'));
            const p = join(d, 'homeserver.db');
            await copyFile(dst.url, p);
            return p;
          }
          const { createPgDatabase, dropPgDatabase, pgUrlFor } = await import('../support/engines.js');
          const name = await createPgDatabase(new URL(dst.url).pathname.slice(1));
          copies.push({ url: pgUrlFor(name), cleanup: () => dropPgDatabase(name) });
          return pgUrlFor(name);
        };
        const args = (target: string, journal: string): string[] => ['import-history', '--from', src.url, '--to', target, '--room', room, '--apply', '--no-backup', '--journal', journal, '--batch-size', '5'];
        const whole = await fresh();
        const t0 = Date.now();
        const full = await runCli(args(whole, join(dir, 'whole.jsonl')));
        const duration = Date.now() - t0;
        expect(full.code, full.stderr).toBe(0);
        const expected = await withStore(whole, (db) => roomContent(db, room));
        const outcomes: string[] = [];
        for (let i = 0; i < 10; i++) {
          const target = await fresh();
          const at = Math.round(((i + Math.random()) / 10) * duration);
          const killed = await new Promise<number | null>((done) => {
            const child = spawn(process.execPath, [BIN, ...args(target, join(dir, `kill-${i}.jsonl`))], { stdio: 'ignore' });
            const timer = setTimeout(() => child.kill('SIGKILL'), at);
            child.on('close', (code) => {
              clearTimeout(timer);
              done(code);
            });
          });
          const rerun = await runCli(args(target, join(dir, `rerun-${i}.jsonl`)));
          expect([0].includes(rerun.code ?? -1), rerun.stderr).toBe(true);
          const got = await withStore(target, (db) => roomContent(db, room));
          for (const k of Object.keys(expected)) expect(got[k], `${k} after a kill at ${at} ms`).toEqual(expected[k]);
          outcomes.push(killed === null ? 'killed' : `exit ${killed}`);
        }
        console.log(`import-history SIGKILL on ${to} (${duration} ms run): ${outcomes.join(', ')}; every rerun completed it`);
      } finally {
        for (const c of copies) await c.cleanup();
        await rm(dir, { recursive: true, force: true });
        await src.cleanup();
        await dst.cleanup();
      }
    }, 300_000);
  }
});

const DEV = resolve(__dirname, '../../../shared/real-synapse/dev-migration');
const haveDev = existsSync(join(DEV, 'hsOLD-old.db'));

describe.skipIf(!haveDev)('import-history on databases written by a real Synapse 1.67 (dev-migration)', () => {
  it("NEW holds OLD's 155 events as timeline events with OLD's JSON; NEW's head untouched; a rerun copies nothing", async () => {
    const truth = JSON.parse(await readFile(join(DEV, '../dev-migration.json'), 'utf8')) as { room_id: string; old_messages_before_stop_dir_b: string[]; old_event_ids: string[] };
    const dir = await mkdtemp(join(tmpdir(), 'sd-devmig-'));
    try {
      const oldDb = join(dir, 'old.db');
      const newDb = join(dir, 'new.db');
      await copyFile(join(DEV, 'hsOLD-old.db'), oldDb);
      await copyFile(join(DEV, 'hsNEW-new.db'), newDb);
      const headBefore = await withStore(newDb, (db) => head(db.main, truth.room_id));
      const r = await runCli(['import-history', '--from', oldDb, '--to', newDb, '--room', truth.room_id, '--apply', '--no-backup', '--journal', join(dir, 'j.jsonl')]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/Verified: 155\/155 source events present, 155\/155 timeline events with their state, states equal to the source's: 155\/155; backward extremities: 0/);
      await withStore(newDb, async (db) => {
        expect(await head(db.main, truth.room_id)).toBe(headBefore);
        const rows = await db.main.query<{ event_id: string; outlier: unknown }>(statement('SELECT event_id, outlier FROM events WHERE room_id = ?', [truth.room_id]));
        expect(rows.length).toBe(155);
        expect(rows.every((x) => x.outlier === 0 || x.outlier === false)).toBe(true);
        expect(new Set(rows.map((x) => x.event_id))).toEqual(new Set(truth.old_messages_before_stop_dir_b));
        // /messages orders by (topological_ordering, stream_ordering): the same order as OLD's, up to ties at equal depth
        const ordered = await db.main.query<{ event_id: string; depth: number }>(statement('SELECT event_id, depth FROM events WHERE room_id = ? ORDER BY topological_ordering DESC, stream_ordering DESC', [truth.room_id]));
        expect(await orderingsMonotone(db.main, truth.room_id)).toBe(true);
        const depthOf = new Map(ordered.map((x) => [x.event_id, Number(x.depth)]));
        const expectDepths = truth.old_messages_before_stop_dir_b.map((id) => depthOf.get(id));
        expect(ordered.map((x) => Number(x.depth))).toEqual(expectDepths);
      });
      await withStore(oldDb, async (old) => withStore(newDb, async (nu) => {
        const a = await old.main.query<{ event_id: string; json: unknown }>(statement('SELECT event_id, json FROM event_json WHERE room_id = ?', [truth.room_id]));
        const b = new Map((await nu.main.query<{ event_id: string; json: unknown }>(statement('SELECT event_id, json FROM event_json WHERE room_id = ?', [truth.room_id]))).map((x) => [x.event_id, String(x.json)]));
        const imported = new Set(truth.old_event_ids);
        let compared = 0;
        for (const x of a) if (imported.has(x.event_id) && b.has(x.event_id)) {
          compared++;
          expect(JSON.parse(b.get(x.event_id)!).content).toEqual(JSON.parse(String(x.json)).content);
        }
        expect(compared).toBe(155);
      }));
      const again = await runCli(['import-history', '--from', oldDb, '--to', newDb, '--all-shared-rooms']);
      expect(again.code, again.stderr).toBe(0);
      expect(again.stdout).toMatch(/Nothing to copy/);
      const usage = await runCli(['import-history', '--from', oldDb, '--to', newDb]);
      expect(usage.code).toBe(2);
      const same = await runCli(['import-history', '--from', newDb, '--to', newDb, '--all-shared-rooms']);
      expect(same.code).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
