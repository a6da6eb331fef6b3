/**
 * Every SQL statement the fsck `orderings` group runs (src/fsck/checks/orderings.ts): stream
 * orderings, Synapse's id generators (PostgreSQL sequences, stream_positions) and the auth chain
 * index flag. Portable SQL, parameters only; the sequence reads are PostgreSQL's own (the checks
 * that call them run only where `capabilities.sequences`).
 */
import type { ReadEngine, SqlValue } from '../engine/engine.js';
import { statement } from '../engine/engine.js';
import { preferWholeResultPlans } from './fsck-state.js';

const num = (v: unknown): number => Number(v ?? 0);

export interface CollisionRow {
  room_id: string | null;
  stream_ordering: number | null;
  event_id: string;
  problem: 'null' | 'duplicate' | 'ex_outlier_stream';
  other_event_id: string | null;
}

/** Stream orderings used twice: events sharing one (or none, PostgreSQL's nullable column), an ex_outlier_stream position that is also an event's. */
export async function* iterateStreamOrderingCollisions(main: ReadEngine, roomId?: string): AsyncIterable<CollisionRow> {
  const room = (col: string): string => (roomId === undefined ? '' : ` AND ${col} = ?`);
  const params: SqlValue[] = roomId === undefined ? [] : [roomId, roomId, roomId];
  const rows = main.iterate<Record<string, unknown>>(statement(
    `SELECT e.room_id AS room_id, e.stream_ordering AS stream_ordering, e.event_id AS event_id, 'null' AS problem, NULL AS other_event_id
       FROM events e WHERE e.stream_ordering IS NULL${room('e.room_id')}
     UNION ALL
     SELECT e.room_id, e.stream_ordering, e.event_id, 'duplicate', d.event_id
       FROM events e JOIN events d ON d.stream_ordering = e.stream_ordering AND d.event_id > e.event_id
      WHERE e.stream_ordering IN (SELECT stream_ordering FROM events GROUP BY stream_ordering HAVING COUNT(*) > 1)${room('e.room_id')}
     UNION ALL
     SELECT e.room_id, e.stream_ordering, e.event_id, 'ex_outlier_stream', x.event_id
       FROM ex_outlier_stream x JOIN events e ON e.stream_ordering = x.event_stream_ordering
      WHERE x.event_id <> e.event_id${room('e.room_id')}
      ORDER BY 1, 2`,
    params,
  ), undefined, 2000);
  for await (const r of rows) {
    yield {
      room_id: (r.room_id as string | null) ?? null, stream_ordering: r.stream_ordering === null || r.stream_ordering === undefined ? null : num(r.stream_ordering),
      event_id: r.event_id as string, problem: r.problem as CollisionRow['problem'], other_event_id: (r.other_event_id as string | null) ?? null,
    };
  }
}

export interface InvertedEdgeRow {
  room_id: string;
  /** The cited (older) event, stored with a higher positive stream ordering than the event citing it. */
  event_id: string;
  stream_ordering: number;
  depth: number;
  child_event_id: string;
  child_stream_ordering: number;
  child_depth: number;
}

/**
 * Positive stream orderings given to history: a timeline event stored with a positive ordering
 * above an event that cites it as a prev event — a timeline event with a positive ordering, or an
 * outlier (a join's state, an invite). Synapse numbers pulled history (backfill) negatively, below
 * everything, so what it stores later is never an ancestor of what it stored before, except for a
 * prev event that failed to arrive and was pushed later (rare: get_missing_events normally fetches
 * it before the event citing it).
 */
