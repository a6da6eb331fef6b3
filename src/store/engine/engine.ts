/**
 * The database interface, in three widths (Kysely's split between a read-only view and a writable
 * one, and between compiling a statement and executing it):
 *   ReadEngine   — what diagnosing capabilities get: compile, query, stream, introspect. No writes.
 *   WriteSession — a ReadEngine that can also write; handed out inside a transaction (applyPlan,
 *                  fixture builders).
 *   Engine       — the connection itself: a WriteSession plus transactions, the write lock and
 *                  liveness hooks, backup, close. Only src/store and src/plan hold one.
 * Two implementations: SQLite (better-sqlite3) and PostgreSQL (pg). Code above src/store/engine reads
 * `capabilities`, never `kind` (which is for display), except where Synapse itself differs by engine
 * (event_search, sequences), and says so there.
 *
 * A statement is a value `{sql, params}` written once with `?` placeholders; `compile` turns it into
 * the engine's own text without a connection (PostgreSQL `$n`), and `dialect.inline` renders it
 * with literals for SQL scripts. Every driver error is mapped to a SynapseDoctorError inside the
 * engine, on every call (errors.ts codes DB_ERROR, DB_LOCKED, DB_UNREACHABLE, …).
 */
import type { ColumnInfo, IndexInfo, TriggerInfo } from '../introspect.js';

export type EngineKind = 'sqlite' | 'postgres';
export type SqlValue = string | number | bigint | boolean | null | Uint8Array;
export type Row = Record<string, unknown>;

/** A statement as a value: SQL with `?` placeholders and its parameters. */
export interface Statement {
  readonly sql: string;
  readonly params: readonly SqlValue[];
}

/** Builds a frozen Statement. */
export function statement(sql: string, params: readonly SqlValue[] = []): Statement {
  return Object.freeze({ sql, params: Object.freeze([...params]) });
}

/** A statement in one engine's own dialect, as the driver receives it. */
export interface CompiledStatement {
  readonly text: string;
  readonly values: readonly SqlValue[];
}

/** What differs between engines, as flags (Kysely's adapter), so callers never test the name. */
export interface EngineCapabilities {
  /**
   * Synapse keeps `event_search` as an FTS4 virtual table of (event_id, room_id, key, value) on
   * SQLite and as a table with a `vector tsvector` plus origin_server_ts and stream_ordering on
   * PostgreSQL (synapse/storage/databases/main/search.py).
   */
  readonly eventSearch: 'fts4' | 'tsvector';
  /** Synapse's id generators are backed by real sequences (PostgreSQL only). */
  readonly sequences: boolean;
  /**
   * How Synapse counts a state group's delta chain before refusing another delta:
   * 'edges' (SQLite loop) or 'groups' (PostgreSQL recursive query counts one more), see
   * src/simulator/state-groups.ts.
   */
  readonly stateGroupHops: 'edges' | 'groups';
  /** The database is a single local file that can be backed up online (SQLite). */
  readonly onlineBackup: boolean;
  /** Its write sessions copy rows from scratch files (WriteSession.copyFromScratch: SQLite). */
  readonly scratchCopy: boolean;
}

/** How the engine writes SQL text for a script an admin runs by hand (`--sql`). */
export interface Dialect {
  /** A value as a literal of this engine, escaped (used only for SQL files, never to execute). */
  literal(value: SqlValue): string;
  /** The statement with its parameters inlined as literals. */
  inline(stmt: Statement): string;
  /** Opens the script's one transaction. */
  readonly begin: string;
  readonly commit: string;
  /**
   * SQL that aborts the script's transaction unless `(query) = expected` (NULL-safe): a CHECK
   * constraint on a temporary table, so it works in `sqlite3` and `psql` with no extension.
   */
  guard(id: string, query: Statement, expected: SqlValue, phase: 'precondition' | 'verify'): string;
  /** Statements creating the guard table, once per script. */
  readonly guardSetup: string;
}

