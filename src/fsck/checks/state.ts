/**
 * fsck group `state`: the state group tables and the current state built on them.
 *
 * What Synapse writes (synapse/storage/databases/main/events.py, state/store.py):
 * - every timeline (non-outlier) event, rejected ones included, gets an event_to_state_groups row:
 *   the state after it (before it, for a rejected one); outliers get none (`_store_event_state_mappings_txn`);
 * - an accepted state event's group is a new group holding the event itself: a delta on the group
 *   before it with {key: event} or, past MAX_STATE_DELTA_HOPS, a full snapshot
 *   (state/__init__.py `calculate_context_info`, state/store.py `store_state_group`);
 * - edges go from a group to one lower-numbered group of the same room (readers assume prev < child,
 *   bg_updates.py `_get_state_groups_from_groups_txn`); deltas only add or replace keys;
 * - writers extend a chain only while it is under MAX_STATE_DELTA_HOPS = 100 (bg_updates.py;
 *   PostgreSQL counts the group itself, so its chains stop at 99 edges, SQLite's at 100);
 * - current_state_events is the resolution of the states at the forward extremities
 *   (persist_events.py `_get_new_state_after_events`); it is deleted when the server leaves the
 *   room (events.py `no_longer_in_room`), so rooms without one are not compared;
 * - current_state_events.membership and local_current_membership come from room_memberships
 *   (events.py `_update_current_state_txn`), local_current_membership for local users only, plus
 *   out-of-band memberships (outliers) for rooms the server is not in.
 */
import { splitStateKey, stateKeyOf } from '../../matrix/pdu.js';
import type { Check } from '../../plan/plan.js';
import { statement } from '../../store/engine/engine.js';
import {
  findCurrentStatesWithoutCreate,
  findEventsOfStateGroups,
  findOwnStateRows,
  findStateGroupRooms,
  iterateBadStateGroupEdges,
  findTimelineEventsWithoutStateGroup,
  iterateAcceptedStateEventGroups,
  iterateEventGroupCounts,
  iterateExtremityGroups,
  iterateMembershipMismatches,
  iterateStateGroupChains,
  type ExtremityGroupRow,
} from '../../store/readers/fsck-state.js';
import { findRoomRow } from '../../store/readers/history.js';
import { findCurrentState } from '../../store/readers/room-dag.js';
import { StateGroupReader } from '../../store/readers/state-groups.js';
import { planCurrentStateRows } from '../../store/writers/current-state.js';
import { rulesOf } from '../../rejections/find.js';
import { loadRoomStateEvents, resolveStateMaps, stateEventFetcher, type StateMap } from '../../rejections/resolve-states.js';
import type { FsckCheckDefinition, FsckContext, FsckFinding, FsckRepair } from '../check.js';
import { RoomFindings } from './collect.js';

/** Longest delta chain any Synapse writer makes (state/bg_updates.py MAX_STATE_DELTA_HOPS, counted in edges as SQLite counts). */
export const MAX_STATE_DELTA_HOPS = 100;

const SPEC_STATE = 'https://spec.matrix.org/v1.16/server-server-api/#room-state-resolution';

// ── event_to_state_groups: one pass, shared by three checks ────────────────────────────────────

interface EventGroupProblems {
  withoutGroup: RoomFindings;
  missing: RoomFindings;
  otherRoom: RoomFindings;
  lacksEvent: RoomFindings;
}

const passes = new WeakMap<FsckContext, Promise<EventGroupProblems>>();

function eventGroupPass(ctx: FsckContext): Promise<EventGroupProblems> {
  let p = passes.get(ctx);
  if (!p) {
    p = runEventGroupPass(ctx);
    passes.set(ctx, p);
  }
  return p;
}

/**
 * One grouped pass over events (per room and state group: how many events, one of them), the
 * groups looked up in the state database a batch at a time; then the accepted state events, each
 * looked up in its own group's rows.
 */
