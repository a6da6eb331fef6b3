/**
 * Engine-specific memory and threading facts for capabilities that read a database from a
 * second thread (import-history's worker): kept here so that no capability branches on the engine.
 */
import type { ReadEngine } from './engine.js';
import { SqliteEngine } from './sqlite/sqlite-engine.js';
import type { PostgresEngine } from './postgres/postgres-engine.js';

/** The page cache (KiB) of an SQLite connection: smaller for reads that gain little from one, larger for a thread probing large indexes; nothing on PostgreSQL (the server's). */
export function setPageCache(engine: ReadEngine, kib: number): void {
  if (engine instanceof SqliteEngine) engine.setPageCache(kib);
}

/**
 * Readies a connection that reads a table in many short pages (fsck's event pass): on PostgreSQL
 * no parallel plans, since starting a page's parallel workers costs more than the page (measured
 * on 1,000,000 events: 80 -> 58 ms a page of 2,000, and those workers' CPU is the other threads');
 * nothing on SQLite.
 */
export async function forManyShortReads(engine: ReadEngine): Promise<void> {
  if (engine.kind === 'postgres') await (engine as PostgresEngine).withoutParallelPlans();
}

/** Gives back an SQLite connection's page cache; nothing on PostgreSQL. */
export function releaseMemory(engine: ReadEngine): void {
  if (engine instanceof SqliteEngine) engine.releaseMemory();
}

/**
 * The file another thread can open to read the same database without blocking this one (SQLite:
 * better-sqlite3 blocks its thread), or undefined (PostgreSQL reads are asynchronous already, and
 * a URL without its password could not be reopened).
 */
export function fileForAnotherThread(main: ReadEngine, state: ReadEngine): string | undefined {
  return main instanceof SqliteEngine && state === main ? main.locator : undefined;
}

/**
 * How another thread of this process opens the same main database on a connection of its own, to
 * read it beside this one: the SQLite file, or PostgreSQL's URL with its password (given to the
 * thread in memory, never printed). Undefined when the engine cannot say.
 */
export function mainForAnotherThread(main: ReadEngine): string | undefined {
  if (main instanceof SqliteEngine) return main.locator;
  return main.kind === 'postgres' ? (main as PostgresEngine).urlForAnotherThread : undefined;
}
