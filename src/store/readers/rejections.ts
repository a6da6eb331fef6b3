/**
 * Every SQL statement `rejections` and `explain` run. The scan reads the rejected events only
 * (`rejections` joined to `events` and `event_json`), then the events they cite, by id, in batches;
 * it never reads every event's JSON. Synapse treats `rejections` as authoritative (research notes
 * §3.2); from schema 95, which drops that table, `events.rejection_reason` is read instead.
 */
import type { ReadEngine, SqlValue } from '../engine/engine.js';
import { statement } from '../engine/engine.js';
import type { SchemaCapabilities } from '../schema-version.js';
import { rejectionJoin } from './rejection-sql.js';

export interface StoredEventRow {
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
  json: string;
  room_version: string | null;
  /** event_to_state_groups: the state after the event (before it, for a rejected event). */
  state_group: number | null;
}

const BATCH = 500;


const COLUMNS = (rejection: string): string => `e.event_id AS event_id, e.room_id AS room_id, e.type AS type, e.state_key AS state_key, e.sender AS sender,
  e.origin_server_ts AS origin_server_ts, e.depth AS depth, e.stream_ordering AS stream_ordering, e.outlier AS outlier,
  ${rejection} AS rejection, ej.json AS json, r.room_version AS room_version, sg.state_group AS state_group`;

function normalise(r: Record<string, unknown>): StoredEventRow {
  return {
    event_id: r.event_id as string,
    room_id: r.room_id as string,
    type: r.type as string,
    state_key: (r.state_key as string | null) ?? null,
    sender: r.sender as string,
    origin_server_ts: Number(r.origin_server_ts ?? 0),
    depth: Number(r.depth ?? 0),
    stream_ordering: Number(r.stream_ordering ?? 0),
    outlier: r.outlier === true || r.outlier === 1,
    rejection: (r.rejection as string | null) ?? null,
    json: typeof r.json === 'string' ? r.json : Buffer.from(r.json as Uint8Array).toString('utf8'),
    room_version: (r.room_version as string | null) ?? null,
    state_group: r.state_group === null || r.state_group === undefined ? null : Number(r.state_group),
  };
}

/**
 * The rejected events (of one room, when given), streamed, in no particular order, with only what
 * classifying needs: no state group, and the room version left to the caller (rooms are few).
 * Driven from `rejections` (CROSS JOIN keeps SQLite from scanning all of `events` instead; the
 * PostgreSQL planner orders joins itself).
 */
export async function* iterateRejectedEvents(engine: ReadEngine, caps: Pick<SchemaCapabilities, 'rejectionsTable'>, roomId?: string): AsyncIterable<StoredEventRow> {
  const params: SqlValue[] = [];
  let where = '';
  if (roomId !== undefined) {
    where = ' AND e.room_id = ?';
    params.push(roomId);
  }
  const cols = (rejection: string): string => `e.event_id AS event_id, e.room_id AS room_id, e.type AS type, e.state_key AS state_key, e.sender AS sender,
    e.origin_server_ts AS origin_server_ts, e.depth AS depth, e.stream_ordering AS stream_ordering, e.outlier AS outlier,
    ${rejection} AS rejection, ej.json AS json, NULL AS room_version, NULL AS state_group`;
  const sql = caps.rejectionsTable
    ? `SELECT ${cols('rj.reason')} FROM rejections rj CROSS JOIN events e JOIN event_json ej ON ej.event_id = e.event_id WHERE e.event_id = rj.event_id${where}`
    : `SELECT ${cols('e.rejection_reason')} FROM events e JOIN event_json ej ON ej.event_id = e.event_id WHERE e.rejection_reason IS NOT NULL${where}`;
  for await (const row of engine.iterate<Record<string, unknown>>(statement(sql, params))) yield normalise(row);
}

/** room_id → room_version for every room. */
export async function findRoomVersions(engine: ReadEngine): Promise<Map<string, string | null>> {
  const rows = await engine.query<{ room_id: string; room_version: string | null }>('SELECT room_id, room_version FROM rooms');
  return new Map(rows.map((r) => [r.room_id, r.room_version ?? null]));
}

