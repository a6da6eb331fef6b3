/**
 * `import-history` on one large room, next to a raw copy of the same rows on the same machine in
 * the same run. The source is a generated SQLite database (one room); the target a fresh
 * database that knows the room (its `rooms` row) but holds none of its events, so every event is
 * imported. Raw copy: SQLite `INSERT INTO … SELECT` from the attached source (same page cache);
 * PostgreSQL `COPY` of the same rows (the engine's bulk path; `event_search` through to_tsvector,
 * as the import writes it). Target (issue: history import): at
 * least half the raw copy's rate, peak memory under 500 MB.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { SqliteEngine } from '../store/engine/sqlite/sqlite-engine.js';
import type { Engine, SqlValue, WriteSession } from '../store/engine/engine.js';
import { statement } from '../store/engine/engine.js';
import { createSynapseSchema } from '../store/fixture-schema.js';
import { openEngine } from '../store/open.js';
import { eventSearchShape, type EventSearchRow } from '../store/writers/synapse-rows.js';
import { withGeneratedSqlite } from './generated-database.js';

export interface ImportBenchResult {
  engine: 'sqlite' | 'postgres';
  events: number;
  rows: number;
  seconds: number;
  planSeconds: number;
  eventsPerSecond: number;
  maxRssMiB: number;
  rawSeconds: number;
  rawEventsPerSecond: number;
}

const CHILD = fileURLToPath(new URL('./import-child.js', import.meta.url));

/** Tables copied raw, with the condition that picks the room's rows. */
const RAW: Array<[string, string]> = [
  ['events', 'room_id = ?'],
  ['event_json', 'room_id = ?'],
  ['state_events', 'room_id = ?'],
  ['event_auth', 'room_id = ?'],
  ['event_edges', 'event_id IN (SELECT event_id FROM events WHERE room_id = ?)'],
  ['room_memberships', 'room_id = ?'],
  ['event_relations', 'event_id IN (SELECT event_id FROM events WHERE room_id = ?)'],
  ['redactions', 'event_id IN (SELECT event_id FROM events WHERE room_id = ?)'],
  ['event_to_state_groups', 'event_id IN (SELECT event_id FROM events WHERE room_id = ?)'],
  ['state_groups', 'room_id = ?'],
  ['state_groups_state', 'room_id = ?'],
  ['state_group_edges', 'state_group IN (SELECT id FROM state_groups WHERE room_id = ?)'],
];

async function copyRoomRow(source: string, target: Engine, roomId: string): Promise<void> {
  const s = new SqliteEngine(source, { readOnly: true });
  try {
    const room = await s.queryOne<Record<string, SqlValue>>(statement('SELECT * FROM rooms WHERE room_id = ?', [roomId]));
    await target.transaction(async (tx) => tx.insertMany('rooms', Object.keys(room!), [Object.values(room!).map((v) => (typeof v === 'boolean' ? v : v))]));
  } finally {
    await s.close();
  }
}

function runChild(from: string, to: string, room: string, journal: string, batch: number): { seconds: number; planSeconds: number; maxRssMiB: number; events: number; rows: number } {
  const out = execFileSync(process.execPath, [CHILD, from, to, room, journal, String(batch)], { encoding: 'utf8', maxBuffer: 1 << 20 });
  return JSON.parse(out.trim().split('\n').pop()!);
}

async function rawSqlite(source: string, target: string, roomId: string): Promise<number> {
  const t = new SqliteEngine(target, {});
  try {
    const started = process.hrtime.bigint();
    t.handle.exec(`ATTACH DATABASE '${source.replace(/'/g, "''")}' AS s`);
    t.handle.exec('BEGIN');
    for (const [table, where] of RAW) t.handle.prepare(`INSERT INTO main.${table} SELECT * FROM s.${table} WHERE ${where.replace(/FROM (events|state_groups)/, 'FROM s.$1')}`).run(roomId);
    t.handle.prepare('INSERT INTO main.event_search (event_id, room_id, key, value) SELECT event_id, room_id, key, value FROM s.event_search WHERE room_id = ?').run(roomId);
    t.handle.exec('COMMIT');
    return Number(process.hrtime.bigint() - started) / 1e9;
  } finally {
    await t.close();
  }
}

/** Inserts rows in batches of 5,000 (the engine's bulk path: COPY on PostgreSQL). */
async function insertInBatches(tx: WriteSession, table: string, columns: readonly string[], rows: AsyncIterable<SqlValue[]>, expressions?: readonly string[]): Promise<void> {
  let batch: SqlValue[][] = [];
  for await (const row of rows) {
    batch.push(row);
    if (batch.length >= 5000) {
      await tx.insertMany(table, columns, batch, expressions);
      batch = [];
    }
  }
  if (batch.length > 0) await tx.insertMany(table, columns, batch, expressions);
}

