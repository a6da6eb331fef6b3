/**
 * The cure (cure.ts) as a plan: every row Synapse keeps for an accepted event, the new state
 * groups, the remapped events, the current state and what hangs on it, the forward extremities.
 * Preconditions pin what the cure was computed from; verification checks the result inside the
 * transaction. Only rows of the named room are written.
 *
 * Rows, following synapse/storage/databases/main/events.py:
 * - the rejection markers: the `rejections` row deleted and `events.rejection_reason` cleared, as
 *   `mark_event_rejected_txn` keeps both (events_worker.py);
 * - what only accepted events get (accepted-event-rows.ts), minus rows the event already has (an
 *   event marked rejected after it was accepted kept them); no event_push_actions: old messages
 *   must not notify anyone now;
 * - state groups (state database) and event_to_state_groups;
 * - current state (store/writers/current-state.ts, shared with fsck --fix): current_state_events with membership and event_stream_ordering,
 *   current_state_delta_stream at the events stream's current position (the stream it shares),
 *   local_current_membership for local users (`_update_current_state_txn`);
 * - event_forward_extremities and a stream_ordering_to_exterm snapshot
 *   (`_update_forward_extremities_txn`);
 * - room_stats_current / room_stats_state, recomputed from the new current state, when Synapse's
 *   stats handler has already read the delta stream up to its position (otherwise it will read our
 *   delta rows itself and count them: writing the stats too would count them twice).
 */
import { splitStateKey } from '../matrix/pdu.js';
import { makePlan } from '../plan/make-plan.js';
import type { Check, Plan, Reason, Step } from '../plan/plan.js';
import type { SqlValue } from '../store/engine/engine.js';
import { statement } from '../store/engine/engine.js';
import { hasColumn } from '../store/introspect.js';
import type { ReadStore } from '../store/open.js';
import { eventsStreamPosition, eventsWithRows, eventsWithSearchRows, maxStateGroupId } from '../store/readers/room-dag.js';
import { changedStateKeys, planCurrentStateRows } from '../store/writers/current-state.js';
import { acceptedEventRows, laterInThread, threadCandidate, type ThreadPosition } from '../store/writers/accepted-event-rows.js';
import { keyedStatements, planThreadRows } from '../store/writers/room-steps.js';
import { planEventSearch, planInsertRows, type EventSearchRow, type SynapseRow } from '../store/writers/synapse-rows.js';
import type { Cure } from './cure.js';

const CHUNK = 500;
const SPEC_RECEIPT = 'https://spec.matrix.org/v1.16/server-server-api/#checks-performed-on-receipt-of-a-pdu';

function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

function inList(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}

/** A check per chunk: `SELECT COUNT(*) FROM table WHERE room AND column IN chunk` equals a number. */
function countChecks(id: string, description: string, table: string, column: string, ids: readonly SqlValue[], expect: (chunk: readonly SqlValue[]) => number, extra: { where?: string; params?: SqlValue[]; database?: 'main' | 'state' } = {}): Check[] {
  return chunks(ids).map((chunk, i) => ({
    id: `${id}${ids.length > CHUNK ? `-${i + 1}` : ''}`,
    description,
    database: extra.database ?? 'main',
    query: statement(`SELECT COUNT(*) AS n FROM ${table} WHERE ${extra.where ? `${extra.where} AND ` : ''}${column} IN (${inList(chunk.length)})`, [...(extra.params ?? []), ...chunk]),
    expect: expect(chunk),
  }));
}

export interface UnrejectPlanResult {
  readonly plan: Plan;
  readonly cure: Cure;
  /** Nothing to write: no chain to cure (or everything re-checked stays rejected). */
  readonly empty: boolean;
}

