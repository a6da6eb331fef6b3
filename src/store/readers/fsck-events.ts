/**
 * Every SQL statement of fsck's `events` group (src/fsck/checks/events.ts), plus the one paged pass
 * over events with their JSON that the `events` and `dag` checks share (src/fsck/checks/event-pass.ts).
 * Each statement is set-based and streams (`iterate`), or reads one bounded page; `roomId` narrows
 * every statement to one room through the room_id indexes.
 */
import type { ReadEngine } from '../engine/engine.js';
import type { SchemaCapabilities } from '../schema-version.js';
import { rejectionJoin } from './rejection-sql.js';

type Caps = Pick<SchemaCapabilities, 'rejectionsTable'>;

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function roomFilter(roomId: string | undefined, column: string, joiner: 'WHERE' | 'AND'): { sql: string; params: string[] } {
  return roomId === undefined ? { sql: '', params: [] } : { sql: ` ${joiner} ${column} = ?`, params: [roomId] };
}

async function* mapRows<T, U>(rows: AsyncIterable<T>, fn: (row: T) => U): AsyncIterable<U> {
  for await (const row of rows) yield fn(row);
}

export interface EventKeyRow {
  room_id: string | null;
  event_id: string;
  stream_ordering: number | null;
}

/**
 * event_json rows without their events row: one pass over event_json's event_id index probing
 * events' (both in event_id order, so the probes stay on the same pages; the JSON itself is not
 * read), then the room of each orphan only, in event_json's stored order (as a scan of it gives them).
 */
export function iterateJsonWithoutEvents(engine: ReadEngine, roomId?: string): AsyncIterable<EventKeyRow> {
  const f = roomFilter(roomId, 'j.room_id', 'AND');
  return mapRows(
    engine.iterate<Record<string, unknown>>(
      `SELECT j.room_id, o.event_id
         FROM (SELECT x.event_id FROM event_json x WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.event_id = x.event_id)) o
        CROSS JOIN event_json j
        WHERE j.event_id = o.event_id${f.sql}
        ORDER BY ${engine.introspector.storedOrder('j')}`,
      f.params,
      5000,
    ),
    (r) => ({ room_id: str(r.room_id), event_id: String(r.event_id), stream_ordering: null }),
  );
}

/** Rooms that hold events, with their rooms row's version (`has_row` 0 when the rooms row is missing) and event count. */
export async function findRoomsWithEvents(engine: ReadEngine, roomId?: string): Promise<{ room_id: string; has_row: boolean; room_version: string | null; events: number }[]> {
  const f = roomFilter(roomId, 'room_id', 'WHERE');
  const table = roomId === undefined ? engine.introspector.fullScan('events') : 'events';
  const rows = await engine.query<Record<string, unknown>>(
    `SELECT g.room_id, g.n,
            (SELECT COUNT(*) FROM rooms r WHERE r.room_id = g.room_id) AS has_row,
            (SELECT r.room_version FROM rooms r WHERE r.room_id = g.room_id) AS room_version
       FROM (SELECT room_id, COUNT(*) AS n FROM ${table}${f.sql} GROUP BY room_id) g`,
    f.params,
  );
  return rows.map((r) => ({ room_id: String(r.room_id), has_row: num(r.has_row) > 0, room_version: str(r.room_version), events: num(r.n) }));
}

/** A few events of one room (for a finding's sample), in stream order. */
export async function findSomeRoomEvents(engine: ReadEngine, roomId: string, limit: number): Promise<string[]> {
  const rows = await engine.query<{ event_id: string }>(
    'SELECT event_id FROM events WHERE room_id = ? ORDER BY stream_ordering LIMIT ?',
    [roomId, Math.max(0, Math.floor(limit))],
  );
  return rows.map((r) => String(r.event_id));
}

/** One event of the shared pass: its row, its JSON and what the checks compare the JSON with. */
export interface PassEventRow {
  event_id: string;
  room_id: string;
  stream_ordering: number;
  outlier: boolean;
  rejected: boolean;
  /** null: the events row has no event_json row. */
  json: string | null;
  internal_metadata: string | null;
  /** The target of a redactions row (its stored JSON may have been pruned). */
  redacted: boolean;
}

/**
 * One page of the shared pass: at most `limit` events with stream_ordering > `after` (and at most
 * `through`, when given), in stream
 * order (SQLite: the rowid; PostgreSQL: events_stream_ordering; one room: events_room_stream),
 * with their JSON (LEFT JOIN: an event without it comes with json null), rejection and redaction.
 */
