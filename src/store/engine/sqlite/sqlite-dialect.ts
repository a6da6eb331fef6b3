/**
 * SQLite's SQL text for scripts (`--sql`): literals, the transaction and the guards.
 *
 * Strings with characters that must not reach a terminal raw (UNSAFE_IN_SCRIPT), or with NUL, are
 * written as `CAST(X'…' AS TEXT)`, their exact UTF-8 bytes; everything else as '…' with quotes
 * doubled. Blobs are X'…', booleans 1/0 (how Synapse stores them on SQLite).
 *
 * Guards: the `sqlite3` shell goes on after a failed statement unless run with `-bail`, so a
 * precondition only records its result at the start; just before COMMIT every recorded result and
 * every verification is inserted with `INSERT OR ROLLBACK` into a table whose CHECK demands success:
 * one failure rolls the whole transaction back, and the COMMIT that follows finds none to commit.
 */
import type { Dialect, SqlValue, Statement } from '../engine.js';
import { inlineParams, numberLiteral, UNSAFE_IN_SCRIPT } from '../sql-text.js';

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase();
}

export function sqliteLiteral(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'number') return numberLiteral(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return `X'${hex(value)}'`;
  if (UNSAFE_IN_SCRIPT.test(value)) return `CAST(X'${hex(Buffer.from(value, 'utf8'))}' AS TEXT)`;
  return `'${value.replace(/'/g, "''")}'`;
}

const PRE = 'temp.synapse_doctor_preconditions';
const GUARD = 'temp.synapse_doctor_guard';

export const sqliteDialect: Dialect = {
  literal: sqliteLiteral,
  inline: (stmt: Statement) => inlineParams(stmt.sql, stmt.params, sqliteLiteral),
  begin: 'BEGIN IMMEDIATE;',
  commit: [
    `INSERT OR ROLLBACK INTO ${GUARD} (id, ok) SELECT id, ok FROM ${PRE};`,
    `DROP TABLE IF EXISTS ${PRE};`,
    `DROP TABLE IF EXISTS ${GUARD};`,
    'COMMIT;',
  ].join('\n'),
  guardSetup: [
    `CREATE TEMP TABLE synapse_doctor_preconditions (id TEXT NOT NULL, ok INTEGER);`,
    `CREATE TEMP TABLE synapse_doctor_guard (id TEXT NOT NULL, ok INTEGER NOT NULL CHECK (ok = 1));`,
  ].join('\n'),
  guard(id, query, expected, phase) {
    const test = `(${inlineParams(query.sql, query.params, sqliteLiteral)}) IS ${sqliteLiteral(expected)}`;
    const table = phase === 'precondition' ? PRE : GUARD;
    const verb = phase === 'precondition' ? 'INSERT INTO' : 'INSERT OR ROLLBACK INTO';
    return `${verb} ${table} (id, ok) SELECT ${sqliteLiteral(id)}, ${test};`;
  },
};
