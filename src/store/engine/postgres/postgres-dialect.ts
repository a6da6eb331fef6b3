/**
 * PostgreSQL's SQL text for scripts (`--sql`): literals, the transaction and the guards.
 *
 * Strings: '…' with quotes doubled when they hold neither a backslash nor a character that must not
 * reach a terminal raw; otherwise E'…' with backslashes doubled and those characters as \uXXXX, so
 * the text never depends on `standard_conforming_strings`. bytea: decode('…', 'hex'). Booleans
 * TRUE/FALSE.
 *
 * Guards: a failed statement aborts a PostgreSQL transaction and its COMMIT becomes a ROLLBACK, so
 * each precondition and verification is an INSERT into a temporary table whose CHECK demands
 * success, run where it stands.
 */
import type { Dialect, SqlValue, Statement } from '../engine.js';
import { inlineParams, numberLiteral, UNSAFE_IN_SCRIPT } from '../sql-text.js';

const UNSAFE_GLOBAL = new RegExp(UNSAFE_IN_SCRIPT.source, 'g');

export function postgresLiteral(value: SqlValue): string {
  if (value === null) return 'NULL';
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (typeof value === 'number') return numberLiteral(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) {
    return `decode('${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}', 'hex')`;
  }
  if (value.includes('\u0000')) throw new RangeError('PostgreSQL text cannot hold NUL characters');
  if (!value.includes('\\') && !UNSAFE_IN_SCRIPT.test(value)) return `'${value.replace(/'/g, "''")}'`;
  const body = value
    .replace(/\\/g, '\\\\')
    .replace(/'/g, "''")
    .replace(UNSAFE_GLOBAL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return `E'${body}'`;
}

export const postgresDialect: Dialect = {
  literal: postgresLiteral,
  inline: (stmt: Statement) => inlineParams(stmt.sql, stmt.params, postgresLiteral),
  begin: 'BEGIN;',
  commit: 'COMMIT;',
  guardSetup: 'CREATE TEMP TABLE synapse_doctor_guard (id text NOT NULL, ok boolean NOT NULL CHECK (ok)) ON COMMIT DROP;',
  guard(id, query, expected) {
    const test = `(${inlineParams(query.sql, query.params, postgresLiteral)}) IS NOT DISTINCT FROM ${postgresLiteral(expected)}`;
    return `INSERT INTO synapse_doctor_guard (id, ok) SELECT ${postgresLiteral(id)}, ${test};`;
  },
};