/** Events by id (any status), in batches; unknown ids are simply absent. */
export async function findEventsByIds(engine: ReadEngine, caps: Pick<SchemaCapabilities, 'rejectionsTable'>, ids: Iterable<string>): Promise<Map<string, StoredEventRow>> {
  const all = [...new Set(ids)];
  const out = new Map<string, StoredEventRow>();
  const { column, join } = rejectionJoin(caps);
  for (let i = 0; i < all.length; i += BATCH) {
    const chunk = all.slice(i, i + BATCH);
    const rows = await engine.query<Record<string, unknown>>(statement(
      `SELECT ${COLUMNS(column)}
         FROM events e JOIN event_json ej ON ej.event_id = e.event_id ${join}
         LEFT JOIN rooms r ON r.room_id = e.room_id LEFT JOIN event_to_state_groups sg ON sg.event_id = e.event_id
        WHERE e.event_id IN (${chunk.map(() => '?').join(', ')})`,
      chunk,
    ));
    for (const r of rows) out.set(r.event_id as string, normalise(r));
  }
  return out;
}

/** The verify keys this server has stored for other servers (server_signature_keys). */
export async function findVerifyKeys(engine: ReadEngine): Promise<{ server_name: string; key_id: string; verify_key: Uint8Array; ts_valid_until_ms: number | null }[]> {
  const rows = await engine.query<{ server_name: string; key_id: string; verify_key: Uint8Array; ts_valid_until_ms: number | null }>(
    'SELECT server_name, key_id, verify_key, ts_valid_until_ms FROM server_signature_keys',
  );
  return rows.map((r) => ({ ...r, ts_valid_until_ms: r.ts_valid_until_ms === null ? null : Number(r.ts_valid_until_ms) }));
}

/**
 * The accepted, non-outlier events of a room between two stream orderings, newest first, without
 * their JSON: one range scan of the room's stream index (who was still heard during a chain).
 */
export async function* iterateAcceptedInRange(engine: ReadEngine, caps: Pick<SchemaCapabilities, 'rejectionsTable'>, roomId: string, fromStream: number, toStream: number): AsyncIterable<{ event_id: string; sender: string }> {
  const { column, join } = rejectionJoin(caps);
  yield* engine.iterate<{ event_id: string; sender: string }>(statement(
    `SELECT e.event_id AS event_id, e.sender AS sender
       FROM events e ${join}
      WHERE e.room_id = ? AND e.stream_ordering >= ? AND e.stream_ordering <= ? AND ${column} IS NULL AND NOT e.outlier
      ORDER BY e.stream_ordering DESC`,
    [roomId, fromStream, toStream],
  ), undefined, 5000);
}

/** The JSON of some events, by id. */
export async function findEventJson(engine: ReadEngine, ids: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (let i = 0; i < ids.length; i += BATCH) {
    const chunk = ids.slice(i, i + BATCH);
    const rows = await engine.query<{ event_id: string; json: unknown }>(statement(`SELECT event_id, json FROM event_json WHERE event_id IN (${chunk.map(() => '?').join(', ')})`, chunk));
    for (const r of rows) out.set(r.event_id, typeof r.json === 'string' ? r.json : Buffer.from(r.json as Uint8Array).toString('utf8'));
  }
  return out;
}

export interface EventFacts {
  in_current_state: boolean;
  forward_extremity: boolean;
  internal_metadata: string | null;
  /** Redaction events that redact it, and whether Synapse has pruned its JSON. */
  redacted_by: { event_id: string; have_censored: boolean }[];
}

/** Where one event stands on this server: current state, extremities, metadata, redactions. */
export async function findEventFacts(engine: ReadEngine, eventId: string): Promise<EventFacts> {
  const cs = await engine.queryOne(statement('SELECT 1 AS one FROM current_state_events WHERE event_id = ?', [eventId]));
  const fx = await engine.queryOne(statement('SELECT 1 AS one FROM event_forward_extremities WHERE event_id = ?', [eventId]));
  const meta = await engine.queryOne<{ internal_metadata: string | null }>(statement('SELECT internal_metadata FROM event_json WHERE event_id = ?', [eventId]));
  const red = await engine.query<{ event_id: string; have_censored: boolean | number }>(statement('SELECT event_id, have_censored FROM redactions WHERE redacts = ? ORDER BY event_id', [eventId]));
  return {
    in_current_state: cs !== undefined,
    forward_extremity: fx !== undefined,
    internal_metadata: meta?.internal_metadata ?? null,
    redacted_by: red.map((r) => ({ event_id: r.event_id, have_censored: r.have_censored === true || r.have_censored === 1 })),
  };
}
