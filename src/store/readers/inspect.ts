/**
 * Every SQL statement `inspect` runs. Each reads whole tables with one GROUP BY over indexed
 * columns (never one query per room over all events), or streams rows when the grouping key is
 * computed in JS. `roomId` narrows every statement to one room through the room_id indexes.
 *
 * Counts come back as numbers (PostgreSQL returns bigint aggregates as strings; Number() them).
 *
 * The findings' statements are driven from small tables (rejections, current state, extremities)
 * through unique indexes, or read one bounded range of a room's stream index; the one full pass is
 * over event_auth (state events only), probing rejections by its unique index for each row.
 * "Rejected" is the rejections table, or events.rejection_reason where the schema has no such table
 * (`caps.rejectionsTable`), as in readers/rejections.ts.
 */
import type { Engine, ReadEngine } from '../engine/engine.js';
import type { SchemaCapabilities } from '../schema-version.js';

export interface RoomRow {
  room_id: string;
  room_version: string | null;
}

export interface EventStatsRow {
  room_id: string;
  events: number;
  /** Events whose events.rejection_reason is set (compared with the rejections table). */
  with_rejection_reason: number;
  oldest_ts: number | null;
  newest_ts: number | null;
  /** events.outlier set: state or auth events stored without their place in the timeline. */
  outliers: number;
  /** Outliers with a negative stream ordering (persisted as backfilled, as a join's state is). */
  outliers_negative: number;
  /** The time range of the non-outlier (timeline) events only. */
  timeline_oldest_ts: number | null;
  timeline_newest_ts: number | null;
}

export interface RejectionStatsRow {
  /** Null when the rejections row names an event the events table does not have. */
  room_id: string | null;
  reason: string;
  /** events.rejection_reason of those events (null: the column is not set). */
  rejection_reason: string | null;
  n: number;
}

const num = (v: unknown): number => (v === null || v === undefined ? 0 : Number(v));
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

function roomFilter(roomId: string | undefined, column: string, joiner: 'WHERE' | 'AND'): { sql: string; params: string[] } {
  return roomId === undefined ? { sql: '', params: [] } : { sql: ` ${joiner} ${column} = ?`, params: [roomId] };
}

export async function findRooms(engine: ReadEngine, roomId?: string): Promise<RoomRow[]> {
  const f = roomFilter(roomId, 'room_id', 'WHERE');
  const rows = await engine.query<{ room_id: string; room_version: string | null }>(
    `SELECT room_id, room_version FROM rooms${f.sql}`,
    f.params,
  );
  return rows.map((r) => ({ room_id: r.room_id, room_version: r.room_version ?? null }));
}

/**
 * Per-room counts and time range. For all rooms, SQLite is told to scan the table in storage
 * order (`NOT INDEXED`): walking events_room_stream instead costs one random row lookup per event
 * (3.2 s against 1.1 s on 1,000,000 events). PostgreSQL picks a sequential scan and hash aggregate
 * by itself. One room uses the room_id indexes on both.
 */
export async function findEventStats(engine: ReadEngine, roomId?: string): Promise<EventStatsRow[]> {
  const f = roomFilter(roomId, 'room_id', 'WHERE');
  const table = roomId === undefined ? engine.introspector.fullScan('events') : 'events';
  const rows = await engine.query<Record<string, unknown>>(
    `SELECT room_id, COUNT(*) AS events,
            SUM(CASE WHEN rejection_reason IS NOT NULL THEN 1 ELSE 0 END) AS with_rejection_reason,
            MIN(origin_server_ts) AS oldest_ts, MAX(origin_server_ts) AS newest_ts,
            SUM(CASE WHEN outlier THEN 1 ELSE 0 END) AS outliers,
            SUM(CASE WHEN outlier AND stream_ordering < 0 THEN 1 ELSE 0 END) AS outliers_negative,
            MIN(CASE WHEN outlier THEN NULL ELSE origin_server_ts END) AS timeline_oldest_ts,
            MAX(CASE WHEN outlier THEN NULL ELSE origin_server_ts END) AS timeline_newest_ts
       FROM ${table}${f.sql}
      GROUP BY room_id`,
    f.params,
  );
  return rows.map((r) => ({
    room_id: String(r.room_id),
    events: num(r.events),
    with_rejection_reason: num(r.with_rejection_reason),
    oldest_ts: numOrNull(r.oldest_ts),
    newest_ts: numOrNull(r.newest_ts),
    outliers: num(r.outliers),
    outliers_negative: num(r.outliers_negative),
    timeline_oldest_ts: numOrNull(r.timeline_oldest_ts),
    timeline_newest_ts: numOrNull(r.timeline_newest_ts),
  }));
}

