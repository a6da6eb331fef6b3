/**
 * What tables, columns, indexes and triggers a database really has, learnt from the engine's
 * catalogue (each engine's introspector: PRAGMA on SQLite, pg_catalog on PostgreSQL) and cached per
 * connection: no hard-coded column lists that rot as Synapse's schema moves.
 */
import type { ReadEngine } from './engine/engine.js';

export interface ColumnInfo {
  name: string;
  /** Declared type as the engine reports it (SQLite: as written; PostgreSQL: format_type). */
  type: string;
  notNull: boolean;
  /** Default expression text, or null. */
  default: string | null;
}
export interface IndexInfo {
  name: string;
  table: string;
  unique: boolean;
  /** CREATE INDEX text (null for SQLite's automatic indexes). */
  definition: string | null;
}
export interface TriggerInfo {
  name: string;
  table: string;
  definition: string;
}

const caches = new WeakMap<ReadEngine, Map<string, unknown>>();

async function cached<T>(engine: ReadEngine, key: string, load: () => Promise<T>): Promise<T> {
  let cache = caches.get(engine);
  if (!cache) caches.set(engine, (cache = new Map()));
  if (cache.has(key)) return cache.get(key) as T;
  const value = await load();
  cache.set(key, value);
  return value;
}

/** Forget what was learnt (after DDL). */
export function clearIntrospectionCache(engine: ReadEngine): void {
  caches.delete(engine);
}

/** Ordinary tables (and SQLite virtual tables), sorted; SQLite internals and FTS shadows excluded. */
export function listTables(engine: ReadEngine): Promise<string[]> {
  return cached(engine, 'tables', () => engine.introspector.listTables());
}

export async function hasTable(engine: ReadEngine, table: string): Promise<boolean> {
  return (await listTables(engine)).includes(table);
}

export function tableColumns(engine: ReadEngine, table: string): Promise<ColumnInfo[]> {
  return cached(engine, `columns:${table}`, () => engine.introspector.tableColumns(table));
}

export async function hasColumn(engine: ReadEngine, table: string, column: string): Promise<boolean> {
  return (await tableColumns(engine, table)).some((c) => c.name === column);
}

export function tableIndexes(engine: ReadEngine, table: string): Promise<IndexInfo[]> {
  return cached(engine, `indexes:${table}`, () => engine.introspector.tableIndexes(table));
}

export function triggers(engine: ReadEngine): Promise<TriggerInfo[]> {
  return cached(engine, 'triggers', () => engine.introspector.triggers());
}
