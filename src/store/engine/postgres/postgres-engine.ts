/**
 * PostgreSQL engine on one pg.Client (not a pool: one session keeps transactions, advisory locks
 * and the read-only setting in one place). SQL is written with `?` and compiled to `$n`.
 *
 * int8 and numeric come back as JS numbers; a value beyond 2^53 throws rather than losing digits.
 * Date and time types come back as PostgreSQL's own text, so a row read and written back is
 * unchanged. Read-only engines set `default_transaction_read_only = on` for the session, so every
 * write fails on the server. Nested `transaction()` calls and iterations inside a transaction use
 * savepoints / the running transaction. One engine serves one logical flow at a time. Every driver
 * error is mapped to a SynapseDoctorError (postgres-errors.ts) where it happens; a failure while
 * cleaning up (closing a cursor, rolling back) is reported with the error that caused it.
 */
import pg from 'pg';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import { from as copyFrom } from 'pg-copy-streams';
import { SynapseDoctorError } from '../../../errors.js';
import type { CompiledStatement, Engine, EngineCapabilities, EngineHooks, Introspector, Row, SqlValue, Statement, WriteSession } from '../engine.js';
import { toStatement } from '../engine.js';
import { compileFor } from '../dialects.js';
import { quoteIdent, savepointName } from '../sql-text.js';
import { postgresDialect } from './postgres-dialect.js';
import { mapPostgresError } from './postgres-errors.js';
import { postgresIntrospector } from './postgres-introspector.js';

/** PostgreSQL's limit on bind parameters in one statement. */
export const PG_MAX_PARAMS = 65_535;
const MAX_ROWS_PER_INSERT = 1000;

/** What our sessions call themselves in pg_stat_activity. */
export const APPLICATION_NAME = 'synapse-doctor';

/** "syndocto" in ASCII: the advisory lock key every synapse-doctor process uses. */
export const ADVISORY_LOCK_KEY = 0x73796e646f63746fn;

const INT8_OID = 20;
const NUMERIC_OID = 1700;
/** date, time, timestamp, timestamptz, interval, timetz: kept as text. */
const TEXT_KEPT_OIDS = new Set([1082, 1083, 1114, 1184, 1186, 1266]);

const CAPABILITIES: EngineCapabilities = Object.freeze({
  eventSearch: 'tsvector',
  sequences: true,
  stateGroupHops: 'groups',
  onlineBackup: false,
  scratchCopy: false,
});

function toSafeNumber(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) && Number.isInteger(n)) {
    throw new RangeError(`integer ${text} is beyond 2^53 and cannot be represented exactly`);
  }
  return n;
}

const typeParsers = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8_OID || oid === NUMERIC_OID) return toSafeNumber;
    if (TEXT_KEPT_OIDS.has(oid)) return (text: string) => text;
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

function bind(params: readonly SqlValue[] | undefined): unknown[] {
  if (!params) return [];
  return params.map((p) => {
    if (typeof p === 'bigint') return p.toString();
    if (p instanceof Uint8Array && !Buffer.isBuffer(p)) return Buffer.from(p.buffer, p.byteOffset, p.byteLength);
    return p;
  });
}

/** Rows from which on insertMany streams them with COPY … FROM STDIN instead of INSERTs. */
const COPY_FROM_ROWS = 200;

/** One value in COPY's text format (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.2). */
function copyText(v: SqlValue): string {
  if (v === null || v === undefined) return '\\N';
  if (typeof v === 'boolean') return v ? 't' : 'f';
  if (typeof v === 'number' || typeof v === 'bigint') return String(v);
  if (v instanceof Uint8Array) return `\\\\x${Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex')}`;
  return String(v).replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/\r/g, '\\r').replace(/\t/g, '\\t');
}

