/**
 * What `extremities` reads about one room's forward extremities: each `event_forward_extremities`
 * row with its event (matched on room and event id, as Synapse's admin API joins them), its
 * rejection, its internal metadata; and, for the ancestry walk, the prev edges (`event_edges`) of
 * some events of the room down to a depth. Every query names the room.
 */
import type { ReadEngine } from '../engine/engine.js';
import { statement } from '../engine/engine.js';
import type { SchemaCapabilities } from '../schema-version.js';
import { rejectionJoin } from './rejection-sql.js';

const BATCH = 500;

function text(v: unknown): string {
  return typeof v === 'string' ? v : Buffer.from(v as Uint8Array).toString('utf8');
}

function num(v: unknown): number {
  return Number(v);
}

function bool(v: unknown): boolean {
  return v === true || v === 1 || v === '1' || v === 't';
}

export interface ForwardExtremityRow {
  event_id: string;
  /** False when no `events` row of this room has the id (the row names an event we lack). */
  in_events: boolean;
  type: string | null;
  state_key: string | null;
  sender: string | null;
  depth: number | null;
  stream_ordering: number | null;
  origin_server_ts: number | null;
  received_ts: number | null;
  outlier: boolean;
  /** `rejections.reason`, or `events.rejection_reason` where the schema has no rejections table. */
  rejection: string | null;
  /** True when the event is rejected (a rejections row, or events.rejection_reason set). */
  rejected: boolean;
  internal_metadata: string | null;
  state_group: number | null;
}

/** Every forward extremity row of the room, with what we store about its event (LEFT JOINs: a missing event still lists). */
export async function findForwardExtremityRows(engine: ReadEngine, caps: Pick<SchemaCapabilities, 'rejectionsTable'>, roomId: string): Promise<ForwardExtremityRow[]> {
  const { rejected, column: reason, join } = rejectionJoin(caps);
  const rows = await engine.query<Record<string, unknown>>(statement(
    `SELECT x.event_id, e.event_id AS stored_id, e.type, e.state_key, e.sender, e.depth, e.stream_ordering,
            e.origin_server_ts, e.received_ts, e.outlier, ${reason} AS rejection,
            CASE WHEN ${rejected} THEN 1 ELSE 0 END AS rejected,
            ej.internal_metadata, sg.state_group
       FROM event_forward_extremities x
       LEFT JOIN events e ON e.event_id = x.event_id AND e.room_id = x.room_id
       ${join}
       LEFT JOIN event_json ej ON ej.event_id = e.event_id
       LEFT JOIN event_to_state_groups sg ON sg.event_id = e.event_id
      WHERE x.room_id = ?
      ORDER BY x.event_id`,
    [roomId],
  ));
  return rows.map((r) => {
    const stored = r.stored_id !== null && r.stored_id !== undefined;
    const opt = (v: unknown): number | null => (v === null || v === undefined ? null : num(v));
    return {
      event_id: text(r.event_id),
      in_events: stored,
      type: stored ? text(r.type) : null,
      state_key: r.state_key === null || r.state_key === undefined ? null : text(r.state_key),
      sender: r.sender === null || r.sender === undefined ? null : text(r.sender),
      depth: opt(r.depth),
      stream_ordering: opt(r.stream_ordering),
      origin_server_ts: opt(r.origin_server_ts),
      received_ts: opt(r.received_ts),
      outlier: stored && bool(r.outlier),
      rejection: r.rejection === null || r.rejection === undefined ? null : text(r.rejection),
      rejected: stored && num(r.rejected) === 1,
      internal_metadata: r.internal_metadata === null || r.internal_metadata === undefined ? null : text(r.internal_metadata),
      state_group: opt(r.state_group),
    };
  });
}

export interface PrevEdge {
  event_id: string;
  prev_event_id: string;
}

/**
 * The prev edges of some events (`event_edges`) whose prev event is stored in this room at
 * `minDepth` or deeper: one step of the walk from the extremities towards the past. Prev events we
 * do not have, or below the depth, are not returned.
 */
export async function findPrevEdges(engine: ReadEngine, roomId: string, eventIds: readonly string[], minDepth: number): Promise<PrevEdge[]> {
  const out: PrevEdge[] = [];
  for (let i = 0; i < eventIds.length; i += BATCH) {
    const chunk = eventIds.slice(i, i + BATCH);
    const rows = await engine.query<Record<string, unknown>>(statement(
      `SELECT ee.event_id, ee.prev_event_id
         FROM event_edges ee JOIN events p ON p.event_id = ee.prev_event_id AND p.room_id = ?
        WHERE ee.event_id IN (${chunk.map(() => '?').join(', ')}) AND p.depth >= ?`,
      [roomId, ...chunk, minDepth],
    ));
    for (const r of rows) out.push({ event_id: text(r.event_id), prev_event_id: text(r.prev_event_id) });
  }
  return out;
}
