/**
 * `extremities` as an admin runs it, through the built CLI, read back through fresh connections,
 * on both engines: a simulated room whose DAG forked four ways (test/extremities/forks-room.ts),
 * plus extremity rows a damaged database could hold (an ancestor of another extremity, an outlier,
 * a soft-failed event, an event we lack). The listing's flags and order are right; a prune dry run
 * writes nothing; its --sql script, run by sqlite3 / psql, leaves what --apply leaves; --apply
 * leaves exactly what Synapse's admin API would (the rule re-stated here from
 * synapse/storage/databases/main/events_forward_extremities.py, not taken from our code), with
 * --keep 3 too; no other table and no other room changes; `undo` restores every row. Also: bad
 * input is one line with its exit code, and a read-only listing of a database written by a real
 * Synapse 1.67 (../shared/real-synapse, when present).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, type SynapseDatabase } from '../../src/store/open.js';
import type { EngineKind } from '../../src/store/engine/engine.js';
import { statement } from '../../src/store/engine/engine.js';
import { createPgDatabase, dropPgDatabase, ENGINES, freshSynapseDatabase, pgUrlFor, rawEngine } from '../support/engines.js';
import { fingerprint, tableFingerprints } from '../support/fingerprint.js';
import { expectOneErrorLine, runCli } from '../cli/run-cli.js';
import { buildForksRoom, type ForksRoom } from './forks-room.js';

async function withStore<T>(url: string, fn: (db: SynapseDatabase) => Promise<T>): Promise<T> {
  const db = await openDatabase({ db: url });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

async function extremityIds(url: string, roomId: string): Promise<string[]> {
  return withStore(url, async (db) => (await db.main.query<{ event_id: string }>(statement('SELECT event_id FROM event_forward_extremities WHERE room_id = ?', [roomId]))).map((r) => r.event_id).sort());
}

/**
 * Synapse's rule, re-stated: the extremity to keep is the one with the highest events.stream_ordering
 * among the room's extremity rows whose event is in `events` for that room (INNER JOIN events USING
 * (room_id, event_id) … ORDER BY stream_ordering DESC LIMIT 1); every other row of the room goes.
 * `--keep N` extends LIMIT 1 to LIMIT N.
 */
async function synapseWouldKeep(url: string, roomId: string, n: number): Promise<string[]> {
  const rows = await withStore(url, (db) => db.main.query<{ event_id: string; stream_ordering: number }>(statement(
    'SELECT x.event_id, e.stream_ordering FROM event_forward_extremities x JOIN events e ON e.room_id = x.room_id AND e.event_id = x.event_id WHERE x.room_id = ?',
    [roomId],
  )));
  return rows.sort((a, b) => Number(b.stream_ordering) - Number(a.stream_ordering)).slice(0, n).map((r) => r.event_id).sort();
}

/** A second database holding the same rows (SQLite: a file copy; PostgreSQL: CREATE DATABASE … TEMPLATE). */
async function copyDatabase(kind: EngineKind, url: string, dir: string): Promise<{ url: string; cleanup(): Promise<void> }> {
  if (kind === 'sqlite') {
    const path = join(dir, 'copy.db');
    await copyFile(url, path);
    return { url: path, cleanup: async () => undefined };
  }
  const name = await createPgDatabase(new URL(url).pathname.slice(1));
  return { url: pgUrlFor(name), cleanup: () => dropPgDatabase(name) };
}

function runScript(kind: EngineKind, url: string, file: string): void {
  if (kind === 'sqlite') execFileSync('sqlite3', ['-bail', url], { input: readFileSync(file, 'utf8'), stdio: ['pipe', 'pipe', 'pipe'] });
  else execFileSync('psql', ['-v', 'ON_ERROR_STOP=1', '-q', '-f', file, url], { stdio: 'pipe' });
}

interface ListedExtremity {
  event_id: string;
  missing: boolean;
  sender: string | null;
  depth: number | null;
  stream_ordering: number | null;
  type: string | null;
  state_key: string | null;
  age_ms: number | null;
  rejected: boolean;
  soft_failed: boolean;
  outlier: boolean;
  has_descendant: boolean | 'unknown';
  descendant: string | null;
}

