/**
 * `unreject` as an admin runs it, through the built CLI, read back through a fresh connection:
 * on the simulator's rejection chain (both engines, schema 72 and 94, room versions 10 and 12) the
 * cured room equals the healthy twin's (the root's origin) table by table, the genuinely
 * unauthorised event stays rejected, a second run finds nothing, `undo` restores every row; on a
 * database with several chain rooms, only the named room changes; and on the databases written by
 * a real Synapse 1.67 (../shared/real-synapse/dev-chain, when present) the cure of P equals R.
 */
import { execFileSync } from 'node:child_process';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildScenario } from '../../src/simulator/scenarios/index.js';
import { generateLoad } from '../../src/simulator/load.js';
import { openDatabase, type SynapseDatabase } from '../../src/store/open.js';
import type { ReadEngine } from '../../src/store/engine/engine.js';
import { statement } from '../../src/store/engine/engine.js';
import { quoteIdent } from '../../src/store/engine/sql-text.js';
import { encodeRow, rowText } from '../../src/plan/row-codec.js';
import { createPgDatabase, dropPgDatabase, ENGINES, freshSynapseDatabase, pgUrlFor, rawEngine } from '../support/engines.js';
import { fingerprint } from '../support/fingerprint.js';
import { differences, roomSnapshot } from '../support/room-compare.js';
import { runCli } from '../cli/run-cli.js';

async function reopen(url: string): Promise<SynapseDatabase> {
  return openDatabase({ db: url });
}

async function withStore<T>(url: string, fn: (db: SynapseDatabase) => Promise<T>): Promise<T> {
  const db = await reopen(url);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

/** Rows of every room but one (tables with room_id; event-keyed tables through events; state groups through state_groups). */
async function otherRoomsFingerprint(engine: ReadEngine, roomId: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const t of await engine.introspector.listTables()) {
    const cols = (await engine.introspector.tableColumns(t)).map((c) => c.name);
    let where: string | undefined;
    if (cols.includes('room_id')) where = 'room_id <> ?';
    else if (cols.includes('event_id')) where = 'event_id IN (SELECT event_id FROM events WHERE room_id <> ?)';
    else if (t === 'state_group_edges') where = 'state_group IN (SELECT id FROM state_groups WHERE room_id <> ?)';
    if (!where || /_content$|_segments$|_segdir$|_docsize$|_stat$/.test(t)) continue;
    const rows = await engine.query(statement(`SELECT * FROM ${quoteIdent(t)} WHERE ${where}`, [roomId]));
    out[t] = rows.map((r) => rowText(encodeRow(r))).sort().join('\n');
  }
  return out;
}