/** Rejections (authoritative, Synapse reads only this table) grouped with events.rejection_reason. */
export async function findRejectionStats(engine: ReadEngine, roomId?: string): Promise<RejectionStatsRow[]> {
  const f = roomFilter(roomId, 'e.room_id', 'WHERE');
  const rows = await engine.query<Record<string, unknown>>(
    `SELECT e.room_id, r.reason, e.rejection_reason, COUNT(*) AS n
       FROM rejections r LEFT JOIN events e ON e.event_id = r.event_id${f.sql}
      GROUP BY e.room_id, r.reason, e.rejection_reason`,
    f.params,
  );
  return rows.map((r) => ({
    room_id: r.room_id === null || r.room_id === undefined ? null : String(r.room_id),
    reason: String(r.reason),
    rejection_reason: r.rejection_reason === null || r.rejection_reason === undefined ? null : String(r.rejection_reason),
    n: num(r.n),
  }));
}

/**
 * For schemas without a rejections table (Synapse reads events.rejection_reason there): the
 * rejected events by reason from the events table itself.
 */
export async function findRejectionStatsFromEvents(engine: ReadEngine, roomId?: string): Promise<RejectionStatsRow[]> {
  const f = roomFilter(roomId, 'room_id', 'AND');
  const rows = await engine.query<Record<string, unknown>>(
    `SELECT room_id, rejection_reason, COUNT(*) AS n FROM events
      WHERE rejection_reason IS NOT NULL${f.sql}
      GROUP BY room_id, rejection_reason`,
    f.params,
  );
  return rows.map((r) => ({ room_id: String(r.room_id), reason: String(r.rejection_reason), rejection_reason: String(r.rejection_reason), n: num(r.n) }));
}

export async function countRejections(engine: ReadEngine): Promise<number> {
  const row = await engine.queryOne<{ n: unknown }>('SELECT COUNT(*) AS n FROM rejections');
  return num(row?.n);
}

/**
 * Candidate soft-failed events: the LIKE pre-filter keeps the scan cheap; the caller confirms
 * `"soft_failed": true` by parsing the JSON. All rooms: event_json's own room_id (one pass over
 * the table); one room: through the events(room_id) index.
 */
export function iterateSoftFailedCandidates(engine: ReadEngine, roomId?: string): AsyncIterable<{ room_id: string; internal_metadata: string }> {
  if (roomId === undefined) {
    return engine.iterate(
      `SELECT room_id, internal_metadata FROM event_json WHERE internal_metadata LIKE '%soft_failed%'`,
      [],
      5000,
    );
  }
  return engine.iterate(
    `SELECT ej.room_id, ej.internal_metadata
       FROM events e JOIN event_json ej ON ej.event_id = e.event_id
      WHERE e.room_id = ? AND ej.internal_metadata LIKE '%soft_failed%'`,
    [roomId],
    5000,
  );
}

export async function findForwardExtremityCounts(engine: ReadEngine, roomId?: string): Promise<{ room_id: string; n: number }[]> {
  const f = roomFilter(roomId, 'room_id', 'WHERE');
  const rows = await engine.query<Record<string, unknown>>(
    `SELECT room_id, COUNT(*) AS n FROM event_forward_extremities${f.sql} GROUP BY room_id`,
    f.params,
  );
  return rows.map((r) => ({ room_id: String(r.room_id), n: num(r.n) }));
}

/**
 * Current joined members (state_key of current m.room.member state). `membership` of very old
 * rows may be NULL; room_memberships then says what the event was.
 */