/** Makes extremities of events Synapse's rule never would: what a hand edit or an old bug leaves. */
async function damage(db: SynapseDatabase, roomId: string, eventIds: readonly string[]): Promise<void> {
  for (const id of eventIds) await rawEngine(db).run('INSERT INTO event_forward_extremities (event_id, room_id) VALUES (?, ?)', [id, roomId]);
}

for (const kind of ENGINES) {
  describe(`${kind}: extremities`, () => {
    it('lists every extremity with its flags; prune (dry run, --sql, --apply, --keep 3) leaves what Synapse\'s admin API leaves; undo restores', async () => {
      const fresh = await freshSynapseDatabase(kind, 94);
      const dir = await mkdtemp(join(tmpdir(), 'sd-extremities-'));
      let copy: { url: string; cleanup(): Promise<void> } | undefined;
      try {
        const r: ForksRoom = await buildForksRoom(rawEngine(fresh.db));
        const l = r.labels;
        // the simulator's own extremities: the ban, B's new head, C's head, D's head (marked rejected later)
        expect(r.extremities).toEqual([l.ban, l.b3, l.c2, l.d2Rejected].sort());
        await damage(fresh.db, r.roomId, [l.b1, l.c3Outlier, l.e2SoftFailed]);
        await fresh.db.close();
        const url = fresh.url;
        const room = r.roomId;
        const before = await withStore(url, (db) => tableFingerprints(db.main));
        const beforeAll = await withStore(url, (db) => fingerprint(db.main));
        const otherBefore = await extremityIds(url, r.otherRoomId);
        expect(otherBefore).toEqual(r.otherExtremities);
        expect(otherBefore.length).toBe(2);

        // The listing.
        const t0 = Date.now();
        const listed = await runCli(['extremities', '--db', url, '--room', room, '--json']);
        expect(listed.code, listed.stderr).toBe(0);
        const listing = JSON.parse(listed.stdout) as { room_id: string; count: number; extremities: ListedExtremity[]; walk: { complete: boolean } };
        expect(listing.count).toBe(7);
        expect(listing.walk.complete).toBe(true);
        const byId = new Map(listing.extremities.map((x) => [x.event_id, x]));
        expect([...byId.keys()].sort()).toEqual([l.ban, l.b3, l.c2, l.d2Rejected, l.b1, l.c3Outlier, l.e2SoftFailed].sort());
        // what the events table says, read here directly
        const stored = await withStore(url, (db) => db.main.query<{ event_id: string; sender: string; depth: number; stream_ordering: number; origin_server_ts: number; type: string }>(statement(
          `SELECT event_id, sender, depth, stream_ordering, origin_server_ts, type FROM events WHERE event_id IN (${listing.extremities.map(() => '?').join(', ')})`,
          listing.extremities.map((x) => x.event_id),
        )));
        for (const s of stored) {
          const x = byId.get(s.event_id)!;
          expect([x.sender, x.depth, x.stream_ordering, x.type]).toEqual([s.sender, Number(s.depth), Number(s.stream_ordering), s.type]);
          expect(x.age_ms!).toBeGreaterThanOrEqual(t0 - Number(s.origin_server_ts));
          expect(x.age_ms!).toBeLessThanOrEqual(Date.now() - Number(s.origin_server_ts));
        }
        // newest first by stream ordering
        const streams = listing.extremities.map((x) => x.stream_ordering!);
        expect([...streams].sort((a, b) => b - a)).toEqual(streams);
        // flags
        const flags = (id: string) => { const x = byId.get(id)!; return { rejected: x.rejected, soft_failed: x.soft_failed, outlier: x.outlier, missing: x.missing, has_descendant: x.has_descendant, descendant: x.descendant }; };
        const none = { rejected: false, soft_failed: false, outlier: false, missing: false, has_descendant: false, descendant: null };
        expect(flags(l.b1)).toEqual({ ...none, has_descendant: true, descendant: l.b3 }); // b1 → b2 → b3
        expect(flags(l.c2)).toEqual({ ...none, has_descendant: true, descendant: l.c3Outlier }); // the outlier cites C's head
        expect(flags(l.c3Outlier)).toEqual({ ...none, outlier: true });
        expect(flags(l.d2Rejected)).toEqual({ ...none, rejected: true });
        expect(flags(l.e2SoftFailed)).toEqual({ ...none, soft_failed: true });
        expect(flags(l.b3)).toEqual(none);
        expect(flags(l.ban)).toEqual(none);
        expect(byId.get(l.ban)!.state_key).toBe('@erin:e.example');

        const text = await runCli(['extremities', '--db', url, '--room', room]);
        expect(text.code, text.stderr).toBe(0);
        expect(text.stdout).toContain('7 forward extremities');
        const lineOf = (id: string) => text.stdout.split('\n').find((x) => x.startsWith(id)) ?? '';
        expect(lineOf(l.b1)).toMatch(/has-descendant$/);
        expect(lineOf(l.d2Rejected)).toMatch(/rejected$/);
        expect(lineOf(l.c3Outlier)).toMatch(/outlier$/);
        expect(lineOf(l.e2SoftFailed)).toMatch(/soft-failed$/);
        expect(text.stdout).toContain(`${l.b1} is an ancestor of ${l.b3}`);

        // a walk stopped by its bound says so, and claims nothing it did not see
        const bounded = await runCli(['extremities', '--db', url, '--room', room, '--json', '--walk-limit', '1']);
        expect(bounded.code, bounded.stderr).toBe(0);
        const b = JSON.parse(bounded.stdout) as { walk: { complete: boolean }; extremities: ListedExtremity[] };
        expect(b.walk.complete).toBe(false);
        expect(b.extremities.some((x) => x.has_descendant === 'unknown')).toBe(true);
        expect(b.extremities.every((x) => x.has_descendant !== false)).toBe(true);

        // Dry run with --sql: nothing written, a script saved.
        const sqlFile = join(dir, 'prune.sql');
        const dry = await runCli(['extremities', '--db', url, '--room', room, '--prune', '--sql', sqlFile]);
        expect(dry.code, dry.stderr).toBe(0);
        expect(dry.stdout).toMatch(/This was a dry run/);
        expect(dry.stdout).toMatch(/keeps 1 .* deletes 6/);
        expect(dry.stdout).toMatch(/restart Synapse/);
        expect(await withStore(url, (db) => fingerprint(db.main))).toBe(beforeAll);
        const scriptText = await readFile(sqlFile, 'utf8');
        expect(scriptText).toMatch(/BEGIN/);
        expect(scriptText).toMatch(/DELETE FROM event_forward_extremities WHERE room_id = /);
        expect(scriptText).toMatch(/COMMIT/);

        const keep1 = await synapseWouldKeep(url, room, 1);
        expect(keep1).toEqual([l.b3]);
        const keep3 = await synapseWouldKeep(url, room, 3);
        expect(keep3).toEqual([l.b3, l.e2SoftFailed, l.d2Rejected].sort());

        // The script, run by the engine's own shell on a copy, leaves the kept one.
        copy = await copyDatabase(kind, url, dir);
        runScript(kind, copy.url, sqlFile);
        expect(await extremityIds(copy.url, room)).toEqual(keep1);

        // --apply: exactly what the admin API leaves; nothing else changes.
        const journal = join(dir, 'prune.jsonl');
        const applied = await runCli(['extremities', '--db', url, '--room', room, '--prune', '--apply', '--journal', journal, '--no-backup']);
        expect(applied.code, applied.stderr).toBe(0);
        expect(applied.stdout).toMatch(/Restart Synapse/);
        expect(await extremityIds(url, room)).toEqual(keep1);
        expect(await extremityIds(url, r.otherRoomId)).toEqual(otherBefore);
        const after = await withStore(url, (db) => tableFingerprints(db.main));
        const changed = Object.keys(before).filter((t) => before[t] !== after[t]);
        expect(changed).toEqual(['event_forward_extremities']);
        expect(await withStore(copy.url, (db) => tableFingerprints(db.main))).toEqual(after);

        // again: nothing to do
        const again = await runCli(['extremities', '--db', url, '--room', room, '--prune', '--json']);
        expect(again.code, again.stderr).toBe(0);
        expect(JSON.parse(again.stdout).nothing_to_do).toBe(true);

        const undo = await runCli(['undo', journal, '--db', url, '--apply', '--no-backup', '--journal', join(dir, 'undo.jsonl')]);
        expect(undo.code, undo.stderr).toBe(0);
        expect(await withStore(url, (db) => fingerprint(db.main))).toBe(beforeAll);

        // --keep 3
        const journal3 = join(dir, 'prune3.jsonl');
        const three = await runCli(['extremities', '--db', url, '--room', room, '--prune', '--keep', '3', '--apply', '--json', '--journal', journal3, '--no-backup']);
        expect(three.code, three.stderr).toBe(0);
        const out3 = JSON.parse(three.stdout) as { applied: boolean; extremities: { kept: ListedExtremity[]; deleted: ListedExtremity[] } };
        expect(out3.applied).toBe(true);
        expect(out3.extremities.kept.map((x) => x.event_id).sort()).toEqual(keep3);
        expect(out3.extremities.deleted.length).toBe(4);
        expect(await extremityIds(url, room)).toEqual(keep3);
        expect(await extremityIds(url, r.otherRoomId)).toEqual(otherBefore);
        const undo3 = await runCli(['undo', journal3, '--db', url, '--apply', '--no-backup', '--journal', join(dir, 'undo3.jsonl')]);
        expect(undo3.code, undo3.stderr).toBe(0);
        expect(await withStore(url, (db) => fingerprint(db.main))).toBe(beforeAll);
      } finally {
        await copy?.cleanup();
        await rm(dir, { recursive: true, force: true });
        await fresh.cleanup();
      }
    });

    it('schema 72: an extremity naming an event we lack is listed as missing and pruned; a room with no stored extremity is refused', async () => {
      const fresh = await freshSynapseDatabase(kind, 72);
      const dir = await mkdtemp(join(tmpdir(), 'sd-extremities-'));
      try {
        const r = await buildForksRoom(rawEngine(fresh.db));
        const missing = '$not-stored-here:x.example';
        await damage(fresh.db, r.roomId, [missing]);
        // the other room: only rows naming events we lack
        await rawEngine(fresh.db).run('DELETE FROM event_forward_extremities WHERE room_id = ?', [r.otherRoomId]);
        await damage(fresh.db, r.otherRoomId, ['$gone-1:x.example', '$gone-2:x.example']);
        await fresh.db.close();
        const url = fresh.url;

        const listed = await runCli(['extremities', '--db', url, '--room', r.roomId, '--json']);
        expect(listed.code, listed.stderr).toBe(0);
        const xs = (JSON.parse(listed.stdout) as { extremities: ListedExtremity[] }).extremities;
        expect(xs.length).toBe(5);
        const m = xs.find((x) => x.event_id === missing)!;
        expect(m).toMatchObject({ missing: true, sender: null, depth: null, stream_ordering: null, has_descendant: 'unknown' });
        expect(xs[xs.length - 1]!.event_id).toBe(missing); // ranked last: Synapse's join cannot pick it
        const text = await runCli(['extremities', '--db', url, '--room', r.roomId]);
        expect(text.stdout.split('\n').find((x) => x.startsWith(missing))).toMatch(/\(not in events\)\s+missing$/);

        const keep = await synapseWouldKeep(url, r.roomId, 1);
        expect(keep).toEqual([r.labels.b3]);
        const before = await withStore(url, (db) => fingerprint(db.main));
        const applied = await runCli(['extremities', '--db', url, '--room', r.roomId, '--prune', '--apply', '--journal', join(dir, 'p.jsonl'), '--no-backup']);
        expect(applied.code, applied.stderr).toBe(0);
        expect(await extremityIds(url, r.roomId)).toEqual(keep);

        const refused = await runCli(['extremities', '--db', url, '--room', r.otherRoomId, '--prune']);
        expect(refused.code).toBe(5);
        expect(expectOneErrorLine(refused.stderr).message).toMatch(/none of the 2 forward extremities .* names an event stored in this room/);
        const undo = await runCli(['undo', join(dir, 'p.jsonl'), '--db', url, '--apply', '--no-backup', '--journal', join(dir, 'u.jsonl')]);
        expect(undo.code, undo.stderr).toBe(0);
        expect(await withStore(url, (db) => fingerprint(db.main))).toBe(before);

        // a room with no extremity row at all: an empty listing, and nothing to prune
        const w = await openDatabase({ db: url, write: true });
        try {
          await rawEngine(w).run('DELETE FROM event_forward_extremities WHERE room_id = ?', [r.otherRoomId]);
        } finally {
          await w.close();
        }
        const empty = await runCli(['extremities', '--db', url, '--room', r.otherRoomId, '--json']);
        expect(empty.code, empty.stderr).toBe(0);
        expect(JSON.parse(empty.stdout)).toMatchObject({ count: 0, extremities: [] });
        const nothing = await runCli(['extremities', '--db', url, '--room', r.otherRoomId, '--prune', '--json']);
        expect(nothing.code, nothing.stderr).toBe(0);
        expect(JSON.parse(nothing.stdout)).toMatchObject({ nothing_to_do: true, kept: [], deleted: [] });
      } finally {
        await rm(dir, { recursive: true, force: true });
        await fresh.cleanup();
      }
    });
  });
}

