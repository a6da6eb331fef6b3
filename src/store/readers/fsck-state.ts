/**
 * Every SQL statement the fsck `state` group runs (src/fsck/checks/state.ts). Set-based, portable
 * (both engines), parameters only, streamed with `iterate` where a result could be large. The state
 * tables may live in another database (`store.state`): no statement joins state tables with main
 * tables; where both are needed, main rows are streamed and the state database is asked about one
 * batch of groups at a time.
 *
 * Rooms: `roomId` narrows every statement that starts from the main tables through the room_id
 * indexes; state-database statements narrow through state_groups.room_id.
 */
import type { ReadEngine, SqlValue } from '../engine/engine.js';
import { statement } from '../engine/engine.js';
import type { SchemaCapabilities } from '../schema-version.js';
import { isRejectedSql } from './rejection-sql.js';

const num = (v: unknown): number => Number(v ?? 0);
const inList = (n: number): string => Array.from({ length: n }, () => '?').join(', ');


/** work_mem fsck's whole-table scans ask for on PostgreSQL (preferWholeResultPlans). */
const WHOLE_SCAN_WORK_MEM_BYTES = 64 * 1048576;

/**
 * PostgreSQL plans a cursor (how `iterate` streams) for its first rows (cursor_tuple_fraction 0.1):
 * nested loops that are slow to finish. fsck reads every row of its scans, so it asks for plans
 * that finish fastest (measured: the grouped pass over events and the prev-event join twice as
 * fast on 100,000 events). It also asks for no parallel workers: fsck's event pass keeps the cores
 * busy on threads of its own and outlasts these scans, which parallel workers only make compete
 * with it (on 1,000,000 events the grouped pass took 1.2 s on one process against 1.6 s on three,
 * the prev-event join 2.8 s against 3.1); and for 64 MB of work_mem where the server gives less, so
 * that the grouped pass's hash stays in memory instead of sorting on disk. Session settings, not
 * writes; nothing to do on SQLite.
 */
export async function preferWholeResultPlans(engine: ReadEngine): Promise<void> {
  if (!engine.capabilities.sequences) return; // PostgreSQL only (the engine with sequences)
  await engine.query(
    `SELECT set_config('cursor_tuple_fraction', '1', false) AS a, set_config('max_parallel_workers_per_gather', '0', false) AS b,
            CASE WHEN pg_size_bytes(current_setting('work_mem')) < ${WHOLE_SCAN_WORK_MEM_BYTES} THEN set_config('work_mem', '${WHOLE_SCAN_WORK_MEM_BYTES / 1048576}MB', false) END AS c`,
  );
}

export interface EventRef {
  room_id: string;
  event_id: string;
  stream_ordering: number;
  type: string;
}

export interface EventGroupCountRow {
  room_id: string;
  /** Null: timeline events of the room with no event_to_state_groups row. */
  state_group: number | null;
  /** How many events of the room point at this group (or have none). */
  events: number;
  /** One of them (the smallest id). */
  event_id: string;
}

/**
 * One pass over events: for each room, how many of its events point at each state group, and how
 * many timeline (non-outlier) events point at none. Streams one row per (room, group): as many as
 * there are state groups in use, never one per event.
 */
export async function* iterateEventGroupCounts(main: ReadEngine, roomId?: string): AsyncIterable<EventGroupCountRow> {
  await preferWholeResultPlans(main);
  // All rooms: events in table order (the grouping sorts anyway); through events_room_stream the
  // table reads jump about, measured twice as slow on 1,000,000 events.
  const events = roomId === undefined ? main.introspector.fullScan('events') : 'events';
  const rows = main.iterate<Record<string, unknown>>(statement(
    `SELECT events.room_id AS room_id, sg.state_group AS state_group, COUNT(*) AS n, MIN(events.event_id) AS event_id
       FROM ${events} LEFT JOIN event_to_state_groups sg ON sg.event_id = events.event_id
      WHERE (NOT events.outlier OR sg.event_id IS NOT NULL)${roomId === undefined ? '' : ' AND events.room_id = ?'}
      GROUP BY events.room_id, sg.state_group`,
    roomId === undefined ? [] : [roomId],
  ), undefined, 2000);
  for await (const r of rows) {
    yield { room_id: r.room_id as string, state_group: r.state_group === null || r.state_group === undefined ? null : num(r.state_group), events: num(r.n), event_id: r.event_id as string };
  }
}

