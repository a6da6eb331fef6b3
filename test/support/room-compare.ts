/**
 * One room as Synapse keeps it, read through a fresh connection, in terms that compare across
 * servers: ids that are local to a database (state group ids, stream orderings) are replaced by
 * what they point at (the resolved state after each event, the relative order).
 */
import type { ReadEngine } from '../../src/store/engine/engine.js';
import { statement } from '../../src/store/engine/engine.js';
import type { ReadStore } from '../../src/store/open.js';
import { readStateGroup } from '../../src/store/readers/state-groups.js';

export interface RoomSnapshot {
  events: Set<string>;
  rejected: Set<string>;
  currentState: Map<string, string>;
  extremities: string[];
  /** Resolved state after each non-outlier event, as sorted text. */
  stateAfter: Map<string, string>;
  /** Per table, rows keyed by event id (as text) for the room's events. */
  rows: Record<string, Set<string>>;
  currentMemberships: Map<string, string | null>;
}

async function set(engine: ReadEngine, sql: string, params: unknown[]): Promise<Set<string>> {
  const rows = await engine.query<Record<string, unknown>>(statement(sql, params as never));
  return new Set(rows.map((r) => JSON.stringify(Object.values(r).map((v) => (typeof v === 'boolean' ? Number(v) : v)))));
}

export async function roomSnapshot(store: ReadStore, roomId: string): Promise<RoomSnapshot> {
  const m = store.main;
  const events = new Set((await m.query<{ event_id: string }>(statement('SELECT event_id FROM events WHERE room_id = ?', [roomId]))).map((r) => r.event_id));
  const rejected = new Set((await m.query<{ event_id: string }>(statement('SELECT r.event_id FROM rejections r JOIN events e ON e.event_id = r.event_id WHERE e.room_id = ?', [roomId]))).map((r) => r.event_id));
  const cs = await m.query<{ type: string; state_key: string; event_id: string; membership: string | null }>(statement('SELECT type, state_key, event_id, membership FROM current_state_events WHERE room_id = ?', [roomId]));
  const currentState = new Map(cs.map((r) => [`${r.type}|${r.state_key}`, r.event_id]));
  const currentMemberships = new Map(cs.filter((r) => r.type === 'm.room.member').map((r) => [r.state_key, r.membership]));
  const extremities = (await m.query<{ event_id: string }>(statement('SELECT event_id FROM event_forward_extremities WHERE room_id = ? ORDER BY event_id', [roomId]))).map((r) => r.event_id);
  const mapped = await m.query<{ event_id: string; state_group: number }>(statement('SELECT g.event_id, g.state_group FROM event_to_state_groups g JOIN events e ON e.event_id = g.event_id WHERE e.room_id = ?', [roomId]));
  const groupText = new Map<number, string>();
  const stateAfter = new Map<string, string>();
  for (const r of mapped) {
    const g = Number(r.state_group);
    if (!groupText.has(g)) groupText.set(g, JSON.stringify([...(await readStateGroup(store.state, g))].sort()));
    stateAfter.set(r.event_id, groupText.get(g)!);
  }
  const inRoom = 'event_id IN (SELECT event_id FROM events WHERE room_id = ?)';
  const rows: Record<string, Set<string>> = {
    event_edges: await set(m, `SELECT event_id, prev_event_id FROM event_edges WHERE ${inRoom}`, [roomId]),
    room_memberships: await set(m, `SELECT event_id, user_id, sender, membership, display_name, avatar_url FROM room_memberships WHERE ${inRoom}`, [roomId]),
    event_relations: await set(m, `SELECT event_id, relates_to_id, relation_type, aggregation_key FROM event_relations WHERE ${inRoom}`, [roomId]),
    redactions: await set(m, `SELECT event_id, redacts FROM redactions WHERE ${inRoom}`, [roomId]),
    event_search: await set(m, 'SELECT event_id, key FROM event_search WHERE room_id = ?', [roomId]),
    state_events: await set(m, `SELECT event_id, type, state_key FROM state_events WHERE ${inRoom}`, [roomId]),
    event_auth: await set(m, `SELECT event_id, auth_id FROM event_auth WHERE ${inRoom}`, [roomId]),
  };
  if ((await m.introspector.listTables()).includes('threads')) {
    rows.threads = await set(m, 'SELECT thread_id, latest_event_id FROM threads WHERE room_id = ?', [roomId]);
  }
  return { events, rejected, currentState, extremities, stateAfter, rows, currentMemberships };
}

/** Differences between a cured room and its healthy twin, over the events both hold. Empty when they agree. */
export function differences(cured: RoomSnapshot, twin: RoomSnapshot): string[] {
  const out: string[] = [];
  const both = (id: string): boolean => cured.events.has(id) && twin.events.has(id);
  const eq = (a: Map<string, unknown>, b: Map<string, unknown>): boolean => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
  if (!eq(cured.currentState, twin.currentState)) {
    const keys = new Set([...cured.currentState.keys(), ...twin.currentState.keys()]);
    for (const k of keys) if (cured.currentState.get(k) !== twin.currentState.get(k)) out.push(`current state ${k}: ${cured.currentState.get(k)} vs ${twin.currentState.get(k)}`);
  }
  if (!eq(cured.currentMemberships, twin.currentMemberships)) out.push('current_state_events.membership differs');
  if (JSON.stringify(cured.extremities) !== JSON.stringify(twin.extremities)) out.push(`forward extremities ${cured.extremities.join(',')} vs ${twin.extremities.join(',')}`);
  for (const id of cured.events) {
    if (!both(id)) continue;
    if (cured.rejected.has(id) !== twin.rejected.has(id)) out.push(`${id}: rejected ${cured.rejected.has(id)} vs ${twin.rejected.has(id)}`);
    const a = cured.stateAfter.get(id);
    const b = twin.stateAfter.get(id);
    if (a !== b) out.push(`${id}: state after it differs`);
  }
  for (const [table, rows] of Object.entries(cured.rows)) {
    const other = twin.rows[table];
    if (!other) continue;
    const first = (r: string): string => (JSON.parse(r) as unknown[])[0] as string;
    const relevant = (r: string): boolean => table === 'threads' || both(first(r));
    const a = [...rows].filter(relevant);
    const b = new Set([...other].filter(relevant));
    const missing = [...b].filter((r) => !rows.has(r));
    const extra = a.filter((r) => !b.has(r));
    if (missing.length > 0 || extra.length > 0) out.push(`${table}: ${extra.length} rows only here (${extra.slice(0, 2).join(' ')}), ${missing.length} only on the twin (${missing.slice(0, 2).join(' ')})`);
  }
  return out;
}