export interface PostgresEngineOptions {
  readOnly?: boolean;
  description?: string;
  /** How to connect again without the password (journals); defaults to the description. */
  locator?: string;
  /**
   * How another thread of this process connects to the same database: the URL with its password,
   * handed over in memory (worker data), never printed or written out.
   */
  urlForAnotherThread?: string;
}

export class PostgresEngine implements Engine {
  readonly kind = 'postgres' as const;
  readonly capabilities = CAPABILITIES;
  readonly dialect = postgresDialect;
  readonly introspector: Introspector;
  readonly hooks: EngineHooks;
  readonly readOnly: boolean;
  readonly description: string;
  /** The underlying session, for store code that needs PostgreSQL-only features. */
  readonly client: pg.Client;
  private depth = 0;
  private cursorSeq = 0;
  private closed = false;
  /** An error the connection reported between queries (server restart, network loss). */
  private connectionError: Error | undefined;

  private constructor(client: pg.Client, private readonly options: PostgresEngineOptions) {
    this.client = client;
    this.readOnly = options.readOnly ?? false;
    this.description = options.description ?? 'postgres';
    this.introspector = postgresIntrospector(this);
    this.hooks = {
      acquireWriteLock: () => this.lockAdvisory(),
      findOtherUsers: async () => ({ evidence: await this.otherSessions(), notes: [] }),
      backup: async () => {
        throw new SynapseDoctorError('USAGE', 'PostgreSQL databases are backed up with pg_dump, not by synapse-doctor');
      },
    };
    // A server-side disconnect must not crash the process: remember it, report it on the next call.
    client.on('error', (e) => {
      this.connectionError = e;
    });
  }

