/**
 * A scratch file of rows: written by one thread (an import's worker) and copied into the target by
 * another with `copyFromScratch`, one `INSERT … SELECT` per batch, so that the writing thread's
 * values never cross into JavaScript again. An SQLite file with no journal, no sync and no index:
 * thrown away once copied, rebuilt if lost. Its tables have the target's names and columns, with no
 * declared types, so values keep exactly the type they were bound with (as a direct insert would).
 */
import type { SqlValue } from './engine.js';
import { quoteIdent } from './sql-text.js';
import { SqliteEngine } from './sqlite/sqlite-engine.js';

export class ScratchFile {
  private readonly engine: SqliteEngine;
  private readonly counts = new Map<string, number>();

  constructor(readonly path: string) {
    this.engine = new SqliteEngine(path, { create: true, description: `scratch file ${path}` });
    this.engine.handle.pragma('journal_mode = OFF');
    this.engine.handle.pragma('synchronous = OFF');
    this.engine.handle.pragma('foreign_keys = OFF');
  }

  /** Appends rows to `table` (made on first use); returns the rowids they got, first and last. */
  async append(table: string, columns: readonly string[], rows: readonly (readonly SqlValue[])[]): Promise<{ from: number; to: number }> {
    const have = this.counts.get(table);
    if (have === undefined) await this.engine.exec(`CREATE TABLE ${quoteIdent(table)} (${columns.map(quoteIdent).join(', ')})`);
    const from = (have ?? 0) + 1;
    await this.engine.insertMany(table, columns, rows);
    this.counts.set(table, (have ?? 0) + rows.length);
    return { from, to: from + rows.length - 1 };
  }

  /** Writes everything appended in one transaction. */
  async write<T>(fn: (file: ScratchFile) => Promise<T>): Promise<T> {
    return this.engine.transaction(async () => fn(this));
  }

  async close(): Promise<void> {
    await this.engine.close();
  }
}
