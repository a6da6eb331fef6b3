/**
 * What `unreject` reads about one room: its events from a stream position on (the window the cure
 * recomputes), every state event of the room (state resolution walks auth chains, which are made
 * of state events), the rows an accepted event should have, the current state and extremities,
 * which users are local, and the id positions new rows continue from. Every query names the room
 * or a list of its event ids: the cure never reads another room's rows.
 */
import type { ReadEngine, SqlValue } from '../engine/engine.js';
import { statement } from '../engine/engine.js';
import { hasTable } from '../introspect.js';
import type { SchemaCapabilities } from '../schema-version.js';
import { rejectionJoin } from './rejection-sql.js';

const BATCH = 500;

function text(v: unknown): string {
  return typeof v === 'string' ? v : Buffer.from(v as Uint8Array).toString('utf8');
}

export interface WindowEventRow {
  event_id: string;
  type: string;
  state_key: string | null;
  stream_ordering: number;
  depth: number;
  received_ts: number;
  outlier: boolean;
  rejection: string | null;
  state_group: number | null;
  internal_metadata: string;
  json: string;
}


/** The room's events at or after a stream ordering, in stream order, with their JSON and state group. */
export async function* iterateRoomEventsFrom(engine: ReadEngine, caps: Pick<SchemaCapabilities, 'rejectionsTable'>, roomId: string, fromStream: number): AsyncIterable<WindowEventRow> {
  const r = rejectionJoin(caps);
  const rows = engine.iterate<Record<string, unknown>>(statement(
    `SELECT e.event_id AS event_id, e.type AS type, e.state_key AS state_key, e.stream_ordering AS stream_ordering, e.depth AS depth,
            e.received_ts AS received_ts, e.outlier AS outlier, ${r.column} AS rejection, sg.state_group AS state_group,
            ej.internal_metadata AS internal_metadata, ej.json AS json
       FROM events e JOIN event_json ej ON ej.event_id = e.event_id ${r.join}
       LEFT JOIN event_to_state_groups sg ON sg.event_id = e.event_id
      WHERE e.room_id = ? AND e.stream_ordering >= ?
      ORDER BY e.stream_ordering`,
    [roomId, fromStream],
  ), undefined, 2000);
  for await (const x of rows) {
    yield {
      event_id: x.event_id as string,
      type: x.type as string,
      state_key: (x.state_key as string | null) ?? null,
      stream_ordering: Number(x.stream_ordering),
      depth: Number(x.depth),
      received_ts: Number(x.received_ts ?? 0),
      outlier: x.outlier === true || x.outlier === 1,
      rejection: (x.rejection as string | null) ?? null,
      state_group: x.state_group === null || x.state_group === undefined ? null : Number(x.state_group),
      internal_metadata: x.internal_metadata === null || x.internal_metadata === undefined ? '{}' : text(x.internal_metadata),
      json: text(x.json),
    };
  }
}

export interface StateEventRow {
  event_id: string;
  rejection: string | null;
  json: string;
}

/** Every state event of the room (outliers included), with its JSON and rejection. */
export async function* iterateRoomStateEvents(engine: ReadEngine, caps: Pick<SchemaCapabilities, 'rejectionsTable'>, roomId: string): AsyncIterable<StateEventRow> {
  const r = rejectionJoin(caps);
  const rows = engine.iterate<Record<string, unknown>>(statement(
    `SELECT e.event_id AS event_id, ${r.column} AS rejection, ej.json AS json
       FROM state_events s JOIN events e ON e.event_id = s.event_id JOIN event_json ej ON ej.event_id = s.event_id ${r.join}
      WHERE s.room_id = ?`,
    [roomId],
  ), undefined, 2000);
  for await (const x of rows) yield { event_id: x.event_id as string, rejection: (x.rejection as string | null) ?? null, json: text(x.json) };
}

export interface EventPosition {
  room_id: string;
  stream_ordering: number;
  state_group: number | null;
  outlier: boolean;
}