for (const kind of ENGINES) {
  describe(`${kind}: unreject through the CLI`, () => {
    for (const version of [72, 94] as const) {
      type Case = readonly ['rejection-chain' | 'rejection-cascade', 'arrival' | 'marked', string];
      const cases: Case[] = [
        ['rejection-chain', 'arrival', '10'], ['rejection-chain', 'arrival', '12'],
        ['rejection-cascade', 'arrival', '10'], ['rejection-cascade', 'marked', '12'],
        ...(version === 94 ? ([['rejection-cascade', 'marked', '10'], ['rejection-cascade', 'arrival', '12']] as Case[]) : []),
      ];
      for (const [scenario, shape, roomVersion] of cases) {
        it(`${scenario} (${shape}), schema ${version}, room version ${roomVersion}: the cure equals the healthy twin; a second run finds nothing; undo restores every row`, async () => {
          const a = await freshSynapseDatabase(kind, version);
          const b = await freshSynapseDatabase(kind, version);
          const dir = await mkdtemp(join(tmpdir(), 'sd-unreject-'));
          try {
            const s = await buildScenario(scenario, { engine: rawEngine(a.db), version, roomVersion, shape, otherEngines: [rawEngine(b.db)] });
            const before = await fingerprint(a.db.main);
            await a.db.close();
            await b.db.close();
            const room = s.roomId;
            const genuine = s.labels.genuine as string;

            const found = await runCli(['rejections', '--db', a.url, '--room', room, '--json']);
            expect(found.code, found.stderr).toBe(1);
            // exactly the root and its chain; the genuinely unauthorised event is its own merit
            const chains = JSON.parse(found.stdout).rooms[0].chains as Array<{ verdict: string; root: { event_id: string; class: string }; dependents: { event_ids: string[] } }>;
            const wrong = chains.filter((c) => c.verdict === 'looks-wrong');
            expect(wrong.map((c) => c.root.event_id)).toEqual([s.labels.root]);
            expect([...wrong[0]!.dependents.event_ids].sort()).toEqual([...(s.labels.cascade as string[])].sort());
            expect(chains.find((c) => c.root.event_id === genuine)?.root.class).toBe('own-merit');

            const sqlFile = join(dir, 'cure.sql');
            const dry = await runCli(['unreject', '--db', a.url, '--room', room, '--all-wrong', '--sql', sqlFile]);
            expect(dry.code, dry.stderr).toBe(0);
            expect(dry.stdout).toMatch(/This was a dry run/);
            expect(dry.stdout).toContain(`${s.labels.root as string}`);
            expect(dry.stdout).toMatch(/Current state, before → after/);
            expect(await readFile(sqlFile, 'utf8')).toMatch(/DELETE FROM rejections/);
            expect(await withStore(a.url, (db) => fingerprint(db.main))).toBe(before);

            const journal = join(dir, 'cure.jsonl');
            const applied = await runCli(['unreject', '--db', a.url, '--room', room, '--all-wrong', '--apply', '--journal', journal, '--no-backup']);
            expect(applied.code, applied.stderr).toBe(0);
            expect(applied.stdout).toMatch(/Restart Synapse/);

            const diff = await withStore(a.url, async (cured) => withStore(b.url, async (twin) => differences(await roomSnapshot(cured, room), await roomSnapshot(twin, room))));
            expect(diff).toEqual([]);
            const rejected = await withStore(a.url, async (db) => (await roomSnapshot(db, room)).rejected);
            expect([...rejected]).toEqual([genuine]);

            const again = await runCli(['unreject', '--db', a.url, '--room', room, '--all-wrong', '--json']);
            expect(again.code, again.stderr).toBe(0);
            expect(JSON.parse(again.stdout).nothing_to_do).toBe(true);
            const after = await runCli(['rejections', '--db', a.url, '--room', room]);
            expect(after.code).toBe(0);

            const undo = await runCli(['undo', journal, '--db', a.url, '--apply', '--no-backup', '--journal', join(dir, 'undo.jsonl')]);
            expect(undo.code, undo.stderr).toBe(0);
            expect(await withStore(a.url, (db) => fingerprint(db.main))).toBe(before);
          } finally {
            await rm(dir, { recursive: true, force: true });
            await a.cleanup();
            await b.cleanup();
          }
        });
      }
    }

    it('only the named room changes: every row of the other rooms is byte-identical', async () => {
      const fresh = await freshSynapseDatabase(kind, 94);
      try {
        const load = await generateLoad(rawEngine(fresh.db), 94, { events: 1500, rooms: 3, chainRooms: 2, batchSize: 700 });
        const room = load.roomIds[0]!;
        const others = await otherRoomsFingerprint(fresh.db.main, room);
        await fresh.db.close();
        const r = await runCli(['unreject', '--db', fresh.url, '--room', room, '--all-wrong', '--apply', '--no-backup', '--journal', join(tmpdir(), `sd-other-${process.pid}-${kind}.jsonl`)]);
        expect(r.code, r.stderr).toBe(0);
        await withStore(fresh.url, async (db) => {
          expect(await otherRoomsFingerprint(db.main, room)).toEqual(others);
          expect((await roomSnapshot(db, room)).rejected.size).toBe(0);
          // the other chain room is still broken
          expect((await roomSnapshot(db, load.roomIds[1]!)).rejected.size).toBeGreaterThan(100);
        });
      } finally {
        await fresh.cleanup();
      }
    });
  });
}

describe('cli: unreject refuses what it cannot do, with one line', () => {
  it('usage errors (exit 2) and a non-root --root (exit 3)', async () => {
    const fresh = await freshSynapseDatabase('sqlite', 94);
    try {
      const s = await buildScenario('rejection-chain', { engine: rawEngine(fresh.db), version: 94 });
      await fresh.db.close();
      const none = await runCli(['unreject', '--db', fresh.url, '--room', s.roomId]);
      expect(none.code).toBe(2);
      const both = await runCli(['unreject', '--db', fresh.url, '--room', s.roomId, '--all-wrong', '--root', s.labels.root as string]);
      expect(both.code).toBe(2);
      const dependent = (s.labels.cascade as string[])[0]!;
      const notRoot = await runCli(['unreject', '--db', fresh.url, '--room', s.roomId, '--root', dependent]);
      expect(notRoot.code).toBe(3);
      expect(notRoot.stderr).toMatch(/is not a root/);
      const genuine = await runCli(['unreject', '--db', fresh.url, '--room', s.roomId, '--root', s.labels.genuine as string]);
      expect(genuine.code).toBe(3);
      expect(genuine.stderr).toMatch(/genuinely invalid/);
      const byRoot = await runCli(['unreject', '--db', fresh.url, '--room', s.roomId, '--root', s.labels.root as string, '--json']);
      expect(byRoot.code, byRoot.stderr).toBe(0);
      expect(JSON.parse(byRoot.stdout).cure.unrejected.length).toBe(1 + (s.labels.cascade as string[]).length);
    } finally {
      await fresh.cleanup();
    }
  });
});

