/**
 * Every SQL statement `graph` runs. Reads are bounded: events by id in batches (the ancestors of
 * the focus, hop by hop), and ranges of one room's stream index with a LIMIT (the descendants of
 * the focus, the most recent events). No statement reads a whole room.
 */
import type { ReadEngine } from '../engine/engine.js';
import { statement } from '../engine/engine.js';
import type { SchemaCapabilities } from '../schema-version.js';
import { rejectionJoin } from './rejection-sql.js';

export interface GraphEventRow {
  event_id: string;
  room_id: string;
  type: string;
  state_key: string | null;
  sender: string;
  origin_server_ts: number;
  depth: number;
  stream_ordering: number;
  outlier: boolean;
  /** Null when the event is not rejected. */
  rejection: string | null;
  internal_metadata: string;
  json: string;
}

const BATCH = 500;

type Caps = Pick<SchemaCapabilities, 'rejectionsTable'>;


function columns(caps: Caps): { select: string; join: string } {
  const r = rejectionJoin(caps);
  return {
    select: `e.event_id AS event_id, e.room_id AS room_id, e.type AS type, e.state_key AS state_key, e.sender AS sender,
      e.origin_server_ts AS origin_server_ts, e.depth AS depth, e.stream_ordering AS stream_ordering, e.outlier AS outlier,
      ${r.column} AS rejection, ej.internal_metadata AS internal_metadata, ej.json AS json`,
    join: `JOIN event_json ej ON ej.event_id = e.event_id ${r.join}`,
  };
}

function text(v: unknown): string {
  if (v === null || v === undefined) return '';
  return typeof v === 'string' ? v : Buffer.from(v as Uint8Array).toString('utf8');
}

function normalise(r: Record<string, unknown>): GraphEventRow {
  return {
    event_id: r.event_id as string,
    room_id: r.room_id as string,
    type: text(r.type),
    state_key: r.state_key === null || r.state_key === undefined ? null : text(r.state_key),
    sender: text(r.sender),
    origin_server_ts: Number(r.origin_server_ts ?? 0),
    depth: Number(r.depth ?? 0),
    stream_ordering: Number(r.stream_ordering ?? 0),
    outlier: r.outlier === true || r.outlier === 1,
    rejection: r.rejection === null || r.rejection === undefined ? null : text(r.rejection),
    internal_metadata: r.internal_metadata === null || r.internal_metadata === undefined ? '{}' : text(r.internal_metadata),
    json: text(r.json),
  };
}

/** Events by id (any room, any status), in batches; unknown ids are absent from the map. */
export async function findGraphEventsByIds(engine: ReadEngine, caps: Caps, ids: Iterable<string>): Promise<Map<string, GraphEventRow>> {
  const all = [...new Set(ids)];
  const out = new Map<string, GraphEventRow>();
  const c = columns(caps);
  for (let i = 0; i < all.length; i += BATCH) {
    const chunk = all.slice(i, i + BATCH);
    const rows = await engine.query<Record<string, unknown>>(statement(
      `SELECT ${c.select} FROM events e ${c.join} WHERE e.event_id IN (${chunk.map(() => '?').join(', ')})`,
      chunk,
    ));
    for (const r of rows) out.set(r.event_id as string, normalise(r));
  }
  return out;
}

/** At most `limit` events of the room after a stream ordering, in stream order (where descendants are). */
export async function findRoomEventsAfter(engine: ReadEngine, caps: Caps, roomId: string, afterStream: number, limit: number): Promise<GraphEventRow[]> {
  const c = columns(caps);
  const rows = await engine.query<Record<string, unknown>>(statement(
    `SELECT ${c.select} FROM events e ${c.join}
      WHERE e.room_id = ? AND e.stream_ordering > ?
      ORDER BY e.stream_ordering, e.event_id LIMIT ?`,
    [roomId, afterStream, limit],
  ));
  return rows.map(normalise);
}

/** The room's `limit` most recent events (highest stream orderings), newest first. */
export async function findRecentRoomEvents(engine: ReadEngine, caps: Caps, roomId: string, limit: number): Promise<GraphEventRow[]> {
  const c = columns(caps);
  const rows = await engine.query<Record<string, unknown>>(statement(
    `SELECT ${c.select} FROM events e ${c.join}
      WHERE e.room_id = ?
      ORDER BY e.stream_ordering DESC, e.event_id DESC LIMIT ?`,
    [roomId, limit],
  ));
  return rows.map(normalise);
}

/** How many events the room has (to say how much of it a graph shows). */
export async function countRoomEvents(engine: ReadEngine, roomId: string): Promise<number> {
  const row = await engine.queryOne<{ n: unknown }>(statement('SELECT COUNT(*) AS n FROM events WHERE room_id = ?', [roomId]));
  return Number(row?.n ?? 0);
}

/** The room's version (rooms.room_version), or null when the room row has none. */
export async function findRoomVersion(engine: ReadEngine, roomId: string): Promise<string | null> {
  const row = await engine.queryOne<{ room_version: string | null }>(statement('SELECT room_version FROM rooms WHERE room_id = ?', [roomId]));
  return row?.room_version ?? null;
}