async function* mapRows<T, U>(rows: AsyncIterable<T>, f: (row: T) => U): AsyncIterable<U> {
  for await (const row of rows) yield f(row);
}

async function rawPostgres(source: string, target: Engine, roomId: string): Promise<number> {
  const s = new SqliteEngine(source, { readOnly: true });
  try {
    const started = process.hrtime.bigint();
    await target.transaction(async (tx) => {
      for (const [table, where] of RAW) {
        const cols = s.handle.prepare(`SELECT * FROM ${table}`).columns().map((c) => c.name);
        await insertInBatches(tx, table, cols, mapRows(s.iterate<Record<string, SqlValue>>(statement(`SELECT * FROM ${table} WHERE ${where}`, [roomId])), (row) => cols.map((c) => row[c] ?? null)));
      }
      // event_search in PostgreSQL's form, as the import writes it: the vector is to_tsvector of the
      // value (search.py), with the event's origin_server_ts and stream_ordering.
      const shape = eventSearchShape(target);
      const search = statement('SELECT s.event_id, s.room_id, s.key, s.value, e.origin_server_ts, e.stream_ordering FROM event_search s JOIN events e ON e.event_id = s.event_id WHERE s.room_id = ?', [roomId]);
      await insertInBatches(tx, 'event_search', shape.columns, mapRows(s.iterate<EventSearchRow>(search), shape.values), shape.expressions);
    });
    return Number(process.hrtime.bigint() - started) / 1e9;
  } finally {
    await s.close();
  }
}

export async function benchImport(events: number, engines: readonly string[], pgAdminUrl: () => Promise<{ url: string; stop(): Promise<void> }>, batch = 100_000): Promise<ImportBenchResult[]> {
  return withGeneratedSqlite({ events, rooms: 1 }, async (source, gen) => {
    const roomId = gen.roomIds[0]!;
    const dir = await mkdtemp(join(tmpdir(), 'synapse-doctor-bench-import-'));
    const out: ImportBenchResult[] = [];
    try {
      for (const engine of engines) {
        if (engine === 'sqlite') {
          const fresh = async (name: string): Promise<string> => {
            const path = join(dir, name);
            const e = new SqliteEngine(path, { create: true });
            await createSynapseSchema(e, 94);
            await copyRoomRow(source, e, roomId);
            await e.close();
            return path;
          };
          const r = runChild(source, await fresh('import.db'), roomId, join(dir, 'import.jsonl'), batch);
          const rawSeconds = await rawSqlite(source, await fresh('raw.db'), roomId);
          out.push({ engine: 'sqlite', events: r.events, rows: r.rows, seconds: r.seconds, planSeconds: r.planSeconds, eventsPerSecond: r.events / r.seconds, maxRssMiB: r.maxRssMiB, rawSeconds, rawEventsPerSecond: gen.events / rawSeconds });
        } else {
          const server = await pgAdminUrl();
          try {
            const admin = new pg.Client({ connectionString: server.url });
            await admin.connect();
            const fresh = async (name: string): Promise<{ url: string; engine: Engine }> => {
              await admin.query(`CREATE DATABASE ${name} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
              const u = new URL(server.url);
              u.pathname = `/${name}`;
              const e = await openEngine({ kind: 'postgres', url: u.toString() }, true);
              await createSynapseSchema(e, 94);
              await copyRoomRow(source, e, roomId);
              return { url: u.toString(), engine: e };
            };
            const a = await fresh(`sd_bench_import_${process.pid}`);
            await a.engine.close();
            const r = runChild(source, a.url, roomId, join(dir, 'import-pg.jsonl'), batch);
            const b = await fresh(`sd_bench_raw_${process.pid}`);
            const rawSeconds = await rawPostgres(source, b.engine, roomId);
            await b.engine.close();
            await admin.query(`DROP DATABASE sd_bench_import_${process.pid}`);
            await admin.query(`DROP DATABASE sd_bench_raw_${process.pid}`);
            await admin.end();
            out.push({ engine: 'postgres', events: r.events, rows: r.rows, seconds: r.seconds, planSeconds: r.planSeconds, eventsPerSecond: r.events / r.seconds, maxRssMiB: r.maxRssMiB, rawSeconds, rawEventsPerSecond: gen.events / rawSeconds });
          } finally {
            await server.stop();
          }
        }
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
    return out;
  });
}