const DEV_CHAIN = resolve(__dirname, '../../../shared/real-synapse/dev-chain');
const haveRealSynapse = existsSync(join(DEV_CHAIN, 'hsP-broken.db'));
const havePgRestore = (() => {
  try {
    execFileSync('pg_restore', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!haveRealSynapse || !havePgRestore || !ENGINES.includes('postgres'))('real Synapse 1.67, dev-chain: Q (PostgreSQL) holds only a genuine rejection', () => {
  it('rejections finds nothing wrong, unreject has nothing to do and refuses the genuine root; nothing changes', async () => {
    const truth = JSON.parse(await readFile(join(DEV_CHAIN, '../dev-chain.json'), 'utf8')) as { room_id: string; genuinely_invalid_event_ids: string[] };
    const name = await createPgDatabase();
    try {
      const url = pgUrlFor(name);
      execFileSync('pg_restore', ['--no-owner', '--no-acl', '-d', url, join(DEV_CHAIN, 'hsQ-peer.pgdump')], { stdio: 'pipe' });
      const before = await withStore(url, (db) => fingerprint(db.main));
      const found = await runCli(['rejections', '--db', url, '--json']);
      expect(found.code, found.stderr).toBe(0);
      const report = JSON.parse(found.stdout);
      expect(report.totals).toMatchObject({ rejected: 1, looks_wrong: 0 });
      const cure = await runCli(['unreject', '--db', url, '--room', truth.room_id, '--all-wrong', '--apply']);
      expect(cure.code, cure.stderr).toBe(0);
      expect(cure.stdout).toMatch(/Nothing to do/);
      const genuine = await runCli(['unreject', '--db', url, '--room', truth.room_id, '--root', truth.genuinely_invalid_event_ids[0]!, '--apply']);
      expect(genuine.code).toBe(3);
      expect(genuine.stderr).toMatch(/genuinely invalid/);
      expect(await withStore(url, (db) => fingerprint(db.main))).toBe(before);
    } finally {
      await dropPgDatabase(name);
    }
  });
});

describe.skipIf(!haveRealSynapse)('real Synapse 1.67, dev-chain: the cure of P equals the healthy peer R', () => {
  it('root and 20 collateral un-rejected, the crafted event still rejected, the 86 accepted untouched, state equal to R', async () => {
    const truth = JSON.parse(await readFile(join(DEV_CHAIN, '../dev-chain.json'), 'utf8')) as {
      room_id: string; root_rejected_event_ids: string[]; collateral_event_ids: string[]; genuinely_invalid_event_ids: string[]; accepted_by_x_event_ids: string[];
    };
    const dir = await mkdtemp(join(tmpdir(), 'sd-devchain-'));
    try {
      const p = join(dir, 'hsP.db');
      await copyFile(join(DEV_CHAIN, 'hsP-broken.db'), p);
      const rCopy = join(dir, 'hsR.db');
      await copyFile(join(DEV_CHAIN, 'hsR-healthy-peer.db'), rCopy);
      const acceptedBefore = await withStore(p, async (db) => {
        const rows = await db.main.query<Record<string, unknown>>(statement(`SELECT * FROM events WHERE event_id IN (${truth.accepted_by_x_event_ids.map(() => '?').join(', ')})`, truth.accepted_by_x_event_ids));
        return rows.map((x) => rowText(encodeRow(x))).sort();
      });
      expect(acceptedBefore.length).toBe(86);
      const run = await runCli(['unreject', '--db', p, '--room', truth.room_id, '--all-wrong', '--apply', '--no-backup', '--journal', join(dir, 'j.jsonl')]);
      expect(run.code, run.stderr).toBe(0);
      await withStore(p, async (cured) => withStore(rCopy, async (healthy) => {
        const a = await roomSnapshot(cured, truth.room_id);
        const b = await roomSnapshot(healthy, truth.room_id);
        expect([...a.rejected]).toEqual(truth.genuinely_invalid_event_ids);
        for (const id of [...truth.root_rejected_event_ids, ...truth.collateral_event_ids]) expect(a.rejected.has(id)).toBe(false);
        expect(differences(a, b)).toEqual([]);
        const rows = await cured.main.query<Record<string, unknown>>(statement(`SELECT * FROM events WHERE event_id IN (${truth.accepted_by_x_event_ids.map(() => '?').join(', ')})`, truth.accepted_by_x_event_ids));
        expect(rows.map((x) => rowText(encodeRow(x))).sort()).toEqual(acceptedBefore);
      }));
      const again = await runCli(['unreject', '--db', p, '--room', truth.room_id, '--all-wrong', '--json']);
      expect(JSON.parse(again.stdout).nothing_to_do).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