async function runEventGroupPass(ctx: FsckContext): Promise<EventGroupProblems> {
  const out: EventGroupProblems = {
    withoutGroup: new RoomFindings(timelineWithoutGroup, ctx.sampleSize),
    missing: new RoomFindings(groupMissing, ctx.sampleSize),
    otherRoom: new RoomFindings(groupOtherRoom, ctx.sampleSize),
    lacksEvent: new RoomFindings(groupLacksEvent, ctx.sampleSize),
  };
  const withoutGroup: { room_id: string; events: number }[] = [];
  let batch: { room_id: string; state_group: number; events: number; event_id: string }[] = [];
  const flush = async (): Promise<void> => {
    const rooms = await findStateGroupRooms(ctx.db.state, batch.map((r) => r.state_group));
    for (const r of batch) {
      const room = rooms.get(r.state_group);
      if (room === undefined) out.missing.add(r.room_id, { event_id: r.event_id, state_group: r.state_group, events: r.events }, { weight: r.events });
      else if (room !== r.room_id) out.otherRoom.add(r.room_id, { event_id: r.event_id, state_group: r.state_group, state_group_room_id: room, events: r.events }, { weight: r.events });
    }
    batch = [];
  };
  for await (const r of iterateEventGroupCounts(ctx.db.main, ctx.roomId)) {
    if (r.state_group === null) withoutGroup.push({ room_id: r.room_id, events: r.events });
    else batch.push({ room_id: r.room_id, state_group: r.state_group, events: r.events, event_id: r.event_id });
    if (batch.length >= 1000) await flush();
  }
  await flush();
  for (const w of withoutGroup) {
    const sample = await findTimelineEventsWithoutStateGroup(ctx.db.main, w.room_id, ctx.sampleSize);
    sample.forEach((e, i) => out.withoutGroup.add(w.room_id, { event_id: e.event_id, type: e.type, stream_ordering: e.stream_ordering }, { weight: i === 0 ? w.events - sample.length + 1 : 1 }));
  }
  for await (const states of iterateAcceptedStateEventGroups(ctx.db.main, ctx.db.schema.capabilities, ctx.roomId)) {
    const rooms = await findStateGroupRooms(ctx.db.state, states.map((r) => r.state_group));
    const own = states.filter((e) => rooms.get(e.state_group) === e.room_id); // missing or other room: found above
    const held = await findOwnStateRows(ctx.db.state, own);
    for (const e of own) {
      if (!held.has(`${e.state_group}\u0000${e.event_id}`)) out.lacksEvent.add(e.room_id, { event_id: e.event_id, type: e.type, state_key: e.state_key, state_group: e.state_group });
    }
  }
  return out;
}

const timelineWithoutGroup: FsckCheckDefinition = {
  id: 'state.timeline-event-without-state-group',
  group: 'state',
  title: 'timeline events without event_to_state_groups',
  severity: 'error',
  why: 'Synapse cannot tell who may see these events: history visibility, /context and /messages fail on them ("No state group for unknown or outlier event").',
  fixable: false,
  async run(ctx) {
    return (await eventGroupPass(ctx)).withoutGroup.findings({ advice: 'the state after each event has to be recomputed (a state group per state event); synapse-doctor does not do it offline yet' });
  },
};

const groupMissing: FsckCheckDefinition = {
  id: 'state.state-group-missing',
  group: 'state',
  title: 'events pointing at a state group that does not exist',
  severity: 'error',
  why: 'Synapse fails to load the state at these events (and refuses to persist an event whose state builds on them), so visibility checks, sync and sending break for the room.',
  fixable: false,
  async run(ctx) {
    return (await eventGroupPass(ctx)).missing.findings({ advice: 'typically event_to_state_groups copied from another database with its state group ids: the state groups must be copied and renumbered, or recomputed' });
  },
};