describe('cli: extremities refuses bad input with one line', () => {
  it('an unknown room is exit 3; plan flags without --prune and a bad --keep are exit 2', async () => {
    const fresh = await freshSynapseDatabase('sqlite', 94);
    try {
      await fresh.db.close();
      const unknown = await runCli(['extremities', '--db', fresh.url, '--room', '!nowhere:x.example']);
      expect(unknown.code).toBe(3);
      expect(expectOneErrorLine(unknown.stderr).message).toMatch(/room !nowhere:x.example is not in this database/);
      const prune = await runCli(['extremities', '--db', fresh.url, '--room', '!nowhere:x.example', '--prune']);
      expect(prune.code).toBe(3);
      for (const args of [['--apply'], ['--keep', '2'], ['--prune', '--keep', '0'], ['--prune', '--keep', 'two'], ['--walk-limit', '0']]) {
        const bad = await runCli(['extremities', '--db', fresh.url, '--room', '!nowhere:x.example', ...args]);
        expect(bad.code, args.join(' ')).toBe(2);
        expectOneErrorLine(bad.stderr);
      }
    } finally {
      await fresh.cleanup();
    }
  });
});

const REAL = resolve(import.meta.dirname, '../../../shared/real-synapse/dev-chain/hsR-healthy-peer.db');

