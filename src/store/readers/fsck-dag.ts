/**
 * Every SQL statement of fsck's `dag` group (src/fsck/checks/dag.ts) beyond the shared event pass
 * (./fsck-events.ts) and inspect's extremity counts (./inspect.ts). Each is one set-based query over
 * indexed columns, streamed; `roomId` narrows it through the room_id indexes.
 *
 * "Rejected" is the rejections table, or events.rejection_reason where the schema has no such table.
 */
import type { ReadEngine } from '../engine/engine.js';
import type { SchemaCapabilities } from '../schema-version.js';
import { isRejectedSql } from './rejection-sql.js';

type Caps = Pick<SchemaCapabilities, 'rejectionsTable'>;
const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));


function roomFilter(roomId: string | undefined, column: string): { sql: string; params: string[] } {
  return roomId === undefined ? { sql: '', params: [] } : { sql: ` AND ${column} = ?`, params: [roomId] };
}

async function* mapRows<T, U>(rows: AsyncIterable<T>, fn: (row: T) => U): AsyncIterable<U> {
  for await (const row of rows) yield fn(row);
}

/**
 * Backward extremities that are accepted timeline events we hold: Synapse deletes a backward
 * extremity when it persists that event as a non-outlier (events.py `_update_backward_extremeties`,
 * accepted events only; an outlier or a rejected event may stay one).
 */
export function iterateHeldBackwardExtremities(engine: ReadEngine, caps: Caps, roomId?: string): AsyncIterable<{ room_id: string; event_id: string; depth: number }> {
  const f = roomFilter(roomId, 'b.room_id');
  return mapRows(
    engine.iterate<Record<string, unknown>>(
      `SELECT b.room_id, b.event_id, e.depth FROM event_backward_extremities b JOIN events e ON e.event_id = b.event_id
        WHERE NOT e.outlier AND NOT ${isRejectedSql(caps, 'e')}${f.sql}`,
      f.params,
      5000,
    ),
    (r) => ({ room_id: String(r.room_id), event_id: String(r.event_id), depth: num(r.depth) }),
  );
}

/**
 * prev events of accepted timeline events that we do not hold as timeline events and that are not
 * backward extremities of the room (each distinct prev event once per room). Synapse records every
 * such prev event as a backward extremity when it persists the event citing it (events.py
 * `_update_backward_extremeties`: prev events of non-outlier events, minus stored non-outliers).
 * One pass over event_edges probing events and event_backward_extremities by event_id.
 */
export function iterateMissingBackwardExtremities(engine: ReadEngine, caps: Caps, roomId?: string): AsyncIterable<{ room_id: string; prev_event_id: string; event_id: string }> {
  const f = roomFilter(roomId, 'e.room_id');
  // All rooms: first the edges whose prev event is not a stored timeline event, then only those
  // look up the citing event (CROSS JOIN keeps SQLite to that order; measured 2x faster than
  // walking events first on 1,000,000 events). Such a prev event is either not stored (a pass over
  // event_edges' covering index, probing only events' event_id index) or an outlier (a scan of
  // events, the few outliers' edges through ev_edges_prev_id): never a table read per edge,
  // again 2x faster. One room: the room's events first, through events_room_stream.
  const edges = roomId === undefined
    ? `(SELECT ed.event_id, ed.prev_event_id FROM event_edges ed
         WHERE NOT EXISTS (SELECT 1 FROM events p WHERE p.event_id = ed.prev_event_id)
        UNION ALL
        SELECT ed.event_id, ed.prev_event_id FROM events p CROSS JOIN event_edges ed
         WHERE p.outlier AND ed.prev_event_id = p.event_id) m CROSS JOIN events e`
    : `events e CROSS JOIN event_edges m`;
  const prevMissing = roomId === undefined ? '' : ' AND NOT EXISTS (SELECT 1 FROM events p WHERE p.event_id = m.prev_event_id AND NOT p.outlier)';
  return mapRows(
    engine.iterate<Record<string, unknown>>(
      `SELECT e.room_id, m.prev_event_id, MIN(m.event_id) AS event_id
         FROM ${edges}
        WHERE e.event_id = m.event_id AND NOT e.outlier AND NOT ${isRejectedSql(caps, 'e')}${prevMissing}
          AND NOT EXISTS (SELECT 1 FROM event_backward_extremities b WHERE b.event_id = m.prev_event_id AND b.room_id = e.room_id)${f.sql}
        GROUP BY e.room_id, m.prev_event_id`,
      f.params,
      5000,
    ),
    (r) => ({ room_id: String(r.room_id), prev_event_id: String(r.prev_event_id), event_id: String(r.event_id) }),
  );
}

