/**
 * The layout of a scratch file (scratch-file.ts writes it, the SQLite engine copies from it): the
 * rows of each table under the target's table name, and `sd_batches`, one row per batch of a
 * table in write order, with what the journal needs of it. Read one batch at a time, so that the
 * copying thread holds no more than one batch's keys.
 */
import type { ScratchBatch } from '../../plan/plan.js';

export const BATCHES_TABLE = 'sd_batches';

export const BATCHES_DDL = `CREATE TABLE ${BATCHES_TABLE} (tbl TEXT NOT NULL, seq INTEGER NOT NULL, from_rowid INTEGER NOT NULL, to_rowid INTEGER NOT NULL, batch TEXT NOT NULL, PRIMARY KEY (tbl, seq))`;

/** A batch's metadata as stored (its keys are event ids and numbers: JSON keeps them exactly). */
export function encodeBatch(b: Omit<ScratchBatch, 'from' | 'to'>): string {
  return JSON.stringify({ scope: b.scope, pieces: b.pieces, digest: b.digest });
}

export function decodeBatch(from: number, to: number, text: string): ScratchBatch {
  const { scope, pieces, digest } = JSON.parse(text) as Omit<ScratchBatch, 'from' | 'to'>;
  return { from, to, ...(scope ? { scope } : {}), pieces, digest };
}