export function iterateJoinedMembers(engine: ReadEngine, roomId?: string): AsyncIterable<{ room_id: string; state_key: string }> {
  const f = roomFilter(roomId, 'c.room_id', 'AND');
  return engine.iterate(
    `SELECT c.room_id, c.state_key FROM current_state_events c
      WHERE c.type = 'm.room.member'${f.sql}
        AND (c.membership = 'join'
             OR (c.membership IS NULL AND EXISTS (
                   SELECT 1 FROM room_memberships m WHERE m.event_id = c.event_id AND m.membership = 'join')))`,
    f.params,
    5000,
  );
}

/** JSON of the current state event of one (type, '') pair per room, e.g. m.room.name or m.room.create. */
export async function findCurrentStateJson(engine: ReadEngine, type: string, roomId?: string): Promise<{ room_id: string; json: string }[]> {
  const f = roomFilter(roomId, 'c.room_id', 'AND');
  const rows = await engine.query<{ room_id: string; json: string }>(
    `SELECT c.room_id, ej.json FROM current_state_events c JOIN event_json ej ON ej.event_id = c.event_id
      WHERE c.type = ? AND c.state_key = ''${f.sql}`,
    [type, ...f.params],
  );
  return rows.map((r) => ({ room_id: String(r.room_id), json: String(r.json) }));
}

/** Whether a room is known: a rooms row or any event. */
export async function roomExists(engine: ReadEngine, roomId: string): Promise<boolean> {
  const a = await engine.queryOne('SELECT 1 AS one FROM rooms WHERE room_id = ?', [roomId]);
  if (a) return true;
  const b = await engine.queryOne('SELECT 1 AS one FROM events WHERE room_id = ? LIMIT 1', [roomId]);
  return b !== undefined;
}

export async function findBackwardExtremityCounts(engine: ReadEngine, roomId?: string): Promise<{ room_id: string; n: number }[]> {
  const f = roomFilter(roomId, 'room_id', 'WHERE');
  const rows = await engine.query<Record<string, unknown>>(
    `SELECT room_id, COUNT(*) AS n FROM event_backward_extremities${f.sql} GROUP BY room_id`,
    f.params,
  );
  return rows.map((r) => ({ room_id: String(r.room_id), n: num(r.n) }));
}

type Caps = Pick<SchemaCapabilities, 'rejectionsTable' | 'stateEventsTable'>;

/** An event a finding names: its room, id and stream ordering (to sample the earliest). */
export interface FindingEventRow {
  room_id: string;
  event_id: string;
  stream_ordering: number;
}

function findingRow(r: Record<string, unknown>): FindingEventRow {
  return { room_id: String(r.room_id), event_id: String(r.event_id), stream_ordering: num(r.stream_ordering) };
}

/**
 * Rejected events that are still in current_state_events. With the rejections table: driven from
 * it (CROSS JOIN fixes SQLite's join order) through current_state_events' unique event_id index.
 * Without it: the current state (one row per state key) probing events by id.
 */
export function iterateRejectedInCurrentState(engine: ReadEngine, caps: Caps, roomId?: string): AsyncIterable<FindingEventRow> {
  const f = roomFilter(roomId, 'c.room_id', 'AND');
  const sql = caps.rejectionsTable
    ? `SELECT c.room_id, c.event_id, e.stream_ordering
         FROM rejections rj CROSS JOIN current_state_events c LEFT JOIN events e ON e.event_id = c.event_id
        WHERE c.event_id = rj.event_id${f.sql}`
    : `SELECT c.room_id, c.event_id, e.stream_ordering
         FROM current_state_events c CROSS JOIN events e
        WHERE e.event_id = c.event_id AND e.rejection_reason IS NOT NULL${f.sql}`;
  return mapRows(engine.iterate<Record<string, unknown>>(sql, f.params, 5000), findingRow);
}

/** An event citing a rejected one (`auth_id`) among its auth events. */
export interface CitingRow extends FindingEventRow {
  auth_id: string;
  /** Whether the citing event is rejected too (the caller keeps the accepted ones). */
  rejected: boolean;
}