export interface RoomDepthRow {
  room_id: string;
  /** Lowest and highest depth of the room's accepted timeline events (null: it has none). */
  min_event_depth: number | null;
  max_event_depth: number | null;
  has_row: boolean;
  min_depth: number | null;
}

/**
 * room_depth against the depths of each room's accepted timeline events: rooms with such events
 * (one GROUP BY over events) and room_depth rows of rooms without (a LEFT JOIN the other way).
 */
export async function findRoomDepths(engine: ReadEngine, caps: Caps, roomId?: string): Promise<RoomDepthRow[]> {
  const f = roomFilter(roomId, 'events.room_id');
  const g = roomFilter(roomId, 'd.room_id');
  const table = roomId === undefined ? engine.introspector.fullScan('events') : 'events';
  const rows = await engine.query<Record<string, unknown>>(
    `SELECT x.room_id, x.lo, x.hi,
            (SELECT COUNT(*) FROM room_depth d WHERE d.room_id = x.room_id) AS has_row,
            (SELECT d.min_depth FROM room_depth d WHERE d.room_id = x.room_id) AS min_depth
       FROM (SELECT events.room_id, MIN(events.depth) AS lo, MAX(events.depth) AS hi FROM ${table}
              WHERE NOT events.outlier AND NOT ${isRejectedSql(caps, 'events')}${f.sql}
              GROUP BY events.room_id) x`,
    f.params,
  );
  const out: RoomDepthRow[] = rows.map((r) => ({
    room_id: String(r.room_id),
    min_event_depth: r.lo === null ? null : num(r.lo),
    max_event_depth: r.hi === null ? null : num(r.hi),
    has_row: num(r.has_row) > 0,
    min_depth: r.min_depth === null || r.min_depth === undefined ? null : num(r.min_depth),
  }));
  const seen = new Set(out.map((r) => r.room_id));
  const others = await engine.query<Record<string, unknown>>(`SELECT d.room_id, d.min_depth FROM room_depth d WHERE (d.min_depth IS NULL OR d.min_depth < 0)${g.sql}`, g.params);
  for (const r of others) {
    const id = String(r.room_id);
    if (!seen.has(id)) out.push({ room_id: id, min_event_depth: null, max_event_depth: null, has_row: true, min_depth: r.min_depth === null ? null : num(r.min_depth) });
  }
  return out;
}

/**
 * Forward extremities that an accepted timeline event cites as a prev event (through
 * ev_edges_prev_id), with the citing event's internal_metadata: Synapse removes from the
 * extremities every prev event of an accepted, non-outlier, not soft-failed event
 * (persist_events.py `_calculate_new_extremities`, events.py `_get_events_which_are_prevs`); the
 * caller drops soft-failed children.
 */
export function iterateExtremitiesWithChildren(engine: ReadEngine, caps: Caps, roomId?: string): AsyncIterable<{ room_id: string; event_id: string; child_id: string; internal_metadata: string | null }> {
  const f = roomFilter(roomId, 'x.room_id');
  return mapRows(
    engine.iterate<Record<string, unknown>>(
      `SELECT x.room_id, x.event_id, c.event_id AS child_id, j.internal_metadata
         FROM event_forward_extremities x
         CROSS JOIN event_edges ed
         CROSS JOIN events c
         LEFT JOIN event_json j ON j.event_id = c.event_id
        WHERE ed.prev_event_id = x.event_id AND c.event_id = ed.event_id AND NOT c.outlier AND NOT ${isRejectedSql(caps, 'c')}${f.sql}
        ORDER BY x.room_id, x.event_id`,
      f.params,
      5000,
    ),
    (r) => ({ room_id: String(r.room_id), event_id: String(r.event_id), child_id: String(r.child_id), internal_metadata: r.internal_metadata === null || r.internal_metadata === undefined ? null : String(r.internal_metadata) }),
  );
}