export async function planUnreject(store: ReadStore, cure: Cure, command: string): Promise<UnrejectPlanResult> {
  const room = cure.roomId;
  const steps: Step[] = [];
  const preconditions: Check[] = [];
  const verify: Check[] = [];
  const caps = store.schema.capabilities;
  const U = cure.unrejected;
  const uIds = U.map((w) => w.row.event_id);
  const kept = cure.decisions.filter((d) => !d.unreject);
  const rootIds = new Set(cure.chains.map((c) => c.root.event_id));
  const why = (text: string, eventId?: string, rule?: string): Reason => ({ text, ...(eventId ? { eventId } : {}), ...(rule ? { rule } : {}), spec: SPEC_RECEIPT });

  // What the cure was computed from must still hold when it is applied.
  if (caps.rejectionsTable) {
    const rejectedNow = cure.decisions.map((d) => d.event_id);
    preconditions.push(...countChecks('still-rejected', 'the events re-checked are still rejected', 'rejections', 'event_id', rejectedNow, (c) => c.length));
  }
  preconditions.push({ id: 'state-group-position', description: 'no state group was added since the plan was made', database: 'state', query: statement('SELECT COALESCE(MAX(id), 0) AS n FROM state_groups'), expect: await maxStateGroupId(store.state) });
  preconditions.push({ id: 'current-state-size', description: 'the current state of the room is as it was read', database: 'main', query: statement('SELECT COUNT(*) AS n FROM current_state_events WHERE room_id = ?', [room]), expect: cure.stateBefore.size });
  preconditions.push(...countChecks('current-state-events', 'the current state of the room is as it was read', 'current_state_events', 'event_id', [...cure.stateBefore.values()], (c) => c.length, { where: 'room_id = ?', params: [room] }));
  preconditions.push({ id: 'extremities-size', description: 'the forward extremities are as they were read', database: 'main', query: statement('SELECT COUNT(*) AS n FROM event_forward_extremities WHERE room_id = ?', [room]), expect: cure.extremitiesBefore.length });
  preconditions.push(...countChecks('extremities', 'the forward extremities are as they were read', 'event_forward_extremities', 'event_id', cure.extremitiesBefore, (c) => c.length, { where: 'room_id = ?', params: [room] }));

  // 1. The rejection markers.
  if (U.length > 0) {
    if (caps.rejectionsTable) {
      steps.push(...keyedStatements(room, { id: 'rejections', table: 'rejections', column: 'event_id', ids: uIds, exact: true }, why('un-reject: it passes the checks on receipt once the chain\'s root is accepted')));
    }
    if (await hasColumn(store.main, 'events', 'rejection_reason')) {
      steps.push(...keyedStatements(room, { id: 'events-rejection_reason', table: 'events', op: 'update', set: { sql: 'rejection_reason = NULL', params: [] }, roomColumn: 'room_id', column: 'event_id', ids: uIds, exact: true }, why('events.rejection_reason follows the rejections table (as mark_event_rejected_txn keeps them)')));
    }
  }

  // 2. The rows only accepted events get.
  const have = {
    event_edges: await eventsWithRows(store.main, 'event_edges', uIds),
    room_memberships: await eventsWithRows(store.main, 'room_memberships', uIds),
    event_relations: await eventsWithRows(store.main, 'event_relations', uIds),
    redactions: await eventsWithRows(store.main, 'redactions', uIds),
  };
  const searched = U.length > 0 ? await eventsWithSearchRows(store.main, room) : new Set<string>();
  const byTable = new Map<string, SynapseRow[]>();
  const search: EventSearchRow[] = [];
  const threads = new Map<string, ThreadPosition>();
  for (const w of U) {
    if (!w.pdu) continue;
    const rows = acceptedEventRows({ pdu: w.pdu, roomId: room, streamOrdering: w.row.stream_ordering, receivedTs: w.row.received_ts, recheckRedaction: w.recheckRedaction });
    for (const [table, row] of rows.tables) {
      if (have[table as keyof typeof have]?.has(w.row.event_id)) continue;
      (byTable.get(table) ?? byTable.set(table, []).get(table)!).push(row);
    }
    if (rows.search && !searched.has(w.row.event_id)) search.push(rows.search);
    if (!w.row.outlier) {
      const t = threadCandidate({ pdu: w.pdu, roomId: room, streamOrdering: w.row.stream_ordering, receivedTs: w.row.received_ts });
      if (t && laterInThread(t, threads.get(t.threadId))) threads.set(t.threadId, t);
    }
  }
  const accepted = why('rows Synapse writes for an accepted event (events.py _update_metadata_tables_txn)');
  for (const table of ['event_edges', 'room_memberships', 'event_relations', 'redactions']) {
    steps.push(...(await planInsertRows(store.main, table, byTable.get(table) ?? [], { reason: accepted, idPrefix: 'accepted-' })));
  }
  steps.push(...planEventSearch(store.main, search, { reason: accepted, idPrefix: 'accepted-' }));
  steps.push(...(await planThreadRows(store.main, room, threads, why('threads keeps the latest event of each thread'), 'accepted-')));

  // 3. State groups, and the events mapped to them.
  if (cure.newGroups.length > 0) {
    const reason = why('the state after each event, recomputed with the chain accepted (state resolution where branches meet)');
    const sg: SynapseRow[] = [];
    const edges: SynapseRow[] = [];
    const sgs: SynapseRow[] = [];
    for (const g of cure.newGroups) {
      sg.push({ id: g.id, room_id: room, event_id: g.eventId });
      if (g.prevGroup !== undefined) edges.push({ state_group: g.id, prev_state_group: g.prevGroup });
      for (const [key, eventId] of g.rows) {
        const [type, stateKey] = splitStateKey(key);
        sgs.push({ state_group: g.id, room_id: room, type, state_key: stateKey, event_id: eventId });
      }
    }
    steps.push(...(await planInsertRows(store.state, 'state_groups', sg, { reason, database: 'state' })));
    steps.push(...(await planInsertRows(store.state, 'state_group_edges', edges, { reason, database: 'state' })));
    steps.push(...(await planInsertRows(store.state, 'state_groups_state', sgs, { reason, database: 'state' })));
    const maxId = Math.max(...cure.newGroups.map((g) => g.id));
    if (store.state.capabilities.sequences) steps.push({ kind: 'sequence', id: 'state_group_id_seq', reason, database: 'state', sequence: 'state_group_id_seq', atLeast: maxId });
  }
  if (cure.remap.length > 0) {
    const reason = why('event_to_state_groups: the state after each event (before it, for a rejected one)');
    const mapped = cure.remap.filter((r) => r.from !== null).map((r) => r.eventId);
    if (mapped.length > 0) steps.push(...keyedStatements(room, { id: 'event_to_state_groups-old', table: 'event_to_state_groups', column: 'event_id', ids: mapped, exact: true }, reason));
    steps.push(...(await planInsertRows(store.main, 'event_to_state_groups', cure.remap.map((r) => ({ event_id: r.eventId, state_group: r.to })), { reason })));
  }

  // 4. Current state and what hangs on it (shared with fsck --fix: store/writers/current-state.ts).
  const changedKeys = changedStateKeys(cure.stateBefore, cure.stateAfter);
  const stream = await eventsStreamPosition(store.main);
  steps.push(...(await planCurrentStateRows(store, { roomId: room, rules: cure.rules, before: cure.stateBefore, after: cure.stateAfter, why: (text) => why(text) })));

  // 5. Forward extremities.
  const gone = cure.extremitiesBefore.filter((e) => !cure.extremitiesAfter.includes(e));
  const added = cure.extremitiesAfter.filter((e) => !cure.extremitiesBefore.includes(e));
  if (gone.length > 0 || added.length > 0) {
    const reason = why('forward extremities: accepted events no accepted event follows (persist_events.py _calculate_new_extremities)');
    if (gone.length > 0) steps.push(...keyedStatements(room, { id: 'event_forward_extremities-old', table: 'event_forward_extremities', roomColumn: 'room_id', column: 'event_id', ids: gone, exact: true }, reason));
    steps.push(...(await planInsertRows(store.main, 'event_forward_extremities', added.map((event_id) => ({ event_id, room_id: room })), { reason })));
    steps.push(...(await planInsertRows(store.main, 'stream_ordering_to_exterm', cure.extremitiesAfter.map((event_id) => ({ stream_ordering: stream, room_id: room, event_id })), { reason })));
  }

  // Verification, inside the transaction.
  if (caps.rejectionsTable) {
    verify.push(...countChecks('chain-gone', 'no un-rejected event is still in rejections', 'rejections', 'event_id', uIds, () => 0));
    const keptIds = kept.map((d) => d.event_id);
    verify.push(...countChecks('kept-rejected', 'events that fail on their own stay rejected', 'rejections', 'event_id', keptIds, (c) => c.length));
  }
  const withPrevs = U.filter((w) => (w.pdu?.prev_events.length ?? 0) > 0).map((w) => w.row.event_id);
  verify.push(...chunks(withPrevs).map((chunk, i) => ({
    id: `edges-${i + 1}`, description: 'every un-rejected event has its event_edges', database: 'main' as const,
    query: statement(`SELECT COUNT(DISTINCT event_id) AS n FROM event_edges WHERE event_id IN (${inList(chunk.length)})`, chunk), expect: chunk.length,
  })));
  const members = U.filter((w) => w.pdu?.type === 'm.room.member' && typeof w.pdu.content.membership === 'string').map((w) => w.row.event_id);
  verify.push(...countChecks('memberships', 'every un-rejected membership event has its room_memberships row', 'room_memberships', 'event_id', members, (c) => c.length));
  verify.push({ id: 'current-state-size-after', description: 'the current state has the resolved number of entries', database: 'main', query: statement('SELECT COUNT(*) AS n FROM current_state_events WHERE room_id = ?', [room]), expect: cure.stateAfter.size });
  verify.push(...countChecks('current-state-after', 'the current state equals the resolved state', 'current_state_events', 'event_id', [...cure.stateAfter.values()], (c) => c.length, { where: 'room_id = ?', params: [room] }));
  verify.push({ id: 'extremities-after-size', description: 'the forward extremities are the recomputed ones', database: 'main', query: statement('SELECT COUNT(*) AS n FROM event_forward_extremities WHERE room_id = ?', [room]), expect: cure.extremitiesAfter.length });
  verify.push(...countChecks('extremities-after', 'the forward extremities are the recomputed ones', 'event_forward_extremities', 'event_id', cure.extremitiesAfter, (c) => c.length, { where: 'room_id = ?', params: [room] }));
  const remapPairs = cure.remap;
  verify.push(...chunks(remapPairs).map((chunk, i) => ({
    id: `state-mapping-${i + 1}`, description: 'every recomputed event points at its new state group', database: 'main' as const,
    query: statement(`SELECT COUNT(*) AS n FROM event_to_state_groups WHERE ${chunk.map(() => '(event_id = ? AND state_group = ?)').join(' OR ')}`, chunk.flatMap((r) => [r.eventId, r.to])), expect: chunk.length,
  })));
  if (cure.newGroups.length > 0) {
    const ids = cure.newGroups.map((g) => g.id);
    verify.push(...countChecks('state-groups', 'every new state group exists, in this room', 'state_groups', 'id', ids, (c) => c.length, { where: 'room_id = ?', params: [room], database: 'state' }));
  }

  const notes = describe(cure, rootIds, changedKeys);
  const plan = makePlan(store, { command, steps, preconditions, verify, notes });
  return { plan, cure, empty: steps.length === 0 };
}


