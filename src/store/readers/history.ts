/**
 * What `import-history` reads: a room's events on each side (the source with everything a copy
 * needs, the target as an index), the state groups the imported events point at and every group
 * they are deltas on, and the target's positions (lowest stream ordering, backward extremities,
 * room depth). Every query names the room, or ids of its events or state groups.
 */
import type { ReadEngine, SqlValue } from '../engine/engine.js';
import { statement } from '../engine/engine.js';
import { hasTable } from '../introspect.js';
import type { SchemaCapabilities } from '../schema-version.js';
import { rejectionJoin } from './rejection-sql.js';

const BATCH = 500;

function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : Buffer.from(v as Uint8Array).toString('utf8');
}
const bool = (v: unknown): boolean => v === true || v === 1 || v === '1' || v === 't';
const num = (v: unknown): number => Number(v ?? 0);

export interface SourceEvent {
  event_id: string;
  type: string;
  state_key: string | null;
  sender: string;
  depth: number;
  stream_ordering: number;
  outlier: boolean;
  rejection: string | null;
  /** rejections.last_check as stored (text). */
  last_check: string | null;
  origin_server_ts: number;
  received_ts: number | null;
  contains_url: boolean;
  json: string;
  internal_metadata: string;
  format_version: number | null;
  state_group: number | null;
}


const SOURCE_COLUMNS = (r: { column: string; check: string }): string => `e.event_id AS event_id, e.type AS type, e.state_key AS state_key, e.sender AS sender, e.depth AS depth,
            e.stream_ordering AS stream_ordering, e.outlier AS outlier, ${r.column} AS rejection, ${r.check} AS last_check,
            e.origin_server_ts AS origin_server_ts, e.received_ts AS received_ts, e.contains_url AS contains_url,
            ej.json AS json, ej.internal_metadata AS internal_metadata, ej.format_version AS format_version, sg.state_group AS state_group`;

/**
 * Every event of a room with its rejection and state group, in stream order (streamed); with its
 * JSON for the events from stream ordering `jsonFrom` on (default: all; `json` and
 * `internal_metadata` empty for the others: planning whose JSON pass reads them elsewhere,
 * iterateSourceEventJson).
 */
export async function* iterateSourceEvents(engine: ReadEngine, caps: Pick<SchemaCapabilities, 'rejectionsTable'>, roomId: string, jsonFrom = Number.NEGATIVE_INFINITY): AsyncIterable<SourceEvent> {
  const r = rejectionJoin(caps);
  const bare = `e.event_id AS event_id, e.type AS type, e.state_key AS state_key, e.sender AS sender, e.depth AS depth,
            e.stream_ordering AS stream_ordering, e.outlier AS outlier, ${r.column} AS rejection, ${r.check} AS last_check,
            e.origin_server_ts AS origin_server_ts, e.received_ts AS received_ts, e.contains_url AS contains_url, sg.state_group AS state_group`;
  // Two queries rather than one with the JSON in a CASE: without JSON columns the join only probes
  // event_json's (covering) index, never its rows; one query with a CASE read the room's first three
  // quarters at about 16 µs an event, against 8.5 without the JSON columns.
  const part = (columns: string, range: string, params: readonly SqlValue[]): AsyncIterable<Record<string, unknown>> => engine.iterate<Record<string, unknown>>(statement(
    `SELECT ${columns}
       FROM events e JOIN event_json ej ON ej.event_id = e.event_id ${r.join}
       LEFT JOIN event_to_state_groups sg ON sg.event_id = e.event_id
      WHERE e.room_id = ?${range}
      ORDER BY e.stream_ordering`,
    [roomId, ...params],
  ), undefined, 2000);
  const split = Number.isFinite(jsonFrom);
  const at = split ? [jsonFrom] : [];
  if (jsonFrom !== Number.NEGATIVE_INFINITY) for await (const x of part(bare, split ? ' AND e.stream_ordering < ?' : '', at)) yield sourceEvent(x);
  if (jsonFrom !== Number.POSITIVE_INFINITY) for await (const x of part(SOURCE_COLUMNS(r), split ? ' AND e.stream_ordering >= ?' : '', at)) yield sourceEvent(x);
}

/**
 * A stream ordering at or below which about a room's last `n` events lie (every event counted, with
 * or without its JSON: an index-only walk); undefined when it has fewer. Splits planning's scan.
 */
export async function streamOrderingOfLast(engine: ReadEngine, roomId: string, n: number): Promise<number | undefined> {
  if (n < 1) return undefined;
  const row = await engine.queryOne<{ so: number }>(statement('SELECT stream_ordering AS so FROM events WHERE room_id = ? ORDER BY stream_ordering DESC LIMIT 1 OFFSET ?', [roomId, n - 1]));
  return row === undefined ? undefined : num(row.so);
}

