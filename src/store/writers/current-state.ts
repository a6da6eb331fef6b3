/**
 * The rows that hang on a room's current state, as Synapse's `_update_current_state_txn`
 * (synapse/storage/databases/main/events.py) writes them when the state changes from `before` to
 * `after`: current_state_events (with membership and event_stream_ordering, as it fills them from
 * room_memberships and events), current_state_delta_stream at the events stream's current
 * position (the stream it shares), local_current_membership for local users, and room_stats_current
 * / room_stats_state recomputed from the new state when Synapse's stats handler has already read
 * the delta stream up to that position (otherwise it reads our delta rows itself and counts them:
 * writing the stats too would count them twice). Shared by `unreject` and `fsck --fix`.
 */
import { parseStoredEvent, splitStateKey, stateKeyOf, type Pdu } from '../../matrix/pdu.js';
import type { RoomVersionRules } from '../../matrix/room-versions.js';
import type { Reason, Step } from '../../plan/plan.js';
import type { SqlValue } from '../engine/engine.js';
import { statement } from '../engine/engine.js';
import type { ReadStore } from '../open.js';
import { findEventJson } from '../readers/rejections.js';
import { eventsStreamPosition, findEventPositions, findLocalUsers, findRoomStats, handlerPosition } from '../readers/room-dag.js';
import { keyedStatements } from './room-steps.js';
import { planInsertRows, type SynapseRow } from './synapse-rows.js';

export type StateMap = ReadonlyMap<string, string>;

export interface CurrentStateChange {
  readonly roomId: string;
  readonly rules: RoomVersionRules;
  readonly before: StateMap;
  readonly after: StateMap;
  /** The reason of each step, from its one-line text. */
  readonly why: (text: string) => Reason;
  readonly idPrefix?: string;
}

/** The keys whose event differs between two states, sorted. */
export function changedStateKeys(before: StateMap, after: StateMap): string[] {
  return [...new Set([...before.keys(), ...after.keys()])].filter((k) => before.get(k) !== after.get(k)).sort();
}

/** The state events named by ids, parsed (a current state event whose JSON does not parse gets no membership). */
async function statePdus(store: ReadStore, rules: RoomVersionRules, ids: readonly string[]): Promise<Map<string, Pdu>> {
  const out = new Map<string, Pdu>();
  for (const [id, json] of await findEventJson(store.main, ids)) {
    const parsed = parseStoredEvent(json, rules, id);
    if (parsed) out.set(id, parsed.pdu);
  }
  return out;
}

/** Steps that take the room's current state from `before` to `after`; none when they are equal. */
export async function planCurrentStateRows(store: ReadStore, change: CurrentStateChange): Promise<Step[]> {
  const { roomId: room, before, after, why } = change;
  const prefix = change.idPrefix ?? '';
  const changedKeys = changedStateKeys(before, after);
  if (changedKeys.length === 0) return [];
  const steps: Step[] = [];
  const stream = await eventsStreamPosition(store.main);
  const reason = why('the current state: the resolved state after the forward extremities');
  const newIds = changedKeys.map((k) => after.get(k)).filter((x): x is string => x !== undefined);
  const oldIds = changedKeys.map((k) => before.get(k)).filter((x): x is string => x !== undefined);
  const positions = await findEventPositions(store.main, newIds);
  const pdus = await statePdus(store, change.rules, newIds);
  if (oldIds.length > 0) steps.push(...keyedStatements(room, { id: `${prefix}current_state_events-old`, table: 'current_state_events', roomColumn: 'room_id', column: 'event_id', ids: oldIds, exact: true }, reason));
  const csRows: SynapseRow[] = [];
  const deltas: SynapseRow[] = [];
  for (const key of changedKeys) {
    const [type, stateKey] = splitStateKey(key);
    const id = after.get(key);
    deltas.push({ stream_id: stream, room_id: room, type, state_key: stateKey, event_id: id ?? null, prev_event_id: before.get(key) ?? null, instance_name: 'master' });
    if (id === undefined) continue;
    const pdu = pdus.get(id);
    csRows.push({
      event_id: id, room_id: room, type, state_key: stateKey,
      membership: type === 'm.room.member' && pdu && typeof pdu.content.membership === 'string' ? pdu.content.membership : null,
      event_stream_ordering: positions.get(id)?.stream_ordering ?? null,
    });
  }
  steps.push(...(await planInsertRows(store.main, 'current_state_events', csRows, { reason, idPrefix: prefix })));
  steps.push(...(await planInsertRows(store.main, 'current_state_delta_stream', deltas, { reason: why('current_state_delta_stream: what changed in the current state, at the events stream position'), idPrefix: prefix })));

  const memberKeys = changedKeys.filter((k) => splitStateKey(k)[0] === 'm.room.member');
  const local = await findLocalUsers(store.main, memberKeys.map((k) => splitStateKey(k)[1]));
  const localKeys = memberKeys.filter((k) => local.has(splitStateKey(k)[1]));
  if (localKeys.length > 0) {
    const lcmReason = why('local_current_membership: this server\'s users in the new current state');
    steps.push(...keyedStatements(room, { id: `${prefix}local_current_membership-old`, table: 'local_current_membership', roomColumn: 'room_id', column: 'user_id', ids: localKeys.map((k) => splitStateKey(k)[1]) }, lcmReason));
    const rows: SynapseRow[] = [];
    for (const k of localKeys) {
      const id = after.get(k);
      const pdu = id ? pdus.get(id) : undefined;
      if (!id || !pdu || typeof pdu.content.membership !== 'string') continue;
      rows.push({ room_id: room, user_id: splitStateKey(k)[1], event_id: id, membership: pdu.content.membership, event_stream_ordering: positions.get(id)?.stream_ordering ?? null });
    }
    steps.push(...(await planInsertRows(store.main, 'local_current_membership', rows, { reason: lcmReason, idPrefix: prefix })));
  }
  steps.push(...(await planRoomStats(store, change, stream, why('room statistics, recomputed from the new current state'))));
  return steps;
}

