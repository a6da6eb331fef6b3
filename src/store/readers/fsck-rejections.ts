/**
 * Every SQL statement of fsck's `rejections` group (src/fsck/checks/rejections.ts) that inspect's
 * readers (./inspect.ts, shared) do not already run. Driven from the rejections table (small),
 * probing the other tables by their event_id indexes; one pass over events for the rows whose
 * rejection_reason names no rejections row.
 */
import type { ReadEngine } from '../engine/engine.js';

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function roomFilter(roomId: string | undefined, column: string): { sql: string; params: string[] } {
  return roomId === undefined ? { sql: '', params: [] } : { sql: ` AND ${column} = ?`, params: [roomId] };
}

export interface RejectionDisagreementRow {
  room_id: string | null;
  event_id: string;
  /** rejections.reason (null: no rejections row). */
  reason: string | null;
  /** events.rejection_reason (null: not set). */
  rejection_reason: string | null;
  /** False when the rejections row names an event the events table does not have. */
  has_event: boolean;
}

/**
 * Where rejections and events.rejection_reason disagree on whether an event is rejected: a
 * rejections row whose event has no rejection_reason (or no events row), then events with a
 * rejection_reason but no rejections row.
 */
export async function* iterateRejectionDisagreements(engine: ReadEngine, roomId?: string): AsyncIterable<RejectionDisagreementRow> {
  const a = roomFilter(roomId, 'e.room_id');
  for await (const r of engine.iterate<Record<string, unknown>>(
    `SELECT e.room_id, rj.event_id, rj.reason, e.rejection_reason, CASE WHEN e.event_id IS NULL THEN 0 ELSE 1 END AS has_event
       FROM rejections rj LEFT JOIN events e ON e.event_id = rj.event_id
      WHERE (e.event_id IS NULL OR e.rejection_reason IS NULL)${a.sql}`,
    a.params,
    5000,
  )) {
    yield { room_id: str(r.room_id), event_id: String(r.event_id), reason: str(r.reason), rejection_reason: str(r.rejection_reason), has_event: Number(r.has_event) === 1 };
  }
  const b = roomFilter(roomId, 'e.room_id');
  for await (const r of engine.iterate<Record<string, unknown>>(
    `SELECT e.room_id, e.event_id, e.rejection_reason FROM events e
      WHERE e.rejection_reason IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM rejections rj WHERE rj.event_id = e.event_id)${b.sql}`,
    b.params,
    5000,
  )) {
    yield { room_id: str(r.room_id), event_id: String(r.event_id), reason: null, rejection_reason: str(r.rejection_reason), has_event: true };
  }
}

/** A rejected event and which accepted-only tables still hold a row of it. */
export interface RejectedRowsRow {
  room_id: string;
  event_id: string;
  stream_ordering: number;
  tables: string[];
}

/**
 * Rejected events (rejections, or events.rejection_reason without that table) that still have rows
 * Synapse writes only for accepted events (events.py `_update_metadata_tables_txn`, skipped for
 * rejected events): event_edges, room_memberships, event_relations, redactions, event_push_actions.
 * Each test probes that table's event_id index, for the rejected events only.
 */
export async function* iterateRejectedWithAcceptedRows(engine: ReadEngine, rejectionsTable: boolean, roomId?: string): AsyncIterable<RejectedRowsRow> {
  const f = roomFilter(roomId, 'e.room_id');
  const probes: [string, string][] = [
    ['event_edges', 'SELECT 1 FROM event_edges x WHERE x.event_id = e.event_id'],
    ['room_memberships', 'SELECT 1 FROM room_memberships x WHERE x.event_id = e.event_id'],
    ['event_relations', 'SELECT 1 FROM event_relations x WHERE x.event_id = e.event_id'],
    ['redactions', 'SELECT 1 FROM redactions x WHERE x.event_id = e.event_id'],
    ['event_push_actions', 'SELECT 1 FROM event_push_actions x WHERE x.room_id = e.room_id AND x.event_id = e.event_id'],
  ];
  const cols = probes.map(([t, q]) => `CASE WHEN EXISTS (${q}) THEN 1 ELSE 0 END AS ${t}`).join(',\n            ');
  const from = rejectionsTable ? 'rejections rj CROSS JOIN events e' : 'events e';
  const where = rejectionsTable ? 'e.event_id = rj.event_id' : 'e.rejection_reason IS NOT NULL';
  for await (const r of engine.iterate<Record<string, unknown>>(
    `SELECT e.room_id, e.event_id, e.stream_ordering,
            ${cols}
       FROM ${from}
      WHERE ${where}${f.sql}`,
    f.params,
    5000,
  )) {
    const tables = probes.map(([t]) => t).filter((t) => Number(r[t]) === 1);
    if (tables.length > 0) yield { room_id: String(r.room_id), event_id: String(r.event_id), stream_ordering: Number(r.stream_ordering), tables };
  }
}
