/**
 * The narrow database interface every capability talks to. Two implementations: SQLite
 * (better-sqlite3) and PostgreSQL (pg). Code above this layer checks capability flags, never the
 * engine's name, except where Synapse itself differs by engine (event_search, sequences).
 *
 * SQL is written once with `?` placeholders; the PostgreSQL engine rewrites them to `$n`.
 * Values: integers come back as JS numbers (Synapse's bigints stay below 2^53), booleans as
 * JS booleans only where the reader normalises them (SQLite stores 0/1).
 */
export type EngineKind = 'sqlite' | 'postgres';
export type SqlValue = string | number | bigint | boolean | null | Uint8Array;
export type Row = Record<string, unknown>;

export interface Engine {
  readonly kind: EngineKind;
  /** True when opened without write access (SQLite `readonly`, PostgreSQL read-only transactions). */
  readonly readOnly: boolean;
  /** Human description of the target with any password masked, safe to print. */
  readonly description: string;

  query<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]>;
  queryOne<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined>;
  run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }>;
  /** Streams rows in batches (a server-side cursor on PostgreSQL); memory stays bounded. */
  iterate<T = Row>(sql: string, params?: readonly SqlValue[], batchSize?: number): AsyncIterable<T>;
  /** Inserts many rows with one prepared statement / multi-row INSERTs. */
  insertMany(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[]): Promise<void>;
  /** Runs a script of several statements (DDL); no parameters. */
  exec(sql: string): Promise<void>;
  /** Runs fn in one transaction; commits if it resolves, rolls back if it throws. */
  transaction<T>(fn: (tx: Engine) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