/** How many events a room holds (an index-only count). */
export async function countRoomEvents(engine: ReadEngine, roomId: string): Promise<number> {
  return num((await engine.queryOne<{ n: number }>(statement('SELECT count(*) AS n FROM events WHERE room_id = ?', [roomId])))?.n);
}

export interface SourceEventJson {
  event_id: string;
  json: string;
  outlier: boolean;
  rejected: boolean;
  state: boolean;
}

/** The same events as iterateSourceEvents, in the same order, with only their JSON and flags; those below stream ordering `below` when given. */
export async function* iterateSourceEventJson(engine: ReadEngine, caps: Pick<SchemaCapabilities, 'rejectionsTable'>, roomId: string, below?: number): AsyncIterable<SourceEventJson> {
  const r = rejectionJoin(caps);
  const rows = engine.iterate<Record<string, unknown>>(statement(
    `SELECT e.event_id AS event_id, ej.json AS json, e.outlier AS outlier, ${r.column} AS rejection, e.state_key AS state_key
       FROM events e JOIN event_json ej ON ej.event_id = e.event_id ${r.join}
      WHERE e.room_id = ?${below === undefined ? '' : ' AND e.stream_ordering < ?'}
      ORDER BY e.stream_ordering`,
    below === undefined ? [roomId] : [roomId, below],
  ), undefined, 2000);
  for await (const x of rows) {
    yield { event_id: x.event_id as string, json: text(x.json), outlier: bool(x.outlier), rejected: x.rejection !== null && x.rejection !== undefined, state: x.state_key !== null && x.state_key !== undefined };
  }
}

export interface SourceEventRef {
  event_id: string;
  outlier: boolean;
  state_group: number | null;
}

