/**
 * SQLite engine on better-sqlite3. Synapse runs every SQLite connection with
 * `PRAGMA foreign_keys = ON` (synapse/storage/engines/sqlite.py), so we do too: the same constraints
 * and triggers apply to our writes as to Synapse's.
 *
 * better-sqlite3 is synchronous; the async surface only satisfies the Engine interface. One
 * connection per engine. While an `iterate` is open, reads on the same engine work but writes throw
 * (SQLite connection busy): collect first, write after.
 */
import Database from 'better-sqlite3';
import type { Engine, Row, SqlValue } from '../engine.js';
import { quoteIdent, savepointName } from '../sql-text.js';

export interface SqliteEngineOptions {
  readOnly?: boolean;
  /** Create the file when missing. openDatabase never sets this; fixtures and tests do. */
  create?: boolean;
  /** Milliseconds to wait on a locked database before SQLITE_BUSY. */
  busyTimeoutMs?: number;
  description?: string;
}

type Stmt = Database.Statement<unknown[], unknown>;
const STATEMENT_CACHE_SIZE = 200;

function bind(params: readonly SqlValue[] | undefined): unknown[] {
  if (!params) return [];
  return params.map((p) => (typeof p === 'boolean' ? (p ? 1 : 0) : p));
}

export class SqliteEngine implements Engine {
  readonly kind = 'sqlite' as const;
  readonly readOnly: boolean;
  readonly description: string;
  readonly path: string;
  /** The underlying handle, for store code that needs SQLite-only features (pragmas, backups). */
  readonly handle: Database.Database;
  private readonly cache = new Map<string, Stmt>();
  private depth = 0;

  constructor(path: string, options: SqliteEngineOptions = {}) {
    this.path = path;
    this.readOnly = options.readOnly ?? false;
    this.description = options.description ?? `sqlite:${path}`;
    this.handle = new Database(path, {
      readonly: this.readOnly,
      fileMustExist: !(options.create ?? false),
      timeout: options.busyTimeoutMs ?? 5000,
    });
    this.handle.pragma('foreign_keys = ON');
  }

  private prepare(sql: string): Stmt {
    let stmt = this.cache.get(sql);
    if (stmt) {
      this.cache.delete(sql); // re-insert to keep LRU order
      this.cache.set(sql, stmt);
      return stmt;
    }
    stmt = this.handle.prepare(sql);
    this.cache.set(sql, stmt);
    if (this.cache.size > STATEMENT_CACHE_SIZE) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    return stmt;
  }

  async query<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    const stmt = this.prepare(sql);
    if (!stmt.reader) {
      stmt.run(...bind(params));
      return [];
    }
    return stmt.all(...bind(params)) as T[];
  }

  async queryOne<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    const stmt = this.prepare(sql);
    if (!stmt.reader) {
      stmt.run(...bind(params));
      return undefined;
    }
    return stmt.get(...bind(params)) as T | undefined;
  }

  async run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    const stmt = this.prepare(sql);
    if (stmt.reader) {
      stmt.all(...bind(params));
      return { changes: 0 };
    }
    return { changes: stmt.run(...bind(params)).changes };
  }

  async *iterate<T = Row>(sql: string, params?: readonly SqlValue[], batchSize = 1000): AsyncIterable<T> {
    // A fresh statement: a cached one may already be iterating (nested iterations of one query).
    const it = this.handle.prepare(sql).iterate(...bind(params)) as IterableIterator<T>;
    try {
      for (;;) {
        const batch: T[] = [];
        let done = false;
        while (batch.length < batchSize) {
          const next = it.next();
          if (next.done) { done = true; break; }
          batch.push(next.value);
        }
        for (const row of batch) yield row;
        if (done) return;
      }
    } finally {
      it.return?.();
    }
  }

  async insertMany(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[]): Promise<void> {
    if (rows.length === 0) return;
    const cols = columns.map(quoteIdent).join(', ');
    const marks = columns.map(() => '?').join(', ');
    const stmt = this.prepare(`INSERT INTO ${quoteIdent(table)} (${cols}) VALUES (${marks})`);
    const insertAll = this.handle.transaction((all: readonly (readonly SqlValue[])[]) => {
      for (const row of all) stmt.run(...bind(row));
    });
    // Inside our own transaction better-sqlite3 nests with a savepoint; outside it makes one.
    insertAll(rows);
  }

  async exec(sql: string): Promise<void> {
    this.handle.exec(sql);
  }

  async transaction<T>(fn: (tx: Engine) => Promise<T>): Promise<T> {
    const outer = this.depth === 0;
    const sp = savepointName(this.depth);
    this.handle.exec(outer ? (this.readOnly ? 'BEGIN' : 'BEGIN IMMEDIATE') : `SAVEPOINT ${sp}`);
    this.depth++;
    let result: T;
    try {
      result = await fn(this);
    } catch (e) {
      this.depth--;
      if (this.handle.open && this.handle.inTransaction) {
        this.handle.exec(outer ? 'ROLLBACK' : `ROLLBACK TO ${sp}; RELEASE ${sp}`);
      }
      throw e;
    }
    this.depth--;
    try {
      this.handle.exec(outer ? 'COMMIT' : `RELEASE ${sp}`);
    } catch (e) {
      if (outer && this.handle.inTransaction) this.handle.exec('ROLLBACK');
      throw e;
    }
    return result;
  }

  /**
   * Starts a BEGIN IMMEDIATE transaction that lasts until the returned function is called (used by
   * src/store/lock.ts): fails at once with SQLITE_BUSY if another connection holds the write lock.
   * transaction() calls in between become savepoints.
   */
  beginWriteLock(): (rollback: boolean) => void {
    if (this.depth !== 0) throw new Error('beginWriteLock inside a transaction');
    const timeout = this.handle.pragma('busy_timeout', { simple: true }) as number;
    this.handle.pragma('busy_timeout = 0');
    try {
      this.handle.exec('BEGIN IMMEDIATE');
    } finally {
      this.handle.pragma(`busy_timeout = ${Number(timeout)}`);
    }
    this.depth = 1;
    return (rollback) => {
      this.depth = 0;
      if (this.handle.open && this.handle.inTransaction) this.handle.exec(rollback ? 'ROLLBACK' : 'COMMIT');
    };
  }

  async close(): Promise<void> {
    this.cache.clear();
    if (this.handle.open) this.handle.close();
  }
}