/** room_stats_current / room_stats_state from the new current state (synapse/handlers/stats.py). */
async function planRoomStats(store: ReadStore, change: CurrentStateChange, stream: number, reason: Reason): Promise<Step[]> {
  const statsAt = await handlerPosition(store.main, 'stats_incremental_position');
  if (statsAt === undefined || statsAt < stream) return []; // the stats handler will read our deltas itself
  const room = change.roomId;
  const after = change.after;
  const prefix = change.idPrefix ?? '';
  const stats = await findRoomStats(store.main, room);
  const steps: Step[] = [];
  const pdus = await statePdus(store, change.rules, [...after.values()]);
  const members = { join: 0, invite: 0, leave: 0, ban: 0, knock: 0 };
  const memberUsers: string[] = [];
  for (const [key, id] of after) {
    const [type, stateKey] = splitStateKey(key);
    if (type !== 'm.room.member') continue;
    const m = pdus.get(id)?.content.membership;
    if (typeof m === 'string' && m in members) members[m as keyof typeof members]++;
    if (m === 'join') memberUsers.push(stateKey);
  }
  const local = await findLocalUsers(store.main, memberUsers);
  if (stats.current) {
    const want: Record<string, SqlValue> = {
      current_state_events: after.size,
      joined_members: members.join,
      invited_members: members.invite,
      left_members: members.leave,
      banned_members: members.ban,
      knocked_members: members.knock,
      local_users_in_room: local.size,
    };
    const cols = Object.keys(want).filter((c) => c in stats.current! && Number(stats.current![c] ?? -1) !== want[c]);
    if (cols.length > 0) {
      const scope = statement('room_id = ?', [room]);
      steps.push({ kind: 'statement', id: `${prefix}room_stats_current`, reason, database: 'main', table: 'room_stats_current', op: 'update', statement: statement(`UPDATE room_stats_current SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE room_id = ?`, [...cols.map((c) => want[c]!), room]), scope, rowsExpected: 1 });
    }
  }
  if (stats.state) {
    const content = (type: string): Record<string, unknown> | undefined => {
      const id = after.get(stateKeyOf(type, ''));
      return id ? (pdus.get(id)?.content as Record<string, unknown> | undefined) : undefined;
    };
    const str = (v: unknown): SqlValue => (typeof v === 'string' ? v.replace(/\u0000/g, '') : null);
    const want: Record<string, SqlValue> = {
      join_rules: str(content('m.room.join_rules')?.join_rule),
      history_visibility: str(content('m.room.history_visibility')?.history_visibility),
      name: str(content('m.room.name')?.name),
      topic: str(content('m.room.topic')?.topic),
      canonical_alias: str(content('m.room.canonical_alias')?.alias),
      avatar: str(content('m.room.avatar')?.url),
      encryption: str(content('m.room.encryption')?.algorithm),
      guest_access: str(content('m.room.guest_access')?.guest_access),
    };
    const cols = Object.keys(want).filter((c) => c in stats.state! && (stats.state![c] ?? null) !== want[c]);
    if (cols.length > 0) {
      const scope = statement('room_id = ?', [room]);
      steps.push({ kind: 'statement', id: `${prefix}room_stats_state`, reason, database: 'main', table: 'room_stats_state', op: 'update', statement: statement(`UPDATE room_stats_state SET ${cols.map((c) => `${c} = ?`).join(', ')} WHERE room_id = ?`, [...cols.map((c) => want[c]!), room]), scope, rowsExpected: 1 });
    }
  }
  return steps;
}