const groupOtherRoom: FsckCheckDefinition = {
  id: 'state.state-group-other-room',
  group: 'state',
  title: 'events pointing at a state group of another room',
  severity: 'error',
  why: "Synapse uses another room's state for these events: their visibility, auth and the room's state resolution are computed from the wrong room.",
  fixable: false,
  async run(ctx) {
    return (await eventGroupPass(ctx)).otherRoom.findings({ advice: 'state group ids are local to a database: ids copied from another server name unrelated groups here; the state must be copied with renumbered groups, or recomputed' });
  },
};

const groupLacksEvent: FsckCheckDefinition = {
  id: 'state.state-group-lacks-event',
  group: 'state',
  title: "accepted state events whose state group does not hold them",
  severity: 'error',
  why: 'The state Synapse stored after these state events is not a state of this room at that point (Synapse always gives an accepted state event a group holding it), so state resolution and visibility read the wrong state.',
  fixable: false,
  async run(ctx) {
    return (await eventGroupPass(ctx)).lacksEvent.findings({ advice: 'the state groups were probably copied from another database by id; recompute the state after these events' });
  },
};

// ── state_group_edges and delta chains ─────────────────────────────────────────────────────────

const badEdges: FsckCheckDefinition = {
  id: 'state.state-group-edges',
  group: 'state',
  title: 'state_group_edges to missing groups, upwards (prev >= child), across rooms, or several per group',
  severity: 'error',
  why: "Synapse reads a group's state by walking its prev edges and assumes each goes to one lower-numbered group of the same room: a broken edge gives a wrong or truncated state.",
  fixable: false,
  async run(ctx) {
    const f = new RoomFindings(this, ctx.sampleSize);
    for await (const e of iterateBadStateGroupEdges(ctx.db.state, ctx.roomId)) {
      const problem = e.room_id === null ? 'group missing' : e.prev_room_id === null ? 'prev group missing' : e.prev_state_group >= e.state_group ? 'prev >= child' : e.room_id !== e.prev_room_id ? 'prev group of another room' : `${e.prevs} prev edges`;
      f.add(e.room_id ?? e.prev_room_id, { state_group: e.state_group, prev_state_group: e.prev_state_group, problem });
    }
    return f.findings({ advice: 'the groups concerned have to be rewritten as full snapshots of their intended state; synapse-doctor does not do it offline yet' });
  },
};

const longChains: FsckCheckDefinition = {
  id: 'state.delta-chain-too-long',
  group: 'state',
  title: `state group delta chains longer than Synapse makes (${MAX_STATE_DELTA_HOPS} deltas)`,
  severity: 'warning',
  why: `Synapse never extends a chain past ${MAX_STATE_DELTA_HOPS} deltas because every read walks the whole chain: reading these states is slow, and a cycle-like depth makes state lookups time out.`,
  fixable: false,
  async run(ctx) {
    const f = new RoomFindings(this, ctx.sampleSize);
    for await (const g of iterateStateGroupChains(ctx.db.state, { longerThan: MAX_STATE_DELTA_HOPS }, ctx.roomId)) f.add(g.room_id, { state_group: g.state_group, hops: g.hops });
    return f.findings({ advice: 'synapse_auto_compressor (rust-synapse-compress-state) rewrites the chains within the limit' });
  },
};

const noCreate: FsckCheckDefinition = {
  id: 'state.state-without-create',
  group: 'state',
  title: 'states without m.room.create (an event\'s state group, or the current state)',
  severity: 'error',
  why: 'Every state of a room holds its m.room.create; without it Synapse cannot authorise events against that state (auth rule 1) and treats the room version as unknown there.',
  fixable: false,
  async run(ctx) {
    const f = new RoomFindings(this, ctx.sampleSize);
    const pending: { state_group: number; room_id: string }[] = [];
    const flush = async (): Promise<void> => {
      const used = await findEventsOfStateGroups(ctx.db.main, pending.map((p) => p.state_group));
      for (const p of pending) {
        const u = used.get(p.state_group);
        if (u) f.add(p.room_id, { state_group: p.state_group, event_id: u.event_id, events: u.events }, { weight: 1 });
      }
      pending.length = 0;
    };
    for await (const g of iterateStateGroupChains(ctx.db.state, 'without-create', ctx.roomId)) {
      pending.push({ state_group: g.state_group, room_id: g.room_id });
      if (pending.length >= 500) await flush();
    }
    await flush();
    for (const r of await findCurrentStatesWithoutCreate(ctx.db.main, ctx.roomId)) f.add(r.room_id, { current_state: true, entries: r.entries });
    return f.findings({ advice: 'the state groups (or current state) are incomplete: they were probably written by hand or copied; recompute them' });
  },
};

