/**
 * SQLite engine on better-sqlite3. Synapse runs every SQLite connection with
 * `PRAGMA foreign_keys = ON` (synapse/storage/engines/sqlite.py), so we do too: the same constraints
 * and triggers apply to our writes as to Synapse's.
 *
 * better-sqlite3 is synchronous; the async surface only satisfies the Engine interface. One
 * connection per engine. While an `iterate` is open, reads on the same engine work but writes throw
 * (SQLite connection busy): collect first, write after. Every driver error is mapped to a
 * SynapseDoctorError (sqlite-errors.ts) where it happens.
 */
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { CompiledStatement, Engine, EngineCapabilities, EngineHooks, Introspector, Row, SqlValue, Statement, WriteSession } from '../engine.js';
import { toStatement } from '../engine.js';
import { compileFor } from '../dialects.js';
import { quoteIdent, savepointName } from '../sql-text.js';
import { BATCHES_TABLE } from '../scratch-format.js';
import { sqliteDialect } from './sqlite-dialect.js';
import { mapSqliteError } from './sqlite-errors.js';
import { SynapseDoctorError } from '../../../errors.js';
import { acquireLockFile, sqliteOtherUsers } from './sqlite-hooks.js';
import { sqliteIntrospector } from './sqlite-introspector.js';

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
/** Values bound per multi-row INSERT (well under SQLite's 32,766 host parameters). */
const MULTI_ROW_VALUES = 240;

const CAPABILITIES: EngineCapabilities = Object.freeze({
  eventSearch: 'fts4',
  sequences: false,
  stateGroupHops: 'edges',
  onlineBackup: true,
  scratchCopy: true,
});

/** A value as SQLite binds it: booleans as 0/1. */
const sqliteValue = (v: SqlValue): unknown => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

function bind(params: readonly SqlValue[] | undefined): unknown[] {
  if (!params) return [];
  // copied only when a boolean must become 0/1 (bulk inserts bind millions of rows)
  for (let i = 0; i < params.length; i++) if (typeof params[i] === 'boolean') return params.map(sqliteValue);
  return params as unknown[];
}

export class SqliteEngine implements Engine {
  readonly kind = 'sqlite' as const;
  readonly capabilities = CAPABILITIES;
  readonly dialect = sqliteDialect;
  readonly introspector: Introspector;
  readonly hooks: EngineHooks;
  readonly readOnly: boolean;
  readonly description: string;
  readonly path: string;
  /** The underlying handle, for store code that needs SQLite-only features (pragmas). */
  readonly handle: Database.Database;
  private readonly cache = new Map<string, Stmt>();
  private depth = 0;
  /** Scratch files attached in the running transaction (file → schema name). */
  private readonly scratch = new Map<string, string>();

  constructor(path: string, options: SqliteEngineOptions = {}) {
    this.path = path;
    this.readOnly = options.readOnly ?? false;
    this.description = options.description ?? `sqlite:${path}`;
    try {
      this.handle = new Database(path, {
        readonly: this.readOnly,
        fileMustExist: !(options.create ?? false),
        timeout: options.busyTimeoutMs ?? 5000,
      });
      this.handle.pragma('foreign_keys = ON');
      // 64 MiB of page cache (the default is 2 MiB): scans that look events up by id touch the
      // same index pages again and again
      this.handle.pragma('cache_size = -65536');
    } catch (e) {
      throw mapSqliteError(e, path);
    }
    this.introspector = sqliteIntrospector(this);
    this.hooks = {
      acquireWriteLock: async () => acquireLockFile(this.path, this.description),
      findOtherUsers: async () => sqliteOtherUsers(this.path),
      backup: async (dest) => {
        try {
          await this.handle.backup(dest);
        } catch (e) {
          throw mapSqliteError(e, this.path);
        }
      },
      quickCheck: async (max) => this.quickCheck(max),
    };
  }

  /**
   * `PRAGMA quick_check(N)`: one row "ok", or up to N rows each naming a problem. Damage bad enough
   * that the pragma itself fails (SQLITE_CORRUPT) is reported as the one problem found.
   */
  private quickCheck(max: number): string[] {
    const n = Math.max(1, Math.floor(max));
    try {
      const rows = this.handle.pragma(`quick_check(${n})`) as Record<string, unknown>[];
      const found = rows.map((r) => String(Object.values(r)[0]));
      return found.length === 1 && found[0] === 'ok' ? [] : found.slice(0, n);
    } catch (e) {
      const code = (e as { code?: string }).code ?? '';
      if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return [`quick_check stopped: ${(e as Error).message}`];
      this.fail(e);
    }
  }