/** The hooks applyPlan uses around a transaction. */
export interface EngineHooks {
  /**
   * Takes the one-writer lock, separate from any transaction: fails at once with LOCK_HELD when
   * another synapse-doctor holds it. Returns the release function.
   */
  acquireWriteLock(): Promise<() => Promise<void>>;
  /** Evidence that some other process uses this database now (Synapse), and notes that prove nothing. */
  findOtherUsers(): Promise<{ evidence: string[]; notes: string[] }>;
  /** Online backup to `path` (only when capabilities.onlineBackup). */
  backup(path: string): Promise<void>;
  /**
   * The engine's own quick structural check of the database, where it has one (SQLite
   * `PRAGMA quick_check`): at most `max` problems, none when the check passes. Absent where there is
   * no such check (PostgreSQL). Read-only; `inspect --check` runs it.
   */
  quickCheck?(max: number): Promise<string[]>;
}

export interface Introspector {
  listTables(): Promise<string[]>;
  tableColumns(table: string): Promise<ColumnInfo[]>;
  tableIndexes(table: string): Promise<IndexInfo[]>;
  triggers(): Promise<TriggerInfo[]>;
  /** Tables whose ordinary full scan the planner should not replace by an index walk (SQLite `NOT INDEXED`). */
  fullScan(table: string): string;
  /** An ORDER BY key giving a table's rows in its stored order, as a full scan reads them (SQLite rowid, PostgreSQL ctid). */
  storedOrder(alias: string): string;
}

export interface ReadEngine {
  /** For display (`inspect`'s engine line); never branch on it above src/store/engine. */
  readonly kind: EngineKind;
  readonly capabilities: EngineCapabilities;
  readonly dialect: Dialect;
  readonly introspector: Introspector;
  /** True when opened without write access (SQLite `readonly`, PostgreSQL read-only transactions). */
  readonly readOnly: boolean;
  /** Human description of the target with any password masked, safe to print. */
  readonly description: string;

  /** The statement as this engine's driver receives it (no connection needed). */
  compile(stmt: Statement): CompiledStatement;
  query<T = Row>(sql: string | Statement, params?: readonly SqlValue[]): Promise<T[]>;
  queryOne<T = Row>(sql: string | Statement, params?: readonly SqlValue[]): Promise<T | undefined>;
  /** Streams rows in batches (a server-side cursor on PostgreSQL); memory stays bounded. */
  iterate<T = Row>(sql: string | Statement, params?: readonly SqlValue[], batchSize?: number): AsyncIterable<T>;
}

export interface WriteSession extends ReadEngine {
  run(sql: string | Statement, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  /**
   * Inserts many rows with one prepared statement (SQLite) or multi-row INSERTs (PostgreSQL).
   * `expressions` wraps each value in SQL with one `?` (e.g. `to_tsvector('english', ?)`).
   */
  insertMany(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[], expressions?: readonly string[]): Promise<void>;
  /** Runs a script of several statements (DDL, SQL files); no parameters. */
  exec(sql: string): Promise<void>;
  /**
   * Copies rows `from`..`to` (rowids) of `table` in a scratch file (scratch-file.ts, written by
   * another thread) into this database's `table`, in one `INSERT … SELECT`: the engine moves the
   * values itself, none pass through JavaScript. The file stays attached until the outermost
   * transaction ends, and is then deleted. Only where the engine can (SQLite).
   */
  copyFromScratch?(file: string, table: string, columns: readonly string[], from: number, to: number): Promise<void>;
  /** Batch `seq` of `table` in a scratch file, as stored (scratch-format.ts), or undefined after the last. */
  scratchBatch?(file: string, table: string, seq: number): Promise<{ from: number; to: number; batch: string } | undefined>;
  /** Nested unit inside the running transaction (a savepoint). */
  transaction<T>(fn: (tx: WriteSession) => Promise<T>): Promise<T>;
}

export interface Engine extends WriteSession {
  readonly hooks: EngineHooks;
  /** How to open this database again: the SQLite path, or the connection description (no password). */
  readonly locator: string;
  close(): Promise<void>;
}

/** Normalises the (sql, params) or Statement argument forms. */
export function toStatement(sql: string | Statement, params?: readonly SqlValue[]): Statement {
  if (typeof sql === 'string') return { sql, params: params ?? [] };
  if (params !== undefined && params.length > 0) throw new TypeError('give parameters inside the Statement, not beside it');
  return sql;
}
