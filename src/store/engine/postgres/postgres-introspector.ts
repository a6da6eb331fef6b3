/** PostgreSQL's catalogue (pg_catalog, current schema only), for src/store/introspect.ts. */
import type { Introspector, ReadEngine } from '../engine.js';
import type { TriggerInfo } from '../../introspect.js';
import { quoteIdent } from '../sql-text.js';

export function postgresIntrospector(engine: ReadEngine): Introspector {
  return {
    async listTables() {
      const rows = await engine.query<{ name: string }>(
        "SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p') ORDER BY c.relname",
      );
      return rows.map((r) => r.name);
    },
    async tableColumns(table) {
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
    },
    async tableIndexes(table) {
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
    },
    triggers() {
      return engine.query<TriggerInfo>(
        `SELECT t.tgname AS name, c.relname AS "table", pg_get_triggerdef(t.oid) AS definition
           FROM pg_trigger t
           JOIN pg_class c ON c.oid = t.tgrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
          WHERE n.nspname = current_schema() AND NOT t.tgisinternal
          ORDER BY c.relname, t.tgname`,
      );
    },
    fullScan: (table) => quoteIdent(table),
    storedOrder: (alias) => `${alias}.ctid`,
  };
}
