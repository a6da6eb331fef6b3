/**
 * What tables, columns, indexes and triggers a database really has, learnt from the engine's
 * catalogue (PRAGMA on SQLite, information_schema / pg_catalog on PostgreSQL) and cached per
 * connection: no hard-coded column lists that rot as Synapse's schema moves.
 */
import type { Engine } from './engine/engine.js';

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

const caches = new WeakMap<Engine, Map<string, unknown>>();

async function cached<T>(engine: Engine, key: string, load: () => Promise<T>): Promise<T> {
  let cache = caches.get(engine);
  if (!cache) caches.set(engine, (cache = new Map()));
  if (cache.has(key)) return cache.get(key) as T;
  const value = await load();
  cache.set(key, value);
  return value;
}

/** Forget what was learnt (after DDL). */
export function clearIntrospectionCache(engine: Engine): void {
  caches.delete(engine);
}

/** Ordinary tables (and SQLite virtual tables), sorted; SQLite internals and FTS shadows excluded. */
export function listTables(engine: Engine): Promise<string[]> {
  return cached(engine, 'tables', async () => {
    if (engine.kind === 'sqlite') {
      const rows = await engine.query<{ name: string; sql: string | null }>(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
      );
      const virtual = rows.filter((r) => /^CREATE\s+VIRTUAL/i.test(r.sql ?? '')).map((r) => r.name);
      const shadow = (n: string) => virtual.some((v) => /^_(content|segments|segdir|docsize|stat|config|data|idx)$/.test(n.slice(v.length)) && n.startsWith(v));
      return rows.map((r) => r.name).filter((n) => !shadow(n));
    }
    const rows = await engine.query<{ name: string }>(
      "SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname",
    );
    return rows.map((r) => r.name);
  });
}

export async function hasTable(engine: Engine, table: string): Promise<boolean> {
  return (await listTables(engine)).includes(table);
}

export function tableColumns(engine: Engine, table: string): Promise<ColumnInfo[]> {
  return cached(engine, `columns:${table}`, async () => {
    if (engine.kind === 'sqlite') {
      const rows = await engine.query<{ name: string; type: string; notnull: number; dflt_value: string | null }>(
        'SELECT name, type, "notnull", dflt_value FROM pragma_table_info(?) ORDER BY cid',
        [table],
      );
      return rows.map((r) => ({ name: r.name, type: r.type, notNull: r.notnull === 1, default: r.dflt_value }));
    }
    const rows = await engine.query<{ name: string; type: string; notnull: boolean; dflt: string | null }>(
      `SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
              pg_get_expr(d.adbin, d.adrelid) AS dflt
         FROM pg_attribute a
         JOIN pg_class c ON c.oid = a.attrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
         LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE n.nspname = current_schema() AND c.relname = ? AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum`,
      [table],
    );
    return rows.map((r) => ({ name: r.name, type: r.type, notNull: r.notnull, default: r.dflt }));
  });
}

export async function hasColumn(engine: Engine, table: string, column: string): Promise<boolean> {
  return (await tableColumns(engine, table)).some((c) => c.name === column);
}

export function tableIndexes(engine: Engine, table: string): Promise<IndexInfo[]> {
  return cached(engine, `indexes:${table}`, async () => {
    if (engine.kind === 'sqlite') {
      const rows = await engine.query<{ name: string; unique: number; sql: string | null }>(
        `SELECT l.name AS name, l."unique" AS "unique", m.sql AS sql
           FROM pragma_index_list(?) l LEFT JOIN sqlite_master m ON m.type = 'index' AND m.name = l.name
          ORDER BY l.name`,
        [table],
      );
      return rows.map((r) => ({ name: r.name, table, unique: r.unique === 1, definition: r.sql }));
    }
    const rows = await engine.query<{ name: string; unique: boolean; def: string }>(
      `SELECT i.relname AS name, x.indisunique AS "unique", pg_get_indexdef(x.indexrelid) AS def
         FROM pg_index x
         JOIN pg_class i ON i.oid = x.indexrelid
         JOIN pg_class t ON t.oid = x.indrelid
         JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = current_schema() AND t.relname = ?
        ORDER BY i.relname`,
      [table],
    );
    return rows.map((r) => ({ name: r.name, table, unique: r.unique, definition: r.def }));
  });
}

export function triggers(engine: Engine): Promise<TriggerInfo[]> {
  return cached(engine, 'triggers', async () => {
    if (engine.kind === 'sqlite') {
      return engine.query<TriggerInfo>(
        "SELECT name, tbl_name AS \"table\", sql AS definition FROM sqlite_master WHERE type = 'trigger' ORDER BY name",
      );
    }
    return engine.query<TriggerInfo>(
      `SELECT t.tgname AS name, c.relname AS "table", pg_get_triggerdef(t.oid) AS definition
         FROM pg_trigger t
         JOIN pg_class c ON c.oid = t.tgrelid
         JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname = current_schema() AND NOT t.tgisinternal
        ORDER BY c.relname, t.tgname`,
    );
  });
}