/**
 * State events whose event_auth rows cite a rejected event, ordered by (room, event) so an event
 * citing several comes in adjacent rows. event_auth is written for every state event (rejected ones
 * too) and has no index on auth_id, so this is one pass over it joined to the rejected events
 * (SQLite: probing rejections' unique index per row; PostgreSQL: a hash join); only the matches
 * look up their stream ordering and status (subqueries in the select list, so no planner runs them
 * over all of event_auth; an aggregate, so PostgreSQL probes the index instead of hashing the whole
 * rejections table a second time) and are sorted.
 */
export function iterateStateEventsCitingRejected(engine: ReadEngine, caps: Caps, roomId?: string): AsyncIterable<CitingRow> {
  const f = roomFilter(roomId, 'ea.room_id', 'AND');
  const sql = caps.rejectionsTable
    ? `SELECT ea.room_id, ea.event_id, ea.auth_id,
              (SELECT e.stream_ordering FROM events e WHERE e.event_id = ea.event_id) AS stream_ordering,
              (SELECT COUNT(*) FROM rejections r2 WHERE r2.event_id = ea.event_id) AS rejected
         FROM event_auth ea CROSS JOIN rejections rj
        WHERE rj.event_id = ea.auth_id${f.sql}
        ORDER BY ea.room_id, ea.event_id`
    : `SELECT ea.room_id, ea.event_id, ea.auth_id, e.stream_ordering,
              CASE WHEN e.rejection_reason IS NULL THEN 0 ELSE 1 END AS rejected
         FROM event_auth ea CROSS JOIN events x CROSS JOIN events e
        WHERE x.event_id = ea.auth_id AND x.rejection_reason IS NOT NULL AND e.event_id = ea.event_id${f.sql}
        ORDER BY ea.room_id, ea.event_id`;
  return mapRows(engine.iterate<Record<string, unknown>>(sql, f.params, 5000), (r) => ({
    ...findingRow(r),
    auth_id: String(r.auth_id),
    rejected: num(r.rejected) === 1,
  }));
}

/**
 * Rejected state events that were accepted once: they still have the rows Synapse writes only for
 * accepted events (event_edges; research notes §3.4), or sit in the current state, or are a create
 * event (which has no prev events, hence no edges). A state event rejected on arrival has none of
 * these, and nothing accepted can cite it: every event citing it is rejected too (auth rule 2.3).
 * Driven from rejections (state_events before the big events table); the tests are in the select
 * list, so they run for the rejected state events only, and the caller keeps `once_accepted` rows.
 * Without the rejections table, one pass over events.
 */
export async function findOnceAcceptedRejectedStateEvents(engine: ReadEngine, caps: Caps, roomId?: string): Promise<FindingEventRow[]> {
  const onceAccepted = (t: string): string => `${t}.type = 'm.room.create'
            OR EXISTS (SELECT 1 FROM event_edges ed WHERE ed.event_id = ${t}.event_id)
            OR EXISTS (SELECT 1 FROM current_state_events c WHERE c.event_id = ${t}.event_id)`;
  let sql: string;
  let params: string[];
  if (caps.rejectionsTable && caps.stateEventsTable) {
    const f = roomFilter(roomId, 's.room_id', 'AND');
    params = f.params;
    sql = `SELECT s.room_id, s.event_id,
                  CASE WHEN ${onceAccepted('s')} THEN 1 ELSE 0 END AS once_accepted,
                  (SELECT e.stream_ordering FROM events e WHERE e.event_id = s.event_id) AS stream_ordering
             FROM rejections rj CROSS JOIN state_events s
            WHERE s.event_id = rj.event_id${f.sql}`;
  } else {
    const f = roomFilter(roomId, 'e.room_id', 'AND');
    params = f.params;
    const from = caps.rejectionsTable ? 'rejections rj CROSS JOIN events e' : 'events e';
    const rejected = caps.rejectionsTable ? 'e.event_id = rj.event_id' : 'e.rejection_reason IS NOT NULL';
    sql = `SELECT e.room_id, e.event_id, 1 AS once_accepted, e.stream_ordering FROM ${from}
            WHERE ${rejected} AND e.state_key IS NOT NULL AND (${onceAccepted('e')})${f.sql}`;
  }
  const rows = await engine.query<Record<string, unknown>>(sql, params);
  return rows.filter((r) => num(r.once_accepted) === 1).map(findingRow);
}

