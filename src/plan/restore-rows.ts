/**
 * How a restore step puts rows back. Usually: delete the rows in the scope, insert the
 * before-image. For tables other rows hang on (foreign keys from events, `ON DELETE CASCADE` from
 * event_txn_id, the membership triggers) a delete is not harmless, so rows present in both images
 * are updated in place, by their unique key, and only the rest deleted or inserted.
 */
import type { SqlValue, Statement } from '../store/engine/engine.js';
import { statement } from '../store/engine/engine.js';
import { quoteIdent } from '../store/engine/sql-text.js';
import { decodeCell, rowText, type JournalRow } from './row-codec.js';

/** Tables restored in place, with the unique key that names a row. */
export const UPDATE_IN_PLACE: Readonly<Record<string, readonly string[]>> = {
  events: ['event_id'],
  event_json: ['event_id'],
  rooms: ['room_id'],
  room_stats_current: ['room_id'],
  room_stats_state: ['room_id'],
};

export interface InPlaceRestore {
  /** UPDATE statements for rows in both images that differ. */
  readonly updates: readonly Statement[];
  /** Rows only the current image has: delete them by key. */
  readonly deletes: readonly Statement[];
  /** Rows only the before-image has: insert them. */
  readonly inserts: readonly JournalRow[];
}

function keyOf(row: JournalRow, key: readonly string[]): string {
  return JSON.stringify(key.map((k) => row[k] ?? null));
}

function where(row: JournalRow, key: readonly string[]): { sql: string; params: SqlValue[] } {
  return { sql: key.map((k) => `${quoteIdent(k)} = ?`).join(' AND '), params: key.map((k) => decodeCell(row[k] ?? null)) };
}

/** The in-place restore of `table` from `current` to `rows`, or undefined when the table is restored by delete and insert. */
export function inPlaceRestore(table: string, current: readonly JournalRow[], rows: readonly JournalRow[]): InPlaceRestore | undefined {
  const key = UPDATE_IN_PLACE[table];
  if (!key) return undefined;
  const now = new Map(current.map((r) => [keyOf(r, key), r]));
  const updates: Statement[] = [];
  const inserts: JournalRow[] = [];
  const kept = new Set<string>();
  for (const row of rows) {
    const k = keyOf(row, key);
    const cur = now.get(k);
    if (!cur) {
      inserts.push(row);
      continue;
    }
    kept.add(k);
    if (rowText(cur) === rowText(row)) continue;
    const cols = Object.keys(row).filter((c) => !key.includes(c) && JSON.stringify(row[c]) !== JSON.stringify(cur[c]));
    const w = where(row, key);
    updates.push(statement(`UPDATE ${quoteIdent(table)} SET ${cols.map((c) => `${quoteIdent(c)} = ?`).join(', ')} WHERE ${w.sql}`, [...cols.map((c) => decodeCell(row[c] ?? null)), ...w.params]));
  }
  const deletes: Statement[] = [];
  for (const [k, cur] of now) {
    if (kept.has(k)) continue;
    const w = where(cur, key);
    deletes.push(statement(`DELETE FROM ${quoteIdent(table)} WHERE ${w.sql}`, w.params));
  }
  return { updates, deletes, inserts };
}
