/**
 * Simulator throughput and `inspect` latency on a large database: an empty Synapse schema (94) is
 * filled by the simulator's load generator, then inspected the way the CLI does (a fresh read-only
 * connection, every room).
 */
import { stat } from 'node:fs/promises';
import { inspectDatabase } from '../inspect/inspect-database.js';
import { openDatabase } from '../store/open.js';
import { withGeneratedPostgres, withGeneratedSqlite } from './generated-database.js';

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
  return withGeneratedSqlite({ events, rooms }, async (path, result) => {
    const [inspectSeconds, inspectRoomSeconds] = await inspectTimes(path, result.roomIds[0]!);
    return {
      engine: 'sqlite', events: result.events, rooms: result.rooms, generateSeconds: result.seconds,
      eventsPerSecond: result.eventsPerSecond, inspectSeconds, inspectRoomSeconds, databaseBytes: (await stat(path)).size,
    };
  }, keep);
}

/** `adminUrl` names a server where we may CREATE DATABASE; the bench database is dropped afterwards. */
export async function benchLoadPostgres(adminUrl: string, events: number, rooms: number): Promise<LoadBenchResult> {
  return withGeneratedPostgres(adminUrl, { events, rooms }, async (url, result) => {
    const [inspectSeconds, inspectRoomSeconds] = await inspectTimes(url, result.roomIds[0]!);
    return {
      engine: 'postgres', events: result.events, rooms: result.rooms, generateSeconds: result.seconds,
      eventsPerSecond: result.eventsPerSecond, inspectSeconds, inspectRoomSeconds,
    };
  });
}