// CROSS JOIN fixes the join order (SQLite keeps it; PostgreSQL plans it as an inner join): one pass
// over event_edges probing events by event_id twice. Left to itself SQLite walks the cited events
// by stream ordering and scans the room's lower orderings for each, quadratic in the room size.
export async function* iterateHistoryAboveChildren(main: ReadEngine, roomId?: string): AsyncIterable<InvertedEdgeRow> {
  await preferWholeResultPlans(main);
  const rows = main.iterate<Record<string, unknown>>(statement(
    `SELECT c.room_id AS room_id, p.event_id AS event_id, p.stream_ordering AS stream_ordering, p.depth AS depth,
            c.event_id AS child_event_id, c.stream_ordering AS child_stream_ordering, c.depth AS child_depth
       FROM ${roomId === undefined ? 'event_edges ed CROSS JOIN events c' : 'events c CROSS JOIN event_edges ed'} CROSS JOIN events p
      WHERE c.event_id = ed.event_id AND p.event_id = ed.prev_event_id
        AND p.stream_ordering > 0 AND NOT p.outlier AND p.stream_ordering > c.stream_ordering AND (c.stream_ordering > 0 OR c.outlier)
        AND p.room_id = c.room_id${roomId === undefined ? '' : ' AND c.room_id = ?'}
      ORDER BY c.room_id, p.stream_ordering`,
    roomId === undefined ? [] : [roomId],
  ), undefined, 2000);
  for await (const r of rows) {
    yield {
      room_id: r.room_id as string, event_id: r.event_id as string, stream_ordering: num(r.stream_ordering), depth: num(r.depth),
      child_event_id: r.child_event_id as string, child_stream_ordering: num(r.child_stream_ordering), child_depth: num(r.child_depth),
    };
  }
}

export interface StreamPositionRow {
  stream_name: string;
  instance_name: string;
  stream_id: number;
}

/** stream_positions rows of the events and backfill streams (backfill's stored negative). */
export async function findEventStreamPositions(main: ReadEngine): Promise<StreamPositionRow[]> {
  const rows = await main.query<{ stream_name: string; instance_name: string; stream_id: unknown }>(
    "SELECT stream_name, instance_name, stream_id FROM stream_positions WHERE stream_name IN ('events', 'backfill') ORDER BY stream_name, instance_name",
  );
  return rows.map((r) => ({ stream_name: r.stream_name, instance_name: r.instance_name, stream_id: num(r.stream_id) }));
}

/** The highest id in use by the tables behind each of Synapse's id generators (backfill as a positive number). */
export async function findIdsInUse(main: ReadEngine): Promise<{ events: number; backfill: number; chain: number }> {
  const row = await main.queryOne<Record<string, unknown>>(
    `SELECT (SELECT MAX(stream_ordering) FROM events) AS e_max, (SELECT MIN(stream_ordering) FROM events) AS e_min,
            (SELECT MAX(stream_id) FROM current_state_delta_stream) AS d_max,
            (SELECT MAX(event_stream_ordering) FROM ex_outlier_stream) AS x_max, (SELECT MIN(event_stream_ordering) FROM ex_outlier_stream) AS x_min,
            (SELECT MAX(chain_id) FROM event_auth_chains) AS c_max`,
  );
  const r = row ?? {};
  return {
    events: Math.max(0, num(r.e_max), num(r.d_max), num(r.x_max)),
    backfill: Math.max(0, -num(r.e_min), -num(r.x_min)),
    chain: Math.max(0, num(r.c_max)),
  };
}

/** The highest state group id (state database), 0 when none. */
export async function findMaxStateGroup(state: ReadEngine): Promise<number> {
  const row = await state.queryOne<{ m: unknown }>('SELECT MAX(id) AS m FROM state_groups');
  return num(row?.m);
}

/** A PostgreSQL sequence's last value as Synapse reads it (last_value, one less when not yet called); undefined when it does not exist. */
export async function findSequenceLastValue(engine: ReadEngine, sequence: 'events_stream_seq' | 'events_backfill_stream_seq' | 'state_group_id_seq' | 'event_auth_chain_id'): Promise<number | undefined> {
  const exists = await engine.queryOne(statement("SELECT 1 AS x FROM pg_class WHERE relkind = 'S' AND relname = ?", [sequence]));
  if (!exists) return undefined;
  const row = await engine.queryOne<{ last_value: unknown; is_called: unknown }>(`SELECT last_value, is_called FROM ${sequence}`);
  if (!row) return undefined;
  const called = row.is_called === true || row.is_called === 1 || row.is_called === 't';
  return num(row.last_value) - (called ? 0 : 1);
}