/** Stored events (of any room) by id: their state group, outlier flag and stream ordering. */
export async function findEventPositions(engine: ReadEngine, ids: Iterable<string>): Promise<Map<string, EventPosition>> {
  const all = [...new Set(ids)];
  const out = new Map<string, EventPosition>();
  for (let i = 0; i < all.length; i += BATCH) {
    const chunk = all.slice(i, i + BATCH);
    const rows = await engine.query<Record<string, unknown>>(statement(
      `SELECT e.event_id AS event_id, e.room_id AS room_id, e.stream_ordering AS stream_ordering, e.outlier AS outlier, sg.state_group AS state_group
         FROM events e LEFT JOIN event_to_state_groups sg ON sg.event_id = e.event_id
        WHERE e.event_id IN (${chunk.map(() => '?').join(', ')})`,
      chunk,
    ));
    for (const r of rows) {
      out.set(r.event_id as string, {
        room_id: r.room_id as string,
        stream_ordering: Number(r.stream_ordering),
        outlier: r.outlier === true || r.outlier === 1,
        state_group: r.state_group === null || r.state_group === undefined ? null : Number(r.state_group),
      });
    }
  }
  return out;
}

/** Of these event ids, those that already have a row in `table` (a table keyed by event_id). */
export async function eventsWithRows(engine: ReadEngine, table: 'event_edges' | 'room_memberships' | 'event_relations' | 'redactions', ids: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  if (!(await hasTable(engine, table))) return out;
  for (let i = 0; i < ids.length; i += BATCH) {
    const chunk = ids.slice(i, i + BATCH);
    const rows = await engine.query<{ event_id: string }>(statement(`SELECT DISTINCT event_id FROM ${table} WHERE event_id IN (${chunk.map(() => '?').join(', ')})`, chunk));
    for (const r of rows) out.add(r.event_id);
  }
  return out;
}

/** Event ids of the room that have event_search rows (one scan: SQLite's FTS table has no index on event_id). */
export async function eventsWithSearchRows(engine: ReadEngine, roomId: string): Promise<Set<string>> {
  const rows = await engine.query<{ event_id: string }>(statement('SELECT event_id FROM event_search WHERE room_id = ?', [roomId]));
  return new Set(rows.map((r) => r.event_id));
}

export interface ThreadRow {
  thread_id: string;
  latest_event_id: string;
  topological_ordering: number;
  stream_ordering: number;
}

export async function findThreads(engine: ReadEngine, roomId: string, threadIds: readonly string[]): Promise<Map<string, ThreadRow>> {
  const out = new Map<string, ThreadRow>();
  if (threadIds.length === 0 || !(await hasTable(engine, 'threads'))) return out;
  for (let i = 0; i < threadIds.length; i += BATCH) {
    const chunk = threadIds.slice(i, i + BATCH);
    const rows = await engine.query<Record<string, unknown>>(statement(
      `SELECT thread_id, latest_event_id, topological_ordering, stream_ordering FROM threads WHERE room_id = ? AND thread_id IN (${chunk.map(() => '?').join(', ')})`,
      [roomId, ...chunk],
    ));
    for (const r of rows) out.set(r.thread_id as string, { thread_id: r.thread_id as string, latest_event_id: r.latest_event_id as string, topological_ordering: Number(r.topological_ordering), stream_ordering: Number(r.stream_ordering) });
  }
  return out;
}

export interface CurrentStateRow {
  type: string;
  state_key: string;
  event_id: string;
}

export async function findCurrentState(engine: ReadEngine, roomId: string): Promise<CurrentStateRow[]> {
  return engine.query<CurrentStateRow>(statement('SELECT type, state_key, event_id FROM current_state_events WHERE room_id = ? ORDER BY type, state_key', [roomId]));
}

export async function findForwardExtremities(engine: ReadEngine, roomId: string): Promise<string[]> {
  const rows = await engine.query<{ event_id: string }>(statement('SELECT event_id FROM event_forward_extremities WHERE room_id = ? ORDER BY event_id', [roomId]));
  return rows.map((r) => r.event_id);
}

/** Of these user ids, the local ones (registered in `users`): local_current_membership is theirs only. */
export async function findLocalUsers(engine: ReadEngine, userIds: readonly string[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < userIds.length; i += BATCH) {
    const chunk = userIds.slice(i, i + BATCH);
    const rows = await engine.query<{ name: string }>(statement(`SELECT name FROM users WHERE name IN (${chunk.map(() => '?').join(', ')})`, chunk));
    for (const r of rows) out.add(r.name);
  }
  return out;
}