/** Timeline events of one room without event_to_state_groups (a sample, in stream order). */
export async function findTimelineEventsWithoutStateGroup(main: ReadEngine, roomId: string, limit: number): Promise<EventRef[]> {
  const rows = await main.query<Record<string, unknown>>(statement(
    `SELECT e.room_id AS room_id, e.event_id AS event_id, e.stream_ordering AS stream_ordering, e.type AS type
       FROM events e LEFT JOIN event_to_state_groups sg ON sg.event_id = e.event_id
      WHERE e.room_id = ? AND NOT e.outlier AND sg.event_id IS NULL
      ORDER BY e.stream_ordering LIMIT ?`,
    [roomId, limit],
  ));
  return rows.map((r) => ({ room_id: r.room_id as string, event_id: r.event_id as string, stream_ordering: num(r.stream_ordering), type: r.type as string }));
}

export interface StateEventGroupRow {
  room_id: string;
  event_id: string;
  state_group: number;
  type: string;
  state_key: string;
}

/** Accepted timeline state events with their state groups, in batches (driven from state_events: state events only). */
export async function* iterateAcceptedStateEventGroups(main: ReadEngine, caps: Pick<SchemaCapabilities, 'rejectionsTable'>, roomId: string | undefined, batchSize = 1000): AsyncIterable<StateEventGroupRow[]> {
  const rows = main.iterate<Record<string, unknown>>(statement(
    `SELECT e.room_id AS room_id, s.event_id AS event_id, sg.state_group AS state_group, s.type AS type, s.state_key AS state_key
       FROM state_events s CROSS JOIN events e CROSS JOIN event_to_state_groups sg
      WHERE e.event_id = s.event_id AND sg.event_id = s.event_id AND NOT e.outlier AND NOT ${isRejectedSql(caps)}${roomId === undefined ? '' : ' AND s.room_id = ?'}`,
    roomId === undefined ? [] : [roomId],
  ), undefined, batchSize);
  let batch: StateEventGroupRow[] = [];
  for await (const r of rows) {
    batch.push({ room_id: r.room_id as string, event_id: r.event_id as string, state_group: num(r.state_group), type: r.type as string, state_key: r.state_key as string });
    if (batch.length >= batchSize) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/** The room of each of these state groups (absent: no such group). */
export async function findStateGroupRooms(state: ReadEngine, groups: readonly number[]): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const all = [...new Set(groups)];
  for (let i = 0; i < all.length; i += 1000) {
    const chunk = all.slice(i, i + 1000);
    const rows = await state.query<{ id: unknown; room_id: string }>(statement(`SELECT id, room_id FROM state_groups WHERE id IN (${inList(chunk.length)})`, chunk));
    for (const r of rows) out.set(num(r.id), r.room_id);
  }
  return out;
}

/**
 * Of these (group, type, state_key, event_id) entries, those the group's own state_groups_state
 * rows hold (keys `${group}\u0000${event_id}`): through the (state_group, type, state_key) index.
 */
export async function findOwnStateRows(state: ReadEngine, entries: readonly { state_group: number; type: string; state_key: string; event_id: string }[]): Promise<Set<string>> {
  const out = new Set<string>();
  for (let i = 0; i < entries.length; i += 300) {
    const chunk = entries.slice(i, i + 300);
    const params: SqlValue[] = [];
    for (const e of chunk) params.push(e.state_group, e.type, e.state_key);
    const rows = await state.query<{ state_group: unknown; event_id: string }>(statement(
      `SELECT s.state_group AS state_group, s.event_id AS event_id FROM state_groups_state s
        WHERE ${chunk.map(() => '(s.state_group = ? AND s.type = ? AND s.state_key = ?)').join(' OR ')}`,
      params,
    ));
    for (const r of rows) out.add(`${num(r.state_group)}\u0000${r.event_id}`);
  }
  return out;
}

export interface BadEdgeRow {
  state_group: number;
  prev_state_group: number;
  room_id: string | null;
  prev_room_id: string | null;
  /** How many prev edges the group has (Synapse follows one). */
  prevs: number;
}

/** state_group_edges rows that point at a missing group, go upwards (prev >= child), cross rooms, or give a group several prevs. */
export async function* iterateBadStateGroupEdges(state: ReadEngine, roomId?: string): AsyncIterable<BadEdgeRow> {
  const rows = state.iterate<Record<string, unknown>>(statement(
    `SELECT x.state_group AS state_group, x.prev_state_group AS prev_state_group, a.room_id AS room_id, b.room_id AS prev_room_id,
            (SELECT COUNT(*) FROM state_group_edges y WHERE y.state_group = x.state_group) AS prevs
       FROM state_group_edges x
       LEFT JOIN state_groups a ON a.id = x.state_group
       LEFT JOIN state_groups b ON b.id = x.prev_state_group
      WHERE (a.id IS NULL OR b.id IS NULL OR x.prev_state_group >= x.state_group OR a.room_id <> b.room_id
             OR EXISTS (SELECT 1 FROM state_group_edges y WHERE y.state_group = x.state_group AND y.prev_state_group <> x.prev_state_group))
        ${roomId === undefined ? '' : 'AND (a.room_id = ? OR b.room_id = ?)'}
      ORDER BY x.state_group, x.prev_state_group`,
    roomId === undefined ? [] : [roomId, roomId],
  ), undefined, 2000);
  for await (const r of rows) {
    yield {
      state_group: num(r.state_group), prev_state_group: num(r.prev_state_group),
      room_id: (r.room_id as string | null) ?? null, prev_room_id: (r.prev_room_id as string | null) ?? null, prevs: num(r.prevs),
    };
  }
}

export interface ChainRow {
  state_group: number;
  room_id: string;
  /** Edges from the group down to its full snapshot. */
  hops: number;
  /** Whether the group's state holds an m.room.create (its own rows or a prev group's). */
  has_create: boolean;
}

/**
 * Walks every delta chain from its full snapshot (a group with no prev edge) up, carrying the hop
 * count and whether m.room.create is in the state so far (deltas only add or replace keys), and
 * returns the groups matching `which`: longer than `maxHops`, or without m.room.create. One
 * recursive query; the walk is bounded (a cycle cannot make it run forever).
 */
export async function* iterateStateGroupChains(state: ReadEngine, which: { longerThan: number } | 'without-create', roomId?: string): AsyncIterable<ChainRow> {
  const createRow = (g: string): string => `EXISTS (SELECT 1 FROM state_groups_state c WHERE c.state_group = ${g} AND c.type = 'm.room.create' AND c.state_key = '')`;
  const filter = which === 'without-create' ? 'w.has_create = 0' : 'w.hops > ?';
  const params: SqlValue[] = [];
  if (roomId !== undefined) params.push(roomId);
  if (which !== 'without-create') params.push(which.longerThan);
  const rows = state.iterate<Record<string, unknown>>(statement(
    `WITH RECURSIVE walk(state_group, room_id, hops, has_create) AS (
       SELECT g.id, g.room_id, 0, CASE WHEN ${createRow('g.id')} THEN 1 ELSE 0 END
         FROM state_groups g
        WHERE NOT EXISTS (SELECT 1 FROM state_group_edges e0 WHERE e0.state_group = g.id)${roomId === undefined ? '' : ' AND g.room_id = ?'}
       UNION ALL
       SELECT e.state_group, w.room_id, w.hops + 1, CASE WHEN w.has_create = 1 OR ${createRow('e.state_group')} THEN 1 ELSE 0 END
         FROM walk w JOIN state_group_edges e ON e.prev_state_group = w.state_group
        WHERE w.hops < 100000 AND e.state_group > e.prev_state_group
     )
     SELECT w.state_group AS state_group, w.room_id AS room_id, w.hops AS hops, w.has_create AS has_create FROM walk w WHERE ${filter}
      ORDER BY w.room_id, w.state_group`,
    params,
  ), undefined, 2000);
  for await (const r of rows) yield { state_group: num(r.state_group), room_id: r.room_id as string, hops: num(r.hops), has_create: num(r.has_create) === 1 };
}

/** Of these state groups, those events point at (event_to_state_groups), with one such event each. */
export async function findEventsOfStateGroups(main: ReadEngine, groups: readonly number[]): Promise<Map<number, { event_id: string; events: number }>> {
  const out = new Map<number, { event_id: string; events: number }>();
  for (let i = 0; i < groups.length; i += 500) {
    const chunk = groups.slice(i, i + 500);
    const rows = await main.query<{ state_group: unknown; event_id: string; n: unknown }>(statement(
      `SELECT state_group, MIN(event_id) AS event_id, COUNT(*) AS n FROM event_to_state_groups WHERE state_group IN (${inList(chunk.length)}) GROUP BY state_group`,
      chunk,
    ));
    for (const r of rows) out.set(num(r.state_group), { event_id: r.event_id, events: num(r.n) });
  }
  return out;
}

/** Rooms with a current state but no m.room.create in it. */
export async function findCurrentStatesWithoutCreate(main: ReadEngine, roomId?: string): Promise<{ room_id: string; entries: number }[]> {
  const rows = await main.query<{ room_id: string; n: unknown }>(statement(
    `SELECT c.room_id AS room_id, COUNT(*) AS n FROM current_state_events c
      ${roomId === undefined ? '' : 'WHERE c.room_id = ?'}
      GROUP BY c.room_id
     HAVING SUM(CASE WHEN c.type = 'm.room.create' AND c.state_key = '' THEN 1 ELSE 0 END) = 0
      ORDER BY c.room_id`,
    roomId === undefined ? [] : [roomId],
  ));
  return rows.map((r) => ({ room_id: r.room_id, entries: num(r.n) }));
}

export interface ExtremityGroupRow {
  room_id: string;
  event_id: string;
  state_group: number | null;
}

/** Forward extremities with their state groups, room by room (sorted by room). */
export async function* iterateExtremityGroups(main: ReadEngine, roomId?: string): AsyncIterable<ExtremityGroupRow> {
  const rows = main.iterate<Record<string, unknown>>(statement(
    `SELECT f.room_id AS room_id, f.event_id AS event_id, sg.state_group AS state_group
       FROM event_forward_extremities f LEFT JOIN event_to_state_groups sg ON sg.event_id = f.event_id
      ${roomId === undefined ? '' : 'WHERE f.room_id = ?'}
      ORDER BY f.room_id, f.event_id`,
    roomId === undefined ? [] : [roomId],
  ), undefined, 2000);
  for await (const r of rows) yield { room_id: r.room_id as string, event_id: r.event_id as string, state_group: r.state_group === null || r.state_group === undefined ? null : num(r.state_group) };
}

export interface MembershipMismatchRow {
  room_id: string;
  user_id: string;
  event_id: string | null;
  problem: string;
  current_state_membership: string | null;
  other_event_id: string | null;
  other_membership: string | null;
}

/**
 * Membership rows that disagree with the current state:
 * - a current_state_events m.room.member row whose `membership` is not room_memberships' for that event (or it has none);
 * - a local user (in `users`) whose current-state membership event is not their local_current_membership row;
 * - a local_current_membership row (of a timeline event) that is not the room's current state for that user.
 * Out-of-band memberships (local_current_membership naming an outlier: invites and knocks over federation) are not compared,
 * nor rooms without a current state (Synapse deletes it when the server leaves, and keeps local_current_membership).
 */
export async function* iterateMembershipMismatches(main: ReadEngine, roomId?: string): AsyncIterable<MembershipMismatchRow> {
  const room = (col: string): string => (roomId === undefined ? '' : ` AND ${col} = ?`);
  const params: SqlValue[] = roomId === undefined ? [] : [roomId, roomId, roomId];
  const rows = main.iterate<Record<string, unknown>>(statement(
    `SELECT c.room_id AS room_id, c.state_key AS user_id, c.event_id AS event_id, 'room_memberships' AS problem,
            c.membership AS current_state_membership, m.event_id AS other_event_id, m.membership AS other_membership
       FROM current_state_events c LEFT JOIN room_memberships m ON m.event_id = c.event_id
      WHERE c.type = 'm.room.member' AND (m.event_id IS NULL OR c.membership IS NULL OR m.membership <> c.membership)${room('c.room_id')}
     UNION ALL
     SELECT c.room_id, c.state_key, c.event_id, 'local_current_membership', c.membership, l.event_id, l.membership
       FROM current_state_events c JOIN users u ON u.name = c.state_key
       LEFT JOIN local_current_membership l ON l.room_id = c.room_id AND l.user_id = c.state_key
      WHERE c.type = 'm.room.member' AND (l.event_id IS NULL OR l.event_id <> c.event_id OR l.membership <> c.membership)
        AND NOT EXISTS (SELECT 1 FROM events o WHERE o.event_id = l.event_id AND o.outlier)${room('c.room_id')}
     UNION ALL
     SELECT l.room_id, l.user_id, NULL, 'local_current_membership', NULL, l.event_id, l.membership
       FROM local_current_membership l JOIN events le ON le.event_id = l.event_id
      WHERE NOT le.outlier
        AND EXISTS (SELECT 1 FROM current_state_events h WHERE h.room_id = l.room_id)
        AND NOT EXISTS (SELECT 1 FROM current_state_events c WHERE c.room_id = l.room_id AND c.type = 'm.room.member' AND c.state_key = l.user_id)${room('l.room_id')}
      ORDER BY 1, 2`,
    params,
  ), undefined, 2000);
  for await (const r of rows) {
    yield {
      room_id: r.room_id as string, user_id: r.user_id as string, event_id: (r.event_id as string | null) ?? null, problem: r.problem as string,
      current_state_membership: (r.current_state_membership as string | null) ?? null,
      other_event_id: (r.other_event_id as string | null) ?? null, other_membership: (r.other_membership as string | null) ?? null,
    };
  }
}