/** One event of a room's stream range: whether it is accepted and not a state event. */
export interface RangeEventRow {
  event_id: string;
  stream_ordering: number;
  accepted: boolean;
  non_state: boolean;
}

/**
 * At most `limit` events of one room from stream ordering `from` on, in stream order: one bounded
 * range scan of events_room_stream, each row probing rejections by its unique index.
 */
export async function findRoomStreamRange(engine: ReadEngine, caps: Caps, roomId: string, from: number, limit: number): Promise<RangeEventRow[]> {
  const rejected = caps.rejectionsTable ? 'rj.event_id IS NOT NULL' : 'e.rejection_reason IS NOT NULL';
  const join = caps.rejectionsTable ? 'LEFT JOIN rejections rj ON rj.event_id = e.event_id' : '';
  const rows = await engine.query<Record<string, unknown>>(
    `SELECT e.event_id, e.stream_ordering,
            CASE WHEN ${rejected} THEN 0 ELSE 1 END AS accepted,
            CASE WHEN e.state_key IS NULL THEN 1 ELSE 0 END AS non_state
       FROM events e ${join}
      WHERE e.room_id = ? AND e.stream_ordering >= ?
      ORDER BY e.stream_ordering
      LIMIT ?`,
    [roomId, from, Math.max(0, Math.floor(limit))],
  );
  return rows.map((r) => ({
    event_id: String(r.event_id),
    stream_ordering: num(r.stream_ordering),
    accepted: num(r.accepted) === 1,
    non_state: num(r.non_state) === 1,
  }));
}

/** event_json.json of some events, by id (batches of 500 through event_json's unique index). */
export { findEventJson as findEventJsonByIds } from './rejections.js';

/** A forward extremity whose event is rejected or an outlier. */
export interface BadExtremityRow extends FindingEventRow {
  rejected: boolean;
  outlier: boolean;
}

/** Forward extremities (a few per room) whose event is rejected or an outlier, probing by id. */
export function iterateBadForwardExtremities(engine: ReadEngine, caps: Caps, roomId?: string): AsyncIterable<BadExtremityRow> {
  const f = roomFilter(roomId, 'x.room_id', 'AND');
  const rejected = caps.rejectionsTable ? 'rj.event_id IS NOT NULL' : 'e.rejection_reason IS NOT NULL';
  const join = caps.rejectionsTable ? 'LEFT JOIN rejections rj ON rj.event_id = x.event_id' : '';
  const sql = `SELECT x.room_id, x.event_id, e.stream_ordering,
                      CASE WHEN ${rejected} THEN 1 ELSE 0 END AS rejected,
                      CASE WHEN e.outlier THEN 1 ELSE 0 END AS outlier
                 FROM event_forward_extremities x JOIN events e ON e.event_id = x.event_id ${join}
                WHERE (${rejected} OR e.outlier)${f.sql}`;
  return mapRows(engine.iterate<Record<string, unknown>>(sql, f.params, 5000), (r) => ({
    ...findingRow(r),
    rejected: num(r.rejected) === 1,
    outlier: num(r.outlier) === 1,
  }));
}

/**
 * The engine's structural check (SQLite `PRAGMA quick_check`, through the engine's hook): the
 * first `max` problems (none: it passed), or undefined where the engine has no such check.
 */
export async function runQuickCheck(engine: ReadEngine, max: number): Promise<string[] | undefined> {
  const hooks = (engine as Partial<Engine>).hooks;
  if (hooks?.quickCheck === undefined) return undefined;
  return hooks.quickCheck(max);
}

async function* mapRows<T, U>(rows: AsyncIterable<T>, fn: (row: T) => U): AsyncIterable<U> {
  for await (const row of rows) yield fn(row);
}
