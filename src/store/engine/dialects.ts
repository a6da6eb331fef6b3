/**
 * Each engine's SQL text, without a connection: compile a statement for an engine (PostgreSQL
 * `$n` placeholders) or render it with literals (SQL files), from the engine's name alone. Used
 * to print or save plans for a database that is not open.
 */
import type { CompiledStatement, Dialect, EngineKind, Statement } from './engine.js';
import { toDollarParams } from './postgres/placeholders.js';
import { postgresDialect } from './postgres/postgres-dialect.js';
import { sqliteDialect } from './sqlite/sqlite-dialect.js';

export const DIALECTS: Readonly<Record<EngineKind, Dialect>> = { sqlite: sqliteDialect, postgres: postgresDialect };

/** The statement as `kind`'s driver receives it. */
export function compileFor(kind: EngineKind, stmt: Statement): CompiledStatement {
  return { text: kind === 'postgres' ? toDollarParams(stmt.sql) : stmt.sql, values: stmt.params };
}
