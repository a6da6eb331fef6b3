/**
 * PostgreSQL engine on one pg.Client (not a pool: one session keeps transactions, advisory locks
 * and the read-only setting in one place). SQL is written with `?` and rewritten to `$n`.
 *
 * int8 and numeric come back as JS numbers; a value beyond 2^53 throws rather than losing digits.
 * Read-only engines set `default_transaction_read_only = on` for the session, so every write fails
 * on the server. Nested `transaction()` calls and iterations inside a transaction use savepoints /
 * the running transaction. One engine serves one logical flow at a time: do not start a second
 * transaction concurrently on the same engine.
 */
import pg from 'pg';
import type { Engine, Row, SqlValue } from '../engine.js';
import { quoteIdent, savepointName } from '../sql-text.js';
import { toDollarParams } from './placeholders.js';

/** PostgreSQL's limit on bind parameters in one statement. */
export const PG_MAX_PARAMS = 65_535;
const MAX_ROWS_PER_INSERT = 1000;

const INT8_OID = 20;
const NUMERIC_OID = 1700;

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

export interface PostgresEngineOptions {
  readOnly?: boolean;
  description?: string;
}

export class PostgresEngine implements Engine {
  readonly kind = 'postgres' as const;
  readonly readOnly: boolean;
  readonly description: string;
  /** The underlying session, for store code that needs PostgreSQL-only features. */
  readonly client: pg.Client;
  private depth = 0;
  private cursorSeq = 0;
  private closed = false;

  private constructor(client: pg.Client, options: PostgresEngineOptions) {
    this.client = client;
    this.readOnly = options.readOnly ?? false;
    this.description = options.description ?? 'postgres';
  }

  /** Connects; errors are pg's own (open.ts maps them to SynapseDoctorError). */
  static async connect(config: pg.ClientConfig, options: PostgresEngineOptions = {}): Promise<PostgresEngine> {
    const client = new pg.Client({ ...config, types: typeParsers });
    // A server-side disconnect must not crash the process; the next query reports it.
    client.on('error', () => undefined);
    await client.connect();
    try {
      if (options.readOnly) await client.query('SET SESSION default_transaction_read_only = on');
    } catch (e) {
      await client.end().catch(() => undefined);
      throw e;
    }
    return new PostgresEngine(client, options);
  }

  async query<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T[]> {
    const res = await this.client.query(toDollarParams(sql), bind(params));
    return res.rows as T[];
  }

  async queryOne<T = Row>(sql: string, params?: readonly SqlValue[]): Promise<T | undefined> {
    const rows = await this.query<T>(sql, params);
    return rows[0];
  }

  async run(sql: string, params?: readonly SqlValue[]): Promise<{ changes: number }> {
    const res = await this.client.query(toDollarParams(sql), bind(params));
    return { changes: res.rowCount ?? 0 };
  }

  async *iterate<T = Row>(sql: string, params?: readonly SqlValue[], batchSize = 1000): AsyncIterable<T> {
    const cursor = quoteIdent(`sd_cursor_${++this.cursorSeq}`);
    const ownTransaction = this.depth === 0;
    if (ownTransaction) await this.client.query('BEGIN');
    this.depth++;
    let ok = false;
    try {
      await this.client.query(`DECLARE ${cursor} NO SCROLL CURSOR FOR ${toDollarParams(sql)}`, bind(params));
      for (;;) {
        const res = await this.client.query(`FETCH FORWARD ${Math.max(1, Math.floor(batchSize))} FROM ${cursor}`);
        for (const row of res.rows) yield row as T;
        if (res.rows.length < batchSize) break;
      }
      await this.client.query(`CLOSE ${cursor}`);
      ok = true;
    } finally {
      this.depth--;
      if (!ok && !this.closed) {
        // Early exit (break) or error: drop the cursor; if the transaction failed, roll it back.
        await this.client.query(`CLOSE ${cursor}`).catch(() => undefined);
      }
      if (ownTransaction && !this.closed) {
        await this.client.query(ok ? 'COMMIT' : 'ROLLBACK').catch(() => undefined);
      }
    }
  }

  async insertMany(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[]): Promise<void> {
    if (rows.length === 0) return;
    const width = columns.length;
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
          for (const v of row) {
            values.push(v);
            marks.push(`$${values.length}`);
          }
          tuples.push(`(${marks.join(', ')})`);
        }
        await this.client.query(head + tuples.join(', '), bind(values as SqlValue[]));
      }
    });
  }

  async exec(sql: string): Promise<void> {
    await this.client.query(sql);
  }

  async transaction<T>(fn: (tx: Engine) => Promise<T>): Promise<T> {
    const outer = this.depth === 0;
    const sp = savepointName(this.depth);
    await this.client.query(outer ? 'BEGIN' : `SAVEPOINT ${sp}`);
    this.depth++;
    let result: T;
    try {
      result = await fn(this);
    } catch (e) {
      this.depth--;
      if (!this.closed) {
        await this.client
          .query(outer ? 'ROLLBACK' : `ROLLBACK TO SAVEPOINT ${sp}; RELEASE SAVEPOINT ${sp}`)
          .catch(() => undefined);
      }
      throw e;
    }
    this.depth--;
    try {
      await this.client.query(outer ? 'COMMIT' : `RELEASE SAVEPOINT ${sp}`);
    } catch (e) {
      if (outer) await this.client.query('ROLLBACK').catch(() => undefined);
      throw e;
    }
    return result;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.client.end().catch(() => undefined);
  }
}
