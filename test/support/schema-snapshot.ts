/**
 * A comparable description of a database's schema, table by table: columns (name, type,
 * nullability, default), constraints (PostgreSQL: kind, definition, validated), indexes (definition),
 * triggers; SQLite additionally the CREATE text sqlite_master keeps. Used to compare our fixtures
 * with databases loaded from real Synapse dumps.
 */
import type { ReadEngine as Engine } from '../../src/store/engine/engine.js';
import { listTables, tableColumns, tableIndexes, triggers } from '../../src/store/introspect.js';

export interface TableSnapshot {
  columns: unknown[];
  constraints: unknown[];
  indexes: unknown[];
  triggers: unknown[];
  sql?: string | null;
}

export async function schemaSnapshot(engine: Engine): Promise<{ tables: Record<string, TableSnapshot>; extras: unknown[] }> {
  const tables: Record<string, TableSnapshot> = {};
  const allTriggers = await triggers(engine);
  for (const table of await listTables(engine)) {
    const snap: TableSnapshot = {
      columns: await tableColumns(engine, table),
      constraints: [],
      indexes: (await tableIndexes(engine, table)).map((i) => ({ name: i.name, unique: i.unique, definition: i.definition })),
      triggers: allTriggers.filter((t) => t.table === table).map((t) => ({ name: t.name, definition: t.definition })),
    };
    if (engine.kind === 'sqlite') {
      snap.sql = (await engine.queryOne<{ sql: string | null }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [table]))?.sql ?? null;
      snap.constraints = await engine.query('SELECT "table", "from", "to", on_update, on_delete FROM pragma_foreign_key_list(?) ORDER BY id, seq', [table]);
    } else {
      snap.constraints = await engine.query(
        `SELECT conname AS name, contype AS kind, pg_get_constraintdef(c.oid) AS definition, convalidated AS validated,
                condeferrable AS deferrable, condeferred AS deferred
           FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
          WHERE n.nspname = current_schema() AND t.relname = ? ORDER BY conname`,
        [table],
      );
    }
    tables[table] = snap;
  }
  const extras = engine.kind === 'postgres'
    ? [
        await engine.query("SELECT sequencename, data_type::text AS type, start_value, increment_by, cycle FROM pg_sequences WHERE schemaname = current_schema() ORDER BY sequencename"),
        await engine.query("SELECT p.proname AS name, pg_get_functiondef(p.oid) AS def FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema() ORDER BY p.proname"),
        await engine.query("SELECT c.relname AS name, c.relpersistence AS persistence FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r' ORDER BY c.relname"),
      ]
    : [await engine.query("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE type IN ('index', 'trigger', 'view') ORDER BY type, name")];
  return { tables, extras };
}