export interface LocalMembershipRow {
  user_id: string;
  event_id: string;
  membership: string;
}

export async function findLocalCurrentMembership(engine: ReadEngine, roomId: string): Promise<LocalMembershipRow[]> {
  return engine.query<LocalMembershipRow>(statement('SELECT user_id, event_id, membership FROM local_current_membership WHERE room_id = ? ORDER BY user_id', [roomId]));
}

/** The highest stream ordering in use: where the events stream stands (current_state_delta_stream shares it). */
export async function eventsStreamPosition(engine: ReadEngine): Promise<number> {
  const row = await engine.queryOne<{ m: number | null }>('SELECT MAX(stream_ordering) AS m FROM events');
  return Number(row?.m ?? 0);
}

/** Where a Synapse background handler (stats, user directory) has read current_state_delta_stream to; undefined without the table. */
export async function handlerPosition(engine: ReadEngine, table: 'stats_incremental_position' | 'user_directory_stream_pos'): Promise<number | undefined> {
  if (!(await hasTable(engine, table))) return undefined;
  const row = await engine.queryOne<{ stream_id: number | null }>(`SELECT stream_id FROM ${table}`);
  return row?.stream_id === null || row?.stream_id === undefined ? undefined : Number(row.stream_id);
}

/** The highest state group id in use (0 when there is none). */
export async function maxStateGroupId(state: ReadEngine): Promise<number> {
  const row = await state.queryOne<{ m: number | null }>('SELECT MAX(id) AS m FROM state_groups');
  return Number(row?.m ?? 0);
}

/** How many state_groups_state rows some groups hold. */
export async function countStateGroupRows(state: ReadEngine, groups: readonly number[]): Promise<number> {
  let n = 0;
  for (let i = 0; i < groups.length; i += BATCH) {
    const chunk = groups.slice(i, i + BATCH);
    const row = await state.queryOne<{ n: number }>(statement(`SELECT COUNT(*) AS n FROM state_groups_state WHERE state_group IN (${chunk.map(() => '?').join(', ')})`, chunk));
    n += Number(row?.n ?? 0);
  }
  return n;
}

/** Where a PostgreSQL sequence stands (last_value), or undefined without sequences. */
export async function sequencePosition(engine: ReadEngine, sequence: 'state_group_id_seq' | 'events_backfill_stream_seq' | 'events_stream_seq'): Promise<number | undefined> {
  if (!engine.capabilities.sequences) return undefined;
  const row = await engine.queryOne<{ last_value: number }>(`SELECT last_value FROM ${sequence}`);
  return row ? Number(row.last_value) : undefined;
}

/** The highest state group id, and on PostgreSQL where state_group_id_seq stands: new ids continue above both. */
export async function stateGroupIdPosition(state: ReadEngine): Promise<number> {
  let max = await maxStateGroupId(state);
  const seq = await sequencePosition(state, 'state_group_id_seq');
  if (seq !== undefined) max = Math.max(max, seq);
  return max;
}

/** Edges from a state group down to its full snapshot (the delta chain's length). */
export async function stateGroupHops(state: ReadEngine, group: number): Promise<number> {
  const row = await state.queryOne<{ n: number | null }>(statement(
    `WITH RECURSIVE chain(state_group, n) AS (
       SELECT CAST(? AS BIGINT), 0
       UNION ALL
       SELECT e.prev_state_group, c.n + 1 FROM state_group_edges e JOIN chain c ON e.state_group = c.state_group WHERE c.n < 10000
     )
     SELECT MAX(n) AS n FROM chain`,
    [group],
  ));
  return Number(row?.n ?? 0);
}

export interface RoomStats {
  current: Record<string, SqlValue> | undefined;
  state: Record<string, SqlValue> | undefined;
}

export async function findRoomStats(engine: ReadEngine, roomId: string): Promise<RoomStats> {
  const current = (await hasTable(engine, 'room_stats_current'))
    ? await engine.queryOne<Record<string, SqlValue>>(statement('SELECT * FROM room_stats_current WHERE room_id = ?', [roomId]))
    : undefined;
  const state = (await hasTable(engine, 'room_stats_state'))
    ? await engine.queryOne<Record<string, SqlValue>>(statement('SELECT * FROM room_stats_state WHERE room_id = ?', [roomId]))
    : undefined;
  return { current, state };
}