export async function findPassPage(engine: ReadEngine, caps: Caps, roomId: string | undefined, after: number, limit: number, through?: number): Promise<PassEventRow[]> {
  // a join, not EXISTS: PostgreSQL would plan EXISTS as a hash of every rejection, built per page
  const rj = rejectionJoin(caps);
  const f = roomFilter(roomId, 'e.room_id', 'AND');
  const upTo = through === undefined ? '' : ' AND e.stream_ordering <= ?';
  const rows = await engine.query<Record<string, unknown>>(
    `SELECT e.event_id, e.room_id, e.stream_ordering,
            CASE WHEN e.outlier THEN 1 ELSE 0 END AS outlier,
            CASE WHEN ${rj.rejected} THEN 1 ELSE 0 END AS rejected,
            j.json, j.internal_metadata,
            CASE WHEN EXISTS (SELECT 1 FROM redactions rd WHERE rd.redacts = e.event_id) THEN 1 ELSE 0 END AS redacted
       FROM events e LEFT JOIN event_json j ON j.event_id = e.event_id ${rj.join}
      WHERE e.stream_ordering > ?${upTo}${f.sql}
      ORDER BY e.stream_ordering
      LIMIT ?`,
    [after, ...(through === undefined ? [] : [through]), ...f.params, Math.max(1, Math.floor(limit))],
  );
  return rows.map((r) => ({
    event_id: String(r.event_id),
    room_id: String(r.room_id),
    stream_ordering: num(r.stream_ordering),
    outlier: num(r.outlier) === 1,
    rejected: num(r.rejected) === 1,
    json: str(r.json),
    internal_metadata: str(r.internal_metadata),
    redacted: num(r.redacted) === 1,
  }));
}

/** The lowest stream ordering (the pass starts below it: backfilled events are negative). */
export async function findMinStreamOrdering(engine: ReadEngine, roomId?: string): Promise<number | null> {
  const f = roomFilter(roomId, 'room_id', 'WHERE');
  const row = await engine.queryOne<{ m: unknown }>(`SELECT MIN(stream_ordering) AS m FROM events${f.sql}`, f.params);
  return row?.m === null || row?.m === undefined ? null : num(row.m);
}

/**
 * Stream orderings splitting the events (of one room, or all) into `parts` runs of about equal
 * size, ascending (fewer when there are fewer events): where the pass's threads divide the work.
 */
export async function findStreamOrderingSplits(engine: ReadEngine, parts: number, roomId?: string): Promise<number[]> {
  const f = roomFilter(roomId, 'room_id', 'WHERE');
  const n = num((await engine.queryOne<{ n: unknown }>(`SELECT COUNT(*) AS n FROM events${f.sql}`, f.params))?.n);
  const out: number[] = [];
  for (let i = 1; i < parts; i++) {
    const row = await engine.queryOne<{ s: unknown }>(`SELECT stream_ordering AS s FROM events${f.sql} ORDER BY stream_ordering LIMIT 1 OFFSET ?`, [...f.params, Math.floor((n * i) / parts)]);
    if (row !== undefined && (out.length === 0 || num(row.s) > out[out.length - 1]!)) out.push(num(row.s));
  }
  return out;
}

/** event_edges rows of some events (one IN list through the (event_id, prev_event_id) unique index). */
export async function findEdgesOf(engine: ReadEngine, eventIds: readonly string[]): Promise<{ event_id: string; other: string }[]> {
  return pairsOf(engine, 'SELECT event_id, prev_event_id AS other FROM event_edges WHERE event_id IN', eventIds);
}

/** event_auth rows of some events (one IN list through evauth_edges_id). */
export async function findAuthOf(engine: ReadEngine, eventIds: readonly string[]): Promise<{ event_id: string; other: string }[]> {
  return pairsOf(engine, 'SELECT event_id, auth_id AS other FROM event_auth WHERE event_id IN', eventIds);
}

async function pairsOf(engine: ReadEngine, head: string, ids: readonly string[]): Promise<{ event_id: string; other: string }[]> {
  const out: { event_id: string; other: string }[] = [];
  for (let i = 0; i < ids.length; i += 1000) {
    const chunk = ids.slice(i, i + 1000);
    const rows = await engine.query<Record<string, unknown>>(`${head} (${chunk.map(() => '?').join(', ')})`, chunk);
    for (const r of rows) out.push({ event_id: String(r.event_id), other: String(r.other) });
  }
  return out;
}