  private fail(e: unknown): never {
    throw mapSqliteError(e, this.path);
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

  compile(stmt: Statement): CompiledStatement {
    return compileFor('sqlite', stmt);
  }

  async query<T = Row>(sql: string | Statement, params?: readonly SqlValue[]): Promise<T[]> {
    const s = toStatement(sql, params);
    try {
      const stmt = this.prepare(s.sql);
      if (!stmt.reader) {
        stmt.run(...bind(s.params));
        return [];
      }
      return stmt.all(...bind(s.params)) as T[];
    } catch (e) {
      this.fail(e);
    }
  }

  async queryOne<T = Row>(sql: string | Statement, params?: readonly SqlValue[]): Promise<T | undefined> {
    const s = toStatement(sql, params);
    try {
      const stmt = this.prepare(s.sql);
      if (!stmt.reader) {
        stmt.run(...bind(s.params));
        return undefined;
      }
      return stmt.get(...bind(s.params)) as T | undefined;
    } catch (e) {
      this.fail(e);
    }
  }

  async run(sql: string | Statement, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    const s = toStatement(sql, params);
    try {
      const stmt = this.prepare(s.sql);
      if (stmt.reader) {
        stmt.all(...bind(s.params));
        return { changes: 0 };
      }
      return { changes: stmt.run(...bind(s.params)).changes };
    } catch (e) {
      this.fail(e);
    }
  }

  async *iterate<T = Row>(sql: string | Statement, params?: readonly SqlValue[], batchSize = 1000): AsyncIterable<T> {
    const s = toStatement(sql, params);
    let it: IterableIterator<T>;
    try {
      // A fresh statement: a cached one may already be iterating (nested iterations of one query).
      it = this.handle.prepare(s.sql).iterate(...bind(s.params)) as IterableIterator<T>;
    } catch (e) {
      this.fail(e);
    }
    try {
      for (;;) {
        const batch: T[] = [];
        let done = false;
        try {
          while (batch.length < batchSize) {
            const next = it.next();
            if (next.done) { done = true; break; }
            batch.push(next.value);
          }
        } catch (e) {
          this.fail(e);
        }
        for (const row of batch) yield row;
        if (done) return;
      }
    } finally {
      it.return?.();
    }
  }

  get locator(): string {
    return this.path;
  }

  /** Gives back the page cache's memory (a connection that has done its big reads). */
  releaseMemory(): void {
    this.handle.pragma('shrink_memory');
  }

  /** The page cache (KiB): smaller for a connection whose reads gain little from one (an import's worker), larger for one probing large indexes (fsck's event pass). */
  setPageCache(kib: number): void {
    this.handle.pragma(`cache_size = -${Math.max(512, Math.floor(kib))}`);
  }

  async insertMany(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[], expressions?: readonly string[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      const cols = columns.map(quoteIdent).join(', ');
      const marks = `(${columns.map((_c, i) => expressions?.[i] ?? '?').join(', ')})`;
      const stmt = this.prepare(`INSERT INTO ${quoteIdent(table)} (${cols}) VALUES ${marks}`);
      // Several rows per statement: each run of a statement costs about as much as binding a
      // row's values (an import's scratch file, 100,000 event_json rows: 350 -> 250 ms).
      const per = Math.max(1, Math.floor(MULTI_ROW_VALUES / Math.max(1, columns.length)));
      const many = per > 1 && rows.length >= per ? this.prepare(`INSERT INTO ${quoteIdent(table)} (${cols}) VALUES ${Array(per).fill(marks).join(', ')}`) : undefined;
      const insertAll = this.handle.transaction((all: readonly (readonly SqlValue[])[]) => {
        let i = 0;
        if (many) {
          const values: unknown[] = new Array(per * columns.length);
          for (; i + per <= all.length; i += per) {
            let k = 0;
            for (let r = i; r < i + per; r++) {
              const row = all[r]!;
              if (row.length !== columns.length) throw new SynapseDoctorError('INTERNAL', `a row of ${row.length} values for the ${columns.length} columns of ${table}`);
              for (const v of row) values[k++] = sqliteValue(v);
            }
            many.run(values);
          }
        }
        for (; i < all.length; i++) stmt.run(bind(all[i]));
      });
      // Inside our own transaction better-sqlite3 nests with a savepoint; outside it makes one.
      insertAll(rows);
    } catch (e) {
      this.fail(e);
    }
  }

  async exec(sql: string): Promise<void> {
    try {
      this.handle.exec(sql);
    } catch (e) {
      this.fail(e);
    }
  }

  /** The schema a scratch file is attached as in the running transaction (attached on first use). */
  private scratchSchema(file: string): string {
    let schema = this.scratch.get(file);
    if (!schema) {
      // SQLite attaches at most 10 databases; DETACH waits for the transaction's end
      schema = `sd_scratch_${this.scratch.size}`;
      this.handle.prepare(`ATTACH DATABASE ? AS ${schema}`).run(file);
      this.scratch.set(file, schema);
    }
    return schema;
  }

  async copyFromScratch(file: string, table: string, columns: readonly string[], from: number, to: number): Promise<void> {
    try {
      const schema = this.scratchSchema(file);
      const cols = columns.map(quoteIdent).join(', ');
      this.prepare(`INSERT INTO main.${quoteIdent(table)} (${cols}) SELECT ${cols} FROM ${schema}.${quoteIdent(table)} WHERE rowid BETWEEN ? AND ?`).run(from, to);
    } catch (e) {
      this.fail(e);
    }
  }

  async scratchBatch(file: string, table: string, seq: number): Promise<{ from: number; to: number; batch: string } | undefined> {
    try {
      const schema = this.scratchSchema(file);
      const row = this.prepare(`SELECT from_rowid, to_rowid, batch FROM ${schema}.${BATCHES_TABLE} WHERE tbl = ? AND seq = ?`).get(table, seq) as { from_rowid: number; to_rowid: number; batch: string } | undefined;
      return row && { from: row.from_rowid, to: row.to_rowid, batch: row.batch };
    } catch (e) {
      this.fail(e);
    }
  }

  /** Detaches (and deletes) the scratch files once the outermost transaction has ended. */
  private dropScratch(): void {
    // the cached copy statements stay: they name the schema, which the next file attached reuses
    for (const [file, schema] of this.scratch) {
      this.handle.exec(`DETACH DATABASE ${schema}`);
      rmSync(file, { force: true });
    }
    this.scratch.clear();
  }

  private execControl(sql: string): void {
    try {
      this.handle.exec(sql);
    } catch (e) {
      this.fail(e);
    }
  }

  /**
   * Runs fn in one transaction (BEGIN IMMEDIATE: SQLite's write lock, waiting at most the busy
   * timeout), nested calls as savepoints; commits if fn resolves, rolls back if it throws. Errors
   * thrown by fn pass through unchanged.
   */
  async transaction<T>(fn: (tx: WriteSession) => Promise<T>): Promise<T> {
    const outer = this.depth === 0;
    const sp = savepointName(this.depth);
    this.execControl(outer ? (this.readOnly ? 'BEGIN' : 'BEGIN IMMEDIATE') : `SAVEPOINT ${sp}`);
    this.depth++;
    let result: T;
    try {
      result = await fn(this);
    } catch (e) {
      this.depth--;
      if (this.handle.open && this.handle.inTransaction) {
        try {
          this.handle.exec(outer ? 'ROLLBACK' : `ROLLBACK TO ${sp}; RELEASE ${sp}`);
        } catch (rollbackError) {
          throw new AggregateError([e, mapSqliteError(rollbackError, this.path)], `rollback failed after: ${(e as Error).message}`);
        }
      }
      if (outer && this.handle.open) this.dropScratch();
      throw e;
    }
    this.depth--;
    try {
      this.handle.exec(outer ? 'COMMIT' : `RELEASE ${sp}`);
    } catch (e) {
      if (outer && this.handle.inTransaction) this.handle.exec('ROLLBACK');
      if (outer) this.dropScratch();
      this.fail(e);
    }
    if (outer) this.dropScratch();
    return result;
  }

  async close(): Promise<void> {
    this.cache.clear();
    if (this.handle.open) this.handle.close();
  }
}
