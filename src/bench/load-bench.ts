/**
 * Simulator throughput and `inspect` latency on a large database: an empty Synapse schema (94) is
 * filled by the simulator's load generator, then inspected the way the CLI does (a fresh read-only
 * connection, every room).
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inspectDatabase } from '../inspect/inspect-database.js';
import { SqliteEngine } from '../store/engine/sqlite/sqlite-engine.js';
import { createSynapseSchema } from '../store/fixture-schema.js';
import { openDatabase, openEngine } from '../store/open.js';
import { generateLoad } from '../simulator/load.js';

export interface LoadBenchResult {
  engine: 'sqlite' | 'postgres';
  events: number;
  rooms: number;
  generateSeconds: number;
  eventsPerSecond: number;
  inspectSeconds: number;
  inspectRoomSeconds: number;
  databaseBytes?: number;
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const start = process.hrtime.bigint();
  const value = await fn();
  return [value, Number(process.hrtime.bigint() - start) / 1e9];
}

async function inspectTimes(db: string, roomId: string): Promise<[number, number]> {
  const [, all] = await timed(async () => {
    const handle = await openDatabase({ db });
    try {
      await inspectDatabase(handle);
    } finally {
      await handle.close();
    }
  });
  const [, one] = await timed(async () => {
    const handle = await openDatabase({ db });
    try {
      await inspectDatabase(handle, { roomId });
    } finally {
      await handle.close();
    }
  });
  return [all, one];
}

export async function benchLoadSqlite(events: number, rooms: number, keep?: string): Promise<LoadBenchResult> {
  const dir = keep ?? (await mkdtemp(join(tmpdir(), 'synapse-doctor-bench-')));
  const path = join(dir, `load-${events}.db`);
  try {
    const engine = new SqliteEngine(path, { create: true });
    let result;
    try {
      await createSynapseSchema(engine, 94);
      result = await generateLoad(engine, 94, { events, rooms });
    } finally {
      await engine.close();
    }
    const [inspectSeconds, inspectRoomSeconds] = await inspectTimes(path, result.roomIds[0]!);
    return {
      engine: 'sqlite', events: result.events, rooms: result.rooms, generateSeconds: result.seconds,
      eventsPerSecond: result.eventsPerSecond, inspectSeconds, inspectRoomSeconds, databaseBytes: (await stat(path)).size,
    };
  } finally {
    if (!keep) await rm(dir, { recursive: true, force: true });
  }
}

/** `adminUrl` names a server where we may CREATE DATABASE; the bench database is dropped afterwards. */
export async function benchLoadPostgres(adminUrl: string, events: number, rooms: number): Promise<LoadBenchResult> {
  const name = `synapse_doctor_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  try {
    const engine = await openEngine({ kind: 'postgres', url: url.toString() }, true);
    let result;
    try {
      await createSynapseSchema(engine, 94);
      result = await generateLoad(engine, 94, { events, rooms });
      await engine.exec('ANALYZE');
    } finally {
      await engine.close();
    }
    const [inspectSeconds, inspectRoomSeconds] = await inspectTimes(url.toString(), result.roomIds[0]!);
    return {
      engine: 'postgres', events: result.events, rooms: result.rooms, generateSeconds: result.seconds,
      eventsPerSecond: result.eventsPerSecond, inspectSeconds, inspectRoomSeconds,
    };
  } finally {
    await admin.query(`DROP DATABASE IF EXISTS ${name}`);
    await admin.end();
  }
}