/** Every event of a room, without its JSON: id, outlier flag and state group, in stream order, in pages. */
export async function* iterateSourceEventRefs(engine: ReadEngine, roomId: string, page = 5000): AsyncIterable<SourceEventRef[]> {
  let batch: SourceEventRef[] = [];
  for await (const x of engine.iterate<Record<string, unknown>>(statement(
    `SELECT e.event_id AS event_id, e.outlier AS outlier, sg.state_group AS state_group
       FROM events e LEFT JOIN event_to_state_groups sg ON sg.event_id = e.event_id
      WHERE e.room_id = ? ORDER BY e.stream_ordering`,
    [roomId],
  ), undefined, page)) {
    batch.push({ event_id: x.event_id as string, outlier: bool(x.outlier), state_group: x.state_group === null || x.state_group === undefined ? null : num(x.state_group) });
    if (batch.length >= page) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** How many timeline (non-outlier) events a room holds. */
export async function countTimelineEvents(engine: ReadEngine, roomId: string): Promise<number> {
  const row = await engine.queryOne<{ n: number }>(statement('SELECT COUNT(*) AS n FROM events WHERE room_id = ? AND outlier = ?', [roomId, false]));
  return num(row?.n);
}

function sourceEvent(x: Record<string, unknown>): SourceEvent {
  {
    return {
      event_id: x.event_id as string,
      type: x.type as string,
      state_key: (x.state_key as string | null) ?? null,
      sender: x.sender as string,
      depth: num(x.depth),
      stream_ordering: num(x.stream_ordering),
      outlier: bool(x.outlier),
      rejection: (x.rejection as string | null) ?? null,
      last_check: x.last_check === null || x.last_check === undefined ? null : String(x.last_check),
      origin_server_ts: num(x.origin_server_ts),
      received_ts: x.received_ts === null || x.received_ts === undefined ? null : num(x.received_ts),
      contains_url: bool(x.contains_url),
      json: text(x.json),
      internal_metadata: text(x.internal_metadata) || '{}',
      format_version: x.format_version === null || x.format_version === undefined ? null : num(x.format_version),
      state_group: x.state_group === null || x.state_group === undefined ? null : num(x.state_group),
    };
  }
}

/**
 * Source events of a room by their stream orderings (a batch of the import read again when its
 * rows are made: the planner keeps orderings, not ids, so its memory does not grow with ids).
 */
export async function findSourceEventsByStreamOrderings(engine: ReadEngine, caps: Pick<SchemaCapabilities, 'rejectionsTable'>, roomId: string, orderings: readonly number[]): Promise<SourceEvent[]> {
  const r = rejectionJoin(caps);
  const out: SourceEvent[] = [];
  for (let i = 0; i < orderings.length; i += BATCH) {
    const chunk = orderings.slice(i, i + BATCH);
    const rows = await engine.query<Record<string, unknown>>(statement(
      `SELECT ${SOURCE_COLUMNS(r)}
         FROM events e JOIN event_json ej ON ej.event_id = e.event_id ${r.join}
         LEFT JOIN event_to_state_groups sg ON sg.event_id = e.event_id
        WHERE e.room_id = ? AND e.stream_ordering IN (${chunk.map(() => '?').join(', ')})`,
      [roomId, ...chunk],
    ));
    for (const x of rows) out.push(sourceEvent(x));
  }
  return out;
}

export interface EventStatus {
  outlier: boolean;
  rejected: boolean;
}

/** Which of some events a room holds, and as what (outlier, rejected): a few ids, e.g. prev events no batch resolved. */
export async function findEventStatusByIds(engine: ReadEngine, caps: Pick<SchemaCapabilities, 'rejectionsTable'>, roomId: string, ids: readonly string[]): Promise<Map<string, EventStatus>> {
  const r = rejectionJoin(caps);
  const out = new Map<string, EventStatus>();
  for (let i = 0; i < ids.length; i += BATCH) {
    const chunk = ids.slice(i, i + BATCH);
    const rows = await engine.query<Record<string, unknown>>(statement(
      `SELECT e.event_id AS event_id, e.outlier AS outlier, ${r.column} AS rejection FROM events e ${r.join} WHERE e.room_id = ? AND e.event_id IN (${chunk.map(() => '?').join(', ')})`,
      [roomId, ...chunk],
    ));
    for (const x of rows) out.set(x.event_id as string, { outlier: bool(x.outlier), rejected: x.rejection !== null && x.rejection !== undefined });
  }
  return out;
}

export interface TargetEvent {
  outlier: boolean;
  stream_ordering: number;
}

/** The target's events of a room, by id (no JSON). */
export async function roomEventIndex(engine: ReadEngine, roomId: string): Promise<Map<string, TargetEvent>> {
  const out = new Map<string, TargetEvent>();
  for await (const r of engine.iterate<Record<string, unknown>>(statement('SELECT event_id, outlier, stream_ordering FROM events WHERE room_id = ?', [roomId]), undefined, 5000)) {
    out.set(r.event_id as string, { outlier: bool(r.outlier), stream_ordering: num(r.stream_ordering) });
  }
  return out;
}

/** The stored JSON of some events, by id (one reader for every capability). */
export { findEventJson as eventJsonByIds } from './rejections.js';

export interface RoomRow {
  room_version: string | null;
  has_auth_chain_index: boolean | null;
}

export async function findRoomRow(engine: ReadEngine, roomId: string): Promise<RoomRow | undefined> {
  const row = await engine.queryOne<Record<string, unknown>>(statement('SELECT * FROM rooms WHERE room_id = ?', [roomId]));
  if (!row) return undefined;
  return { room_version: (row.room_version as string | null) ?? null, has_auth_chain_index: row.has_auth_chain_index === undefined || row.has_auth_chain_index === null ? null : bool(row.has_auth_chain_index) };
}

/**
 * Where the backfill stream stands: the lowest stream ordering in use (any room; events and
 * ex_outlier_stream), the
 * `stream_positions` row for 'backfill' (stored negative) and, on PostgreSQL,
 * events_backfill_stream_seq (positive: the next backfill id is its negation). New backfilled
 * events go below all of them.
 */
export async function lowestStreamOrdering(engine: ReadEngine): Promise<number> {
  const min = await engine.queryOne<{ m: number | null }>('SELECT MIN(stream_ordering) AS m FROM events');
  let low = Math.min(0, num(min?.m));
  // de-outliered events take a backfill id for their ex_outlier_stream row only
  const ex = await engine.queryOne<{ m: number | null }>('SELECT MIN(event_stream_ordering) AS m FROM ex_outlier_stream');
  if (ex?.m !== null && ex?.m !== undefined) low = Math.min(low, num(ex.m));
  const pos = await engine.queryOne<{ s: number | null }>("SELECT MIN(stream_id) AS s FROM stream_positions WHERE stream_name = 'backfill'");
  if (pos?.s !== null && pos?.s !== undefined) low = Math.min(low, num(pos.s));
  if (engine.capabilities.sequences) {
    const seq = await engine.queryOne<{ last_value: number; is_called: boolean }>('SELECT last_value, is_called FROM events_backfill_stream_seq');
    if (seq && seq.is_called) low = Math.min(low, -num(seq.last_value));
  }
  return low;
}

/** Redaction rows by redaction event id: whether Synapse pruned the redacted event's JSON. */
export async function findRedactionsByIds(engine: ReadEngine, ids: readonly string[]): Promise<Map<string, { have_censored: boolean; received_ts: number | null }>> {
  const out = new Map<string, { have_censored: boolean; received_ts: number | null }>();
  for (let i = 0; i < ids.length; i += BATCH) {
    const chunk = ids.slice(i, i + BATCH);
    const rows = await engine.query<Record<string, unknown>>(statement(`SELECT event_id, have_censored, received_ts FROM redactions WHERE event_id IN (${chunk.map(() => '?').join(', ')})`, chunk));
    for (const r of rows) out.set(r.event_id as string, { have_censored: bool(r.have_censored), received_ts: r.received_ts === null || r.received_ts === undefined ? null : num(r.received_ts) });
  }
  return out;
}

/** Every group the given ones are deltas on, down to full snapshots (the given ones included). */
export async function stateGroupClosure(state: ReadEngine, groups: Iterable<number>): Promise<Map<number, number | null>> {
  const prevOf = new Map<number, number | null>();
  let frontier = [...new Set(groups)];
  while (frontier.length > 0) {
    const next: number[] = [];
    for (let i = 0; i < frontier.length; i += BATCH) {
      const chunk = frontier.slice(i, i + BATCH);
      const rows = await state.query<{ state_group: number; prev_state_group: number }>(statement(`SELECT state_group, prev_state_group FROM state_group_edges WHERE state_group IN (${chunk.map(() => '?').join(', ')})`, chunk));
      const found = new Map(rows.map((r) => [num(r.state_group), num(r.prev_state_group)]));
      for (const g of chunk) {
        const prev = found.get(g);
        prevOf.set(g, prev ?? null);
        if (prev !== undefined && !prevOf.has(prev)) next.push(prev);
      }
    }
    frontier = [...new Set(next)].filter((g) => !prevOf.has(g));
  }
  return prevOf;
}

export interface StateGroupContent {
  event_id: string;
  rows: Array<{ type: string; state_key: string; event_id: string }>;
}

/** The rows of some state groups (state_groups.event_id and their state_groups_state rows). */
export async function stateGroupContents(state: ReadEngine, groups: readonly number[]): Promise<Map<number, StateGroupContent>> {
  const out = new Map<number, StateGroupContent>();
  for (let i = 0; i < groups.length; i += BATCH) {
    const chunk = groups.slice(i, i + BATCH);
    const marks = chunk.map(() => '?').join(', ');
    for (const r of await state.query<{ id: number; event_id: string }>(statement(`SELECT id, event_id FROM state_groups WHERE id IN (${marks})`, chunk))) {
      out.set(num(r.id), { event_id: r.event_id, rows: [] });
    }
    for (const r of await state.query<{ state_group: number; type: string; state_key: string; event_id: string }>(statement(`SELECT state_group, type, state_key, event_id FROM state_groups_state WHERE state_group IN (${marks})`, chunk))) {
      out.get(num(r.state_group))?.rows.push({ type: r.type, state_key: r.state_key, event_id: r.event_id });
    }
  }
  return out;
}

export async function findBackwardExtremities(engine: ReadEngine, roomId: string): Promise<string[]> {
  const rows = await engine.query<{ event_id: string }>(statement('SELECT event_id FROM event_backward_extremities WHERE room_id = ? ORDER BY event_id', [roomId]));
  return rows.map((r) => r.event_id);
}

export async function findFailedPullAttempts(engine: ReadEngine, roomId: string): Promise<string[]> {
  if (!(await hasTable(engine, 'event_failed_pull_attempts'))) return [];
  const rows = await engine.query<{ event_id: string }>(statement('SELECT event_id FROM event_failed_pull_attempts WHERE room_id = ?', [roomId]));
  return rows.map((r) => r.event_id);
}

export async function findMinDepth(engine: ReadEngine, roomId: string): Promise<number | null | undefined> {
  const row = await engine.queryOne<{ min_depth: number | null }>(statement('SELECT min_depth FROM room_depth WHERE room_id = ?', [roomId]));
  if (!row) return undefined;
  return row.min_depth === null ? null : num(row.min_depth);
}

/** Rooms both databases hold (`rooms` rows), sorted. */
export async function sharedRooms(source: ReadEngine, target: ReadEngine): Promise<string[]> {
  const a = new Set((await source.query<{ room_id: string }>('SELECT room_id FROM rooms')).map((r) => r.room_id));
  const b = (await target.query<{ room_id: string }>('SELECT room_id FROM rooms')).map((r) => r.room_id);
  return b.filter((r) => a.has(r)).sort();
}

export type { SqlValue };
