/**
 * A scratch file of rows: written by one thread (an import's worker) and copied into the target by
 * another with `copyFromScratch`, one `INSERT … SELECT` per batch, so that the writing thread's
 * values never cross into JavaScript again. An SQLite file with no journal, no sync and no index
 * but its batch list (scratch-format.ts): thrown away once copied, made again if lost. Its tables
 * have the target's names and columns, with no declared types, so values keep exactly the type
 * they were bound with (as a direct insert would store them).
 */
import type { ScratchBatch } from '../../plan/plan.js';
import type { SqlValue } from './engine.js';
import { BATCHES_DDL, BATCHES_TABLE, encodeBatch } from './scratch-format.js';
import { quoteIdent } from './sql-text.js';
import { SqliteEngine } from './sqlite/sqlite-engine.js';

export class ScratchFile {
  private readonly engine: SqliteEngine;
  /** Per table: rows so far, batches so far. */
  private readonly tables = new Map<string, { rows: number; batches: number }>();

  constructor(readonly path: string) {
    this.engine = new SqliteEngine(path, { create: true, description: `scratch file ${path}` });
    this.engine.handle.pragma('journal_mode = OFF');
    this.engine.handle.pragma('synchronous = OFF');
    this.engine.handle.pragma('foreign_keys = OFF');
    // appends only: a small page cache is all they need
    this.engine.setPageCache(2048);
    this.engine.handle.exec(BATCHES_DDL);
  }

  /** Appends one batch of rows to `table` (made on first use), with what the journal needs of it. */
  async appendBatch(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[], journal: Omit<ScratchBatch, 'from' | 'to'>): Promise<void> {
    if (rows.length === 0) return;
    let t = this.tables.get(table);
    if (!t) {
      await this.engine.exec(`CREATE TABLE ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')})`);
      t = { rows: 0, batches: 0 };
      this.tables.set(table, t);
    }
    const from = t.rows + 1;
    await this.engine.insertMany(table, columns, rows);
    t.rows += rows.length;
    await this.engine.insertMany(BATCHES_TABLE, ['tbl', 'seq', 'from_rowid', 'to_rowid', 'batch'], [[table, t.batches++, from, t.rows, encodeBatch(journal)]]);
  }

  /** The tables written, with their row counts. */
  get counts(): Map<string, number> {
    return new Map([...this.tables].map(([k, v]) => [k, v.rows]));
  }

  /** Writes what fn appends in one transaction. */
  async write<T>(fn: (file: ScratchFile) => Promise<T>): Promise<T> {
    return this.engine.transaction(async () => fn(this));
  }

  async close(): Promise<void> {
    await this.engine.close();
  }
}