function short(id: string | undefined): string {
  return id === undefined ? '(none)' : id;
}

/** The dry run's words: what is un-rejected, what stays, the state before and after. */
function describe(cure: Cure, roots: ReadonlySet<string>, changedKeys: readonly string[]): string[] {
  const notes: string[] = [];
  const un = cure.decisions.filter((d) => d.unreject);
  const kept = cure.decisions.filter((d) => !d.unreject);
  const leftAlone = (): void => {
    if (cure.otherChains.length === 0) return;
    notes.push(`Left alone: ${cure.otherChains.length} other chain(s) of the room:`);
    for (const c of cure.otherChains.slice(0, 10)) {
      notes.push(`  ${c.root.event_id}  ${c.root.type} from ${c.root.sender}${c.dependents.count ? ` and ${c.dependents.count} dependents` : ''}: ${c.verdict === 'genuinely-invalid' ? c.root.classification.explanation : 'not named'}`);
    }
    if (cure.undecided.length > 0) {
      notes.push(`Left alone: ${cure.undecided.length} rejected event(s) that cannot be decided (an event they cite is not stored here):`);
      for (const u of cure.undecided.slice(0, 10)) notes.push(`  ${u.event_id}${u.missing.length ? `: missing ${u.missing.join(', ')}` : ''}`);
    }
  };
  if (cure.decisions.length === 0) {
    notes.push(`Nothing to cure in ${cure.roomId}: no chain whose root looks wrong.`);
    leftAlone();
    return notes;
  }
  notes.push(`Room ${cure.roomId} (room version ${cure.rules.id}): ${cure.chains.length} chain(s), ${cure.decisions.length} rejected events re-checked in topological order.`);
  notes.push(`Un-rejects ${un.length}:`);
  const shown = un.slice(0, 30);
  for (const d of shown) notes.push(`  ${d.event_id}  ${d.type}${d.state_key !== null ? ` [${d.state_key}]` : ''} from ${d.sender}${roots.has(d.event_id) ? '  (root)' : ''}`);
  if (un.length > shown.length) notes.push(`  … and ${un.length - shown.length} more (--json lists every one)`);
  if (kept.length > 0) {
    notes.push(`Keeps ${kept.length} rejected (they fail on their own):`);
    for (const d of kept.slice(0, 30)) notes.push(`  ${d.event_id}  ${d.type} from ${d.sender}: ${d.why ?? ''}`);
    if (kept.length > 30) notes.push(`  … and ${kept.length - 30} more`);
  }
  leftAlone();
  if (cure.unplaced.length > 0) notes.push(`${cure.unplaced.length} event(s) whose prev events are not all stored keep their stored state: ${cure.unplaced.slice(0, 5).join(', ')}${cure.unplaced.length > 5 ? ', …' : ''}`);
  if (changedKeys.length > 0) {
    notes.push('Current state, before → after:');
    for (const k of changedKeys) {
      const [type, stateKey] = splitStateKey(k);
      notes.push(`  ${type} [${stateKey}]: ${short(cure.stateBefore.get(k))} → ${short(cure.stateAfter.get(k))}`);
    }
  } else notes.push('Current state: unchanged.');
  notes.push(`Forward extremities: ${cure.extremitiesBefore.length} → ${cure.extremitiesAfter.length}${sameSet(cure.extremitiesBefore, cure.extremitiesAfter) ? ' (unchanged)' : ''}.`);
  notes.push(`New state groups: ${cure.newGroups.length}; events re-pointed at their recomputed state: ${cure.remap.length}.`);
  notes.push('Not written: push actions (old messages must not notify anyone now); the user directory and the sliding-sync tables (v87+) are left as they are.');
  return notes;
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}