// ── current state against the resolved state of the forward extremities ──────────────────────

interface CurrentStateDiff {
  roomId: string;
  current: Map<string, string>;
  resolved: StateMap;
  extremities: string[];
  keys: string[];
}

/** Rooms whose current state is not the resolved state of their extremities' groups. */
async function* currentStateDiffs(ctx: FsckContext): AsyncIterable<CurrentStateDiff> {
  const groups = new StateGroupReader(ctx.db.state, 4); // whole states of big rooms: keep few
  let room: string | undefined;
  let rows: ExtremityGroupRow[] = [];
  const finish = async (roomId: string, extremities: ExtremityGroupRow[]): Promise<CurrentStateDiff | undefined> => {
    // An extremity without a state group is the dag group's finding; nothing to resolve from.
    if (extremities.length === 0 || extremities.some((e) => e.state_group === null)) return undefined;
    const currentRows = await findCurrentState(ctx.db.main, roomId);
    if (currentRows.length === 0) return undefined; // the server left: Synapse deleted the current state
    const current = new Map(currentRows.map((r) => [stateKeyOf(r.type, r.state_key), r.event_id]));
    const distinct = [...new Set(extremities.map((e) => e.state_group!))];
    const states = await Promise.all(distinct.map((g) => groups.read(g)));
    let resolved: StateMap;
    if (states.every((s) => sameMap(s, states[0]!))) resolved = states[0]!;
    else {
      const row = await findRoomRow(ctx.db.main, roomId);
      let rules;
      try {
        rules = rulesOf(row?.room_version ?? null, roomId);
      } catch {
        return undefined; // a room version we do not know: nothing to resolve with (inspect reports it)
      }
      const events = await loadRoomStateEvents(ctx.db, roomId, rules);
      resolved = resolveStateMaps(states, rules, stateEventFetcher(events));
    }
    const keys = [...new Set([...current.keys(), ...resolved.keys()])].filter((k) => current.get(k) !== resolved.get(k)).sort();
    return keys.length === 0 ? undefined : { roomId, current, resolved, extremities: extremities.map((e) => e.event_id), keys };
  };
  for await (const r of iterateExtremityGroups(ctx.db.main, ctx.roomId)) {
    if (r.room_id !== room) {
      if (room !== undefined) {
        const d = await finish(room, rows);
        if (d) yield d;
      }
      room = r.room_id;
      rows = [];
    }
    rows.push(r);
  }
  if (room !== undefined) {
    const d = await finish(room, rows);
    if (d) yield d;
  }
}

function sameMap(a: ReadonlyMap<string, string>, b: ReadonlyMap<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}