describe.skipIf(!existsSync(REAL))('real Synapse 1.67 database (dev-chain R): extremities reads it', () => {
  it('lists the room\'s forward extremities as stored, and a prune has nothing to do', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sd-extremities-real-'));
    try {
      const db = join(dir, 'hsR.db');
      await copyFile(REAL, db);
      const rows = await withStore(db, (s) => s.main.query<{ room_id: string; event_id: string; depth: number; stream_ordering: number; sender: string }>(
        'SELECT x.room_id, x.event_id, e.depth, e.stream_ordering, e.sender FROM event_forward_extremities x JOIN events e ON e.event_id = x.event_id ORDER BY x.room_id',
      ));
      expect(rows.length).toBeGreaterThan(0);
      const room = rows[0]!.room_id;
      const mine = rows.filter((x) => x.room_id === room);
      const before = await withStore(db, (s) => fingerprint(s.main));
      const listed = await runCli(['extremities', '--db', db, '--room', room, '--json']);
      expect(listed.code, listed.stderr).toBe(0);
      const xs = (JSON.parse(listed.stdout) as { extremities: ListedExtremity[] }).extremities;
      expect(xs.map((x) => [x.event_id, x.depth, x.stream_ordering, x.sender]).sort()).toEqual(mine.map((x) => [x.event_id, Number(x.depth), Number(x.stream_ordering), x.sender]).sort());
      for (const x of xs) expect([x.missing, x.rejected, x.outlier, x.soft_failed]).toEqual([false, false, false, false]);
      const text = await runCli(['extremities', '--db', db, '--room', room]);
      expect(text.code, text.stderr).toBe(0);
      const prune = await runCli(['extremities', '--db', db, '--room', room, '--prune', '--json']);
      expect(prune.code, prune.stderr).toBe(0);
      if (mine.length === 1) expect(JSON.parse(prune.stdout).nothing_to_do).toBe(true);
      expect(await withStore(db, (s) => fingerprint(s.main))).toBe(before);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
