/** SQLite's catalogue (sqlite_master, pragma table-valued functions), for src/store/introspect.ts. */
import type { Introspector, ReadEngine } from '../engine.js';
import type { TriggerInfo } from '../../introspect.js';
import { quoteIdent } from '../sql-text.js';

const FTS_SHADOW = /^_(content|segments|segdir|docsize|stat|config|data|idx)$/;

export function sqliteIntrospector(engine: ReadEngine): Introspector {
  return {
    async listTables() {
      const rows = await engine.query<{ name: string; sql: string | null }>(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name",
      );
      const virtual = rows.filter((r) => /^CREATE\s+VIRTUAL/i.test(r.sql ?? '')).map((r) => r.name);
      const shadow = (n: string) => virtual.some((v) => n.startsWith(v) && FTS_SHADOW.test(n.slice(v.length)));
      return rows.map((r) => r.name).filter((n) => !shadow(n));
    },
    async tableColumns(table) {
      const rows = await engine.query<{ name: string; type: string; notnull: number; dflt_value: string | null }>(
        'SELECT name, type, "notnull", dflt_value FROM pragma_table_info(?) ORDER BY cid',
        [table],
      );
      return rows.map((r) => ({ name: r.name, type: r.type, notNull: r.notnull === 1, default: r.dflt_value }));
    },
    async tableIndexes(table) {
      const rows = await engine.query<{ name: string; unique: number; sql: string | null }>(
        `SELECT l.name AS name, l."unique" AS "unique", m.sql AS sql
           FROM pragma_index_list(?) l LEFT JOIN sqlite_master m ON m.type = 'index' AND m.name = l.name
          ORDER BY l.name`,
        [table],
      );
      return rows.map((r) => ({ name: r.name, table, unique: r.unique === 1, definition: r.sql }));
    },
    triggers() {
      return engine.query<TriggerInfo>(
        "SELECT name, tbl_name AS \"table\", sql AS definition FROM sqlite_master WHERE type = 'trigger' ORDER BY name",
      );
    },
    // A whole-table count through an index on SQLite walks the index and the table: slower.
    fullScan: (table) => `${quoteIdent(table)} NOT INDEXED`,
    storedOrder: (alias) => `${alias}.rowid`,
  };
}