const currentState: FsckCheckDefinition = {
  id: 'state.current-state-not-resolved',
  group: 'state',
  title: 'current_state_events differs from the resolved state of the forward extremities (a state reset)',
  severity: 'error',
  why: "Synapse serves, authorises new events against and computes memberships from current_state_events: when it is not the state of the room's forward extremities, users see (and act under) a stale or reset state (element-hq/synapse#8629).",
  fixable: true,
  async run(ctx) {
    const out: FsckFinding[] = [];
    for await (const d of currentStateDiffs(ctx)) {
      out.push({
        check: this.id, severity: this.severity, room_id: d.roomId, count: d.keys.length,
        sample: d.keys.slice(0, ctx.sampleSize).map((k) => {
          const [type, state_key] = splitStateKey(k);
          return { type, state_key, current_event_id: d.current.get(k) ?? null, resolved_event_id: d.resolved.get(k) ?? null };
        }),
        why: this.why, fixable: true,
        advice: '--fix rewrites the current state (and local_current_membership, the delta stream, room stats) from the resolved state of the extremities; restart Synapse afterwards',
      });
    }
    return out;
  },
  async repair(ctx, findings) {
    const rooms = new Set(findings.map((f) => f.room_id).filter((r): r is string => r !== null));
    const steps: FsckRepair['steps'][number][] = [];
    const preconditions: Check[] = [];
    const verify: Check[] = [];
    const notes: string[] = [];
    for (const roomId of [...rooms].sort()) {
      for await (const d of currentStateDiffs({ ...ctx, roomId })) {
        const row = await findRoomRow(ctx.db.main, roomId);
        const rules = rulesOf(row?.room_version ?? null, roomId);
        const n = steps.length;
        steps.push(...(await planCurrentStateRows(ctx.db, {
          roomId, rules, before: d.current, after: d.resolved, idPrefix: `${n}-`,
          why: (text) => ({ text, spec: SPEC_STATE }),
        })));
        preconditions.push(...stateChecks(`current-state-${n}`, 'the current state of the room is as it was read', roomId, d.current));
        preconditions.push({ id: `extremities-${n}`, description: 'the forward extremities are as they were read', database: 'main', query: statement('SELECT COUNT(*) AS n FROM event_forward_extremities WHERE room_id = ?', [roomId]), expect: d.extremities.length });
        verify.push(...stateChecks(`resolved-state-${n}`, 'the current state is the resolved state of the extremities', roomId, d.resolved));
        notes.push(`Room ${roomId}: current state recomputed from ${d.extremities.length} forward extremit${d.extremities.length === 1 ? 'y' : 'ies'}, ${d.keys.length} entr${d.keys.length === 1 ? 'y' : 'ies'} change.`);
      }
    }
    if (steps.length > 0) notes.push('Restart Synapse after applying: it caches the current state.');
    return { steps, preconditions, verify, notes };
  },
};

/** The room's current_state_events are exactly `state`: its size, and every event of it in chunks. */
function stateChecks(id: string, description: string, roomId: string, state: StateMap): Check[] {
  const ids = [...state.values()];
  const out: Check[] = [{ id: `${id}-size`, description, database: 'main', query: statement('SELECT COUNT(*) AS n FROM current_state_events WHERE room_id = ?', [roomId]), expect: state.size }];
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    out.push({ id: `${id}-${i / 500 + 1}`, description, database: 'main', query: statement(`SELECT COUNT(*) AS n FROM current_state_events WHERE room_id = ? AND event_id IN (${chunk.map(() => '?').join(', ')})`, [roomId, ...chunk]), expect: chunk.length });
  }
  return out;
}

// ── memberships ────────────────────────────────────────────────────────────────────────────────

const memberships: FsckCheckDefinition = {
  id: 'state.membership-tables',
  group: 'state',
  title: 'room_memberships / local_current_membership disagreeing with the current state',
  severity: 'error',
  why: "Synapse answers joined-rooms, sync's room list and membership checks of local users from these tables: a row that disagrees with the current state shows a user in a room they left, or out of one they are in.",
  fixable: false,
  async run(ctx) {
    const f = new RoomFindings(this, ctx.sampleSize);
    for await (const m of iterateMembershipMismatches(ctx.db.main, ctx.roomId)) {
      f.add(m.room_id, { user_id: m.user_id, table: m.problem, current_state_event_id: m.event_id, current_state_membership: m.current_state_membership, table_event_id: m.other_event_id, table_membership: m.other_membership });
    }
    return f.findings({ advice: 'when the current state itself is wrong, state.current-state-not-resolved --fix rewrites these rows with it; otherwise the rows have to be rewritten from the current state by hand' });
  },
};

export const STATE_CHECKS: readonly FsckCheckDefinition[] = [
  timelineWithoutGroup, groupMissing, groupOtherRoom, groupLacksEvent, badEdges, longChains, noCreate, currentState, memberships,
];