/**
 * Ids in use above a stream position, ascending, with the writer that stored them: what a
 * starting Synapse reads to move its position on (id_generators.py `_load_current_ids`). For the
 * backfill stream the ids are returned as positive numbers (stream_ordering negated).
 */
export async function* iterateIdsAbove(main: ReadEngine, stream: 'events' | 'backfill', position: number): AsyncIterable<{ id: number; instance_name: string | null }> {
  const sql = stream === 'events'
    ? `SELECT instance_name AS instance_name, stream_ordering AS id FROM events WHERE stream_ordering >= ?
       UNION ALL SELECT instance_name, stream_id FROM current_state_delta_stream WHERE stream_id >= ?
       UNION ALL SELECT instance_name, event_stream_ordering FROM ex_outlier_stream WHERE event_stream_ordering >= ?
       ORDER BY 2`
    : `SELECT instance_name AS instance_name, -stream_ordering AS id FROM events WHERE stream_ordering <= ?
       UNION ALL SELECT instance_name, -event_stream_ordering FROM ex_outlier_stream WHERE event_stream_ordering <= ?
       ORDER BY 2`;
  const p = stream === 'events' ? [position, position, position] : [-position, -position];
  for await (const r of main.iterate<Record<string, unknown>>(statement(sql, p), undefined, 5000)) {
    yield { id: num(r.id), instance_name: (r.instance_name as string | null) ?? null };
  }
}

export interface MissingChainRow {
  room_id: string;
  event_id: string;
  type: string;
}

/** State events of rooms flagged `has_auth_chain_index` that have no chain cover row and are not queued for one. */
export async function* iterateMissingAuthChains(main: ReadEngine, roomId?: string): AsyncIterable<MissingChainRow> {
  const rows = main.iterate<Record<string, unknown>>(statement(
    `SELECT s.room_id AS room_id, s.event_id AS event_id, s.type AS type
       FROM state_events s JOIN rooms r ON r.room_id = s.room_id
      WHERE r.has_auth_chain_index
        AND NOT EXISTS (SELECT 1 FROM event_auth_chains c WHERE c.event_id = s.event_id)
        AND NOT EXISTS (SELECT 1 FROM event_auth_chain_to_calculate t WHERE t.event_id = s.event_id)
        AND EXISTS (SELECT 1 FROM events e WHERE e.event_id = s.event_id)${roomId === undefined ? '' : ' AND s.room_id = ?'}
      ORDER BY s.room_id, s.event_id`,
    roomId === undefined ? [] : [roomId],
  ), undefined, 2000);
  for await (const r of rows) yield { room_id: r.room_id as string, event_id: r.event_id as string, type: r.type as string };
}

/** Whether a background update is queued (background_updates row by name). */
export async function hasBackgroundUpdate(main: ReadEngine, name: string): Promise<boolean> {
  return (await main.queryOne(statement('SELECT 1 AS x FROM background_updates WHERE update_name = ?', [name]))) !== undefined;
}

/** Rooms (of these) whose has_auth_chain_index is set. */
export async function findRoomsWithChainIndex(main: ReadEngine, roomIds: readonly string[]): Promise<string[]> {
  if (roomIds.length === 0) return [];
  const rows = await main.query<{ room_id: string }>(statement(`SELECT room_id FROM rooms WHERE has_auth_chain_index AND room_id IN (${roomIds.map(() => '?').join(', ')}) ORDER BY room_id`, roomIds));
  return rows.map((r) => r.room_id);
}