  /** Connects; failures are mapped to SynapseDoctorError by the caller (open.ts knows the secrets). */
  static async connect(config: pg.ClientConfig, options: PostgresEngineOptions = {}): Promise<PostgresEngine> {
    // Our sessions name themselves, so liveness checks do not take them for Synapse's.
    const client = new pg.Client({ application_name: APPLICATION_NAME, ...config, types: typeParsers });
    const engine = new PostgresEngine(client, options);
    await client.connect();
    try {
      if (options.readOnly) await client.query('SET SESSION default_transaction_read_only = on');
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
    return engine;
  }

  /** This session plans no parallel scans (see memory.ts forManyShortReads). */
  async withoutParallelPlans(): Promise<void> {
    await this.raw('SET SESSION max_parallel_workers_per_gather = 0');
  }

  private async raw(text: string, values?: unknown[]): Promise<pg.QueryResult> {
    if (this.connectionError) {
      throw mapPostgresError(this.connectionError, this.description);
    }
    try {
      return await this.client.query(text, values);
    } catch (e) {
      throw mapPostgresError(e, this.description);
    }
  }

  compile(stmt: Statement): CompiledStatement {
    return compileFor('postgres', stmt);
  }

  async query<T = Row>(sql: string | Statement, params?: readonly SqlValue[]): Promise<T[]> {
    const c = this.compile(toStatement(sql, params));
    const res = await this.raw(c.text, bind(c.values));
    return res.rows as T[];
  }

  async queryOne<T = Row>(sql: string | Statement, params?: readonly SqlValue[]): Promise<T | undefined> {
    const rows = await this.query<T>(sql, params);
    return rows[0];
  }

  async run(sql: string | Statement, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    const c = this.compile(toStatement(sql, params));
    const res = await this.raw(c.text, bind(c.values));
    return { changes: res.rowCount ?? 0 };
  }

  async *iterate<T = Row>(sql: string | Statement, params?: readonly SqlValue[], batchSize = 1000): AsyncIterable<T> {
    const c = this.compile(toStatement(sql, params));
    const cursor = quoteIdent(`sd_cursor_${++this.cursorSeq}`);
    const ownTransaction = this.depth === 0;
    if (ownTransaction) await this.raw('BEGIN');
    this.depth++;
    let failure: unknown;
    try {
      await this.raw(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${c.text}`, bind(c.values));
      for (;;) {
        const res = await this.raw(`FETCH FORWARD ${Math.max(1, Math.floor(batchSize))} FROM ${cursor}`);
        for (const row of res.rows) yield row as T;
        if (res.rows.length < batchSize) break;
      }
    } catch (e) {
      failure = e;
      throw e;
    } finally {
      this.depth--;
      if (!this.closed) {
        // Normal end, early exit (break) or error. After an error inside our own transaction the
        // cursor is gone with it; otherwise close it, and end our own transaction.
        const cleanup = async (): Promise<void> => {
          if (!(failure && ownTransaction)) await this.raw(`CLOSE ${cursor}`);
          if (ownTransaction) await this.raw(failure ? 'ROLLBACK' : 'COMMIT');
        };
        try {
          await cleanup();
        } catch (e) {
          if (failure === undefined) throw e; // a failed COMMIT after reading is a failure to report
          if (ownTransaction) await this.client.query('ROLLBACK').catch(() => undefined);
        }
      }
    }
  }

  get locator(): string {
    return this.options.locator ?? this.description;
  }

  /** See PostgresEngineOptions.urlForAnotherThread (memory.ts mainForAnotherThread). */
  get urlForAnotherThread(): string | undefined {
    return this.options.urlForAnotherThread;
  }

  async insertMany(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[], expressions?: readonly string[]): Promise<void> {
    if (rows.length === 0) return;
    const width = columns.length;
    if (rows.length >= COPY_FROM_ROWS) {
      if ((expressions ?? []).every((e) => e === '?')) await this.copyRows(table, columns, rows);
      else await this.copyThroughStaging(table, columns, rows, expressions!);
      return;
    }
    const perStatement = Math.max(1, Math.min(MAX_ROWS_PER_INSERT, Math.floor(PG_MAX_PARAMS / width)));
    const head = `INSERT INTO ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) VALUES `;
    await this.transaction(async () => {
      for (let start = 0; start < rows.length; start += perStatement) {
        const chunk = rows.slice(start, start + perStatement);
        const values: unknown[] = [];
        const tuples: string[] = [];
        for (const row of chunk) {
          if (row.length !== width) throw new RangeError(`insertMany(${table}): row has ${row.length} values, expected ${width}`);
          const marks: string[] = [];
          for (let i = 0; i < width; i++) {
            values.push(row[i]);
            const mark = `$${values.length}`;
            const expr = expressions?.[i];
            marks.push(expr === undefined ? mark : expr.replace('?', mark));
          }
          tuples.push(`(${marks.join(', ')})`);
        }
        await this.raw(head + tuples.join(', '), bind(values as SqlValue[]));
      }
    });
  }

  /** Bulk rows with COPY … FROM STDIN (text format), inside the running transaction. */
  private async copyRows(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[]): Promise<void> {
    if (this.connectionError) throw mapPostgresError(this.connectionError, this.description);
    const width = columns.length;
    function* lines(): Generator<string> {
      let buf = '';
      for (const row of rows) {
        if (row.length !== width) throw new RangeError(`insertMany(${table}): row has ${row.length} values, expected ${width}`);
        buf += row.map(copyText).join('\t') + '\n';
        if (buf.length > 1 << 16) {
          yield buf;
          buf = '';
        }
      }
      if (buf) yield buf;
    }
    const sql = `COPY ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) FROM STDIN`;
    try {
      await pipeline(Readable.from(lines()), this.client.query(copyFrom(sql)));
    } catch (e) {
      throw mapPostgresError(e, this.description);
    }
  }

  /**
   * Bulk rows whose values go through SQL expressions (event_search's to_tsvector): COPY into a
   * temporary table with the target's columns (text where an expression takes the value), then one
   * INSERT … SELECT applying the expressions. Parsing thousands of VALUES tuples costs the server
   * more than the expressions themselves.
   */
  private async copyThroughStaging(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[], expressions: readonly string[]): Promise<void> {
    const staging = quoteIdent(`sd_staging_${table}`);
    const shape = columns.map((c, i) => ((expressions[i] ?? '?') === '?' ? quoteIdent(c) : `NULL::text AS ${quoteIdent(c)}`)).join(', ');
    const values = columns.map((c, i) => (expressions[i] ?? '?').replace('?', quoteIdent(c))).join(', ');
    // in a transaction (a savepoint inside the caller's): the staging table lives until its COMMIT
    await this.transaction(async () => {
      await this.raw(`CREATE TEMP TABLE IF NOT EXISTS ${staging} ON COMMIT DROP AS SELECT ${shape} FROM ${quoteIdent(table)} WITH NO DATA`);
      await this.copyRows(`sd_staging_${table}`, columns, rows);
      await this.raw(`INSERT INTO ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')}) SELECT ${values} FROM ${staging}`);
      await this.raw(`TRUNCATE ${staging}`);
    });
  }

  async exec(sql: string): Promise<void> {
    await this.raw(sql);
  }

  /** Runs fn in one transaction, nested calls as savepoints. Errors thrown by fn pass through. */
  async transaction<T>(fn: (tx: WriteSession) => Promise<T>): Promise<T> {
    const outer = this.depth === 0;
    const sp = savepointName(this.depth);
    await this.raw(outer ? 'BEGIN' : `SAVEPOINT ${sp}`);
    this.depth++;
    let result: T;
    try {
      result = await fn(this);
    } catch (e) {
      this.depth--;
      if (!this.closed) {
        try {
          await this.raw(outer ? 'ROLLBACK' : `ROLLBACK TO SAVEPOINT ${sp}; RELEASE SAVEPOINT ${sp}`);
        } catch (rollbackError) {
          throw new AggregateError([e, rollbackError], `rollback failed after: ${(e as Error).message}`);
        }
      }
      throw e;
    }
    this.depth--;
    try {
      await this.raw(outer ? 'COMMIT' : `RELEASE SAVEPOINT ${sp}`);
    } catch (e) {
      if (outer) await this.client.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
    return result;
  }

  /**
   * A session-level advisory lock on one fixed key. A second writer fails within about a second:
   * tried a few times, because the session of a synapse-doctor killed a moment ago holds the lock
   * until the server notices its client is gone.
   */
  private async lockAdvisory(): Promise<() => Promise<void>> {
    let ok = false;
    for (let attempt = 0; attempt < 5 && !ok; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, 250));
      ok = (await this.queryOne<{ ok: boolean }>('SELECT pg_try_advisory_lock(?::bigint) AS ok', [ADVISORY_LOCK_KEY]))?.ok === true;
    }
    if (!ok) {
      throw new SynapseDoctorError('LOCK_HELD', `another synapse-doctor is writing to ${this.description}`, {
        hint: 'Wait for it to finish; the lock is released when its session ends.',
      });
    }
    let released = false;
    return async () => {
      if (released || this.closed) return;
      released = true;
      await this.query('SELECT pg_advisory_unlock(?::bigint)', [ADVISORY_LOCK_KEY]);
    };
  }

  /** Other client sessions on this database (Synapse keeps a pool open even when idle). */
  private async otherSessions(): Promise<string[]> {
    const rows = await this.query<{ pid: number; usename: string | null; application_name: string | null; client: string | null; state: string | null }>(
      `SELECT pid, usename, application_name, COALESCE(host(client_addr), 'local socket') AS client, state
         FROM pg_stat_activity
        WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
          AND application_name IS DISTINCT FROM ?
        ORDER BY pid`,
      [APPLICATION_NAME],
    );
    return rows.map((r) =>
      `${this.description}: session pid ${r.pid} of user ${r.usename ?? '?'} from ${r.client}${r.application_name ? ` (${r.application_name})` : ''}, ${r.state ?? 'unknown state'}`,
    );
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.end().catch(() => undefined);
  }
}
