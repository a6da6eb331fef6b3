/**
 * The cure of rejection chains in one room, computed (plain data; `unreject-plan.ts` turns it into
 * a plan). Read-only.
 *
 * 1. The chains to cure: the chosen roots and their dependents (find.ts).
 * 2. The window: the room's events from the earliest of them on, in topological order (depth, then
 *    stream ordering: every prev event has a lower depth). An event is *dirty* when it is to be
 *    re-checked or one of its prev events is dirty; the state after every other event is what
 *    Synapse stored, untouched.
 * 3. For each dirty event: the state before it (its prev events' states after them, resolved with
 *    the protocol core where they differ), then, for an event of the chains, the checks on receipt
 *    again (classify.ts: steps 1–5, its auth events with their new status, the recomputed state
 *    before it); it is un-rejected only when it passes them all. The state after it: the state
 *    before plus the event itself for an accepted state event (synapse/events/snapshot.py).
 * 4. State groups for the new states, as Synapse writes them: reuse a group holding exactly the
 *    state; otherwise a delta on the group before (prev < child, deltas only add or replace keys,
 *    at most MAX_STATE_DELTA_HOPS), or a full group.
 * 5. The forward extremities as Synapse's persist path leaves them (persist_events.py
 *    `_calculate_new_extremities`): accepted, non-outlier, non-soft-failed events that no accepted
 *    event cites as a prev event, directly or through rejected or soft-failed ones. The current
 *    state: the resolved states after them.
 *
 * Differences from Synapse: Synapse would also soft-fail (step 6) against its current state; the
 * cure does not change soft-failure. An event whose prev events we cannot place (outliers, missing)
 * keeps its stored status and state.
 */
import { SynapseDoctorError } from '../errors.js';
import { authTypesForEvent, CREATE_KEY, POWER_LEVELS_KEY, userPowerLevel } from '../matrix/auth/index.js';
import { namedPowerLevelFrom } from '../matrix/auth/power-levels.js';
import { parseStoredEvent, sameStateMap, stateKeyOf, type JsonObject, type Pdu } from '../matrix/pdu.js';
import type { RoomVersionRules } from '../matrix/room-versions.js';
import type { ReadStore } from '../store/open.js';
import { internalMetadataFlag } from '../store/internal-metadata.js';
import { findRoomRow } from '../store/readers/history.js';
import {
  findCurrentState,
  findEventPositions,
  findForwardExtremities,
  iterateRoomEventsFrom,
  stateGroupHops,
  stateGroupIdPosition,
  type WindowEventRow,
} from '../store/readers/room-dag.js';
import { StateGroupReader } from '../store/readers/state-groups.js';
import { distinctStates, loadRoomStateEvents, resolveStateMaps } from './resolve-states.js';
import { classifyRejected, type Classification, type KnownEvent } from './classify.js';
import { findRejections, keyRing, rulesOf, type ChainReport } from './find.js';

/** synapse/storage/databases/state/store.py: longest delta chain a writer extends. */
export const MAX_STATE_DELTA_HOPS = 100;

export type StateMap = ReadonlyMap<string, string>;

export interface CureDecision {
  readonly event_id: string;
  readonly type: string;
  readonly state_key: string | null;
  readonly sender: string;
  readonly stream_ordering: number;
  readonly unreject: boolean;
  /** Why it stays rejected (one sentence), when it does. */
  readonly why?: string;
  readonly rule?: string;
}

export interface NewStateGroup {
  readonly id: number;
  readonly eventId: string;
  readonly prevGroup?: number;
  /** Rows of state_groups_state: the delta on prevGroup, or the full state. */
  readonly rows: StateMap;
}

export interface WindowEvent {
  readonly row: WindowEventRow;
  readonly pdu: Pdu | undefined;
  readonly softFailed: boolean;
  readonly recheckRedaction: boolean;
}

export interface Cure {
  readonly roomId: string;
  readonly rules: RoomVersionRules;
  readonly chains: readonly ChainReport[];
  /** The room's other chains, left alone (genuinely invalid roots, or roots not named). */
  readonly otherChains: readonly ChainReport[];
  /** Rejected events of the room no chain holds (undecided: an auth event is not stored), left alone. */
  readonly undecided: readonly { readonly event_id: string; readonly missing: readonly string[] }[];
  readonly decisions: readonly CureDecision[];
  /** Un-rejected events, with what their rows are made of. */
  readonly unrejected: readonly WindowEvent[];
  readonly newGroups: readonly NewStateGroup[];
  /** event_to_state_groups rows that change (from null when the event had none). */
  readonly remap: readonly { readonly eventId: string; readonly from: number | null; readonly to: number }[];
  readonly stateBefore: StateMap;
  readonly stateAfter: StateMap;
  readonly extremitiesBefore: readonly string[];
  readonly extremitiesAfter: readonly string[];
  /** State group ids in use when the plan was made (new ids start above). */
  readonly stateGroupPosition: number;
  /** Events kept as stored because their prev events could not be placed. */
  readonly unplaced: readonly string[];
}

export interface CureRequest {
  readonly roomId: string;
  /** Explicit roots, or every chain whose root looks wrong. */
  readonly roots: readonly string[] | 'all-wrong';
}

/** A state and the group holding it, once it has one. */
interface StateNode {
  state: StateMap;
  group?: number;
  /** Edges below `group` (its delta chain), once known. */
  hops?: number;
}


/** The chains a request names; refuses roots that are not roots of this room's chains. */
function chosenChains(chains: readonly ChainReport[], rejected: ReadonlyMap<string, { roots: readonly string[] }>, request: CureRequest): ChainReport[] {
  if (request.roots === 'all-wrong') return chains.filter((c) => c.verdict === 'looks-wrong');
  const out: ChainReport[] = [];
  for (const id of request.roots) {
    const chain = chains.find((c) => c.root.event_id === id);
    if (!chain) {
      const r = rejected.get(id);
      if (r && r.roots.length > 0) throw new SynapseDoctorError('BAD_INPUT', `${id} is not a root: it was rejected because of ${r.roots.join(', ')}; name that root`);
      if (r) throw new SynapseDoctorError('BAD_INPUT', `${id} is rejected but belongs to no chain (its rejection could not be decided); see synapse-doctor explain ${id}`);
      throw new SynapseDoctorError('BAD_INPUT', `${id} is not a rejected event of room ${request.roomId}`);
    }
    if (chain.verdict !== 'looks-wrong') {
      throw new SynapseDoctorError('BAD_INPUT', `${id} is genuinely invalid (${chain.root.classification.explanation}); synapse-doctor does not un-reject it`);
    }
    if (!out.includes(chain)) out.push(chain);
  }
  return out;
}

export async function computeCure(store: ReadStore, request: CureRequest): Promise<Cure> {
  const { roomId } = request;
  const report = await findRejections(store, { roomId });
  const room = report.rooms.find((r) => r.room_id === roomId);
  // Every rejected event of the room and the roots it depends on: names a wrong --root precisely.
  const rejectedInfo = new Map<string, { roots: readonly string[] }>();
  for (const c of room?.chains ?? []) {
    rejectedInfo.set(c.root.event_id, { roots: [] });
    for (const d of c.dependents.event_ids) rejectedInfo.set(d, { roots: [c.root.event_id] });
  }
  for (const e of room?.unattached ?? []) rejectedInfo.set(e.event_id, { roots: e.roots });
  const chains = chosenChains(room?.chains ?? [], rejectedInfo, request);
  const otherChains = (room?.chains ?? []).filter((c) => !chains.includes(c));
  const undecided = (room?.unattached ?? []).map((e) => ({ event_id: e.event_id, missing: e.classification.missing }));
  const rules = rulesOf(room?.room_version ?? (await roomVersionOf(store, roomId)), roomId);
  const extremitiesBefore = await findForwardExtremities(store.main, roomId);
  const groups = new StateGroupReader(store.state, 1024);
  const position = await stateGroupIdPosition(store.state);
  const empty: Cure = {
    roomId, rules, chains, otherChains, undecided, decisions: [], unrejected: [], newGroups: [], remap: [],
    stateBefore: new Map(), stateAfter: new Map(), extremitiesBefore, extremitiesAfter: extremitiesBefore, stateGroupPosition: position, unplaced: [],
  };
  const candidates = new Set<string>();
  for (const c of chains) {
    candidates.add(c.root.event_id);
    for (const d of c.dependents.event_ids) candidates.add(d);
  }
  if (candidates.size === 0) return empty;
  // Dependents cite their root (directly or not), so they came after it.
  const minStream = Math.min(...chains.map((c) => c.root.stream_ordering));

  // Every state event of the room: auth events and state resolution need them.
  const stateEvents = await loadRoomStateEvents(store, roomId, rules);
  const status = new Map<string, boolean>(); // event id → rejected, as decided by the cure
  const isRejected = (id: string): boolean | undefined => status.get(id) ?? stateEvents.get(id)?.rejected;
  const lookup = (id: string): KnownEvent | undefined => {
    const s = stateEvents.get(id);
    return s ? { pdu: s.pdu, rejected: isRejected(id) ?? s.rejected } : undefined;
  };
  const fetchEvent = (id: string): (Pdu & { rejected?: boolean }) | undefined => {
    const s = stateEvents.get(id);
    if (!s) return undefined;
    return (isRejected(id) ?? s.rejected) ? { ...s.pdu, rejected: true } : s.pdu;
  };

  // The window, in topological order.
  const window: WindowEvent[] = [];
  const candidateRaw = new Map<string, { raw: JsonObject; pdu: Pdu }>();
  for await (const row of iterateRoomEventsFrom(store.main, store.schema.capabilities, roomId, minStream)) {
    const p = parseStoredEvent(row.json, rules, row.event_id);
    if (p && candidates.has(row.event_id)) candidateRaw.set(row.event_id, p);
    window.push({ row: { ...row, json: '' }, pdu: p?.pdu, softFailed: internalMetadataFlag(row.internal_metadata, 'soft_failed'), recheckRedaction: internalMetadataFlag(row.internal_metadata, 'recheck_redaction') });
  }
  const inWindow = new Map(window.map((w) => [w.row.event_id, w]));
  const timeline = window.filter((w) => !w.row.outlier).sort((a, b) => a.row.depth - b.row.depth || a.row.stream_ordering - b.row.stream_ordering);
  const outside = new Set<string>();
  for (const w of timeline) for (const p of w.pdu?.prev_events ?? []) if (!inWindow.has(p)) outside.add(p);
  const outsidePositions = await findEventPositions(store.main, outside);

  const keys = await keyRing(store);
  const nodes = new Map<string, StateNode>(); // event id → state after it
  const dirty = new Set<string>();
  const decisions: CureDecision[] = [];
  const unplaced: string[] = [];
  const recheck = new Map<string, boolean>(); // un-rejected redactions: recheck_redaction
  const newGroups: NewStateGroup[] = [];
  const remap: { eventId: string; from: number | null; to: number }[] = [];
  let nextGroup = position + 1;
  const hopLimit = store.state.capabilities.stateGroupHops === 'groups' ? MAX_STATE_DELTA_HOPS - 1 : MAX_STATE_DELTA_HOPS;

  const storedNode = async (group: number): Promise<StateNode> => ({ state: await groups.read(group), group });
  const hopsOf = async (node: StateNode): Promise<number> => {
    if (node.hops === undefined) node.hops = await stateGroupHops(store.state, node.group!);
    return node.hops;
  };
  /** Gives a node a group: a delta on the base whose state it extends with fewest rows, else full. */
  const ensureGroup = async (node: StateNode, eventId: string, bases: readonly StateNode[]): Promise<number> => {
    if (node.group !== undefined) return node.group;
    let best: { base: StateNode; delta: Map<string, string> } | undefined;
    for (const base of bases) {
      if (base.group === undefined) continue;
      let removes = false;
      for (const k of base.state.keys()) if (!node.state.has(k)) removes = true;
      if (removes || (await hopsOf(base)) >= hopLimit) continue;
      const delta = new Map<string, string>();
      for (const [k, v] of node.state) if (base.state.get(k) !== v) delta.set(k, v);
      if (!best || delta.size < best.delta.size) best = { base, delta };
    }
    const id = nextGroup++;
    if (best) {
      newGroups.push({ id, eventId, prevGroup: best.base.group!, rows: best.delta });
      node.hops = (best.base.hops ?? 0) + 1;
    } else {
      newGroups.push({ id, eventId, rows: node.state });
      node.hops = 0;
    }
    node.group = id;
    return id;
  };
  const resolveNodes = (prevNodes: StateNode[]): StateNode => {
    const distinct = distinctStates(prevNodes, (d, n) => d.group !== undefined && d.group === n.group);
    if (distinct.length === 1) return distinct[0]!;
    return { state: resolveStateMaps(distinct.map((d) => d.state), rules, fetchEvent) };
  };

  for (const w of timeline) {
    const id = w.row.event_id;
    const pdu = w.pdu;
    const prevs = pdu?.prev_events ?? [];
    const isDirty = candidates.has(id) || prevs.some((p) => dirty.has(p));
    if (!isDirty || !pdu) {
      if (w.row.state_group !== null) nodes.set(id, { state: new Map(), group: w.row.state_group });
      continue;
    }
    // The states after its prev events.
    const prevNodes: StateNode[] = [];
    let unknown: string | undefined;
    for (const p of prevs) {
      let n = nodes.get(p);
      if (n && n.group !== undefined && n.state.size === 0 && !dirty.has(p)) n = await storedNode(n.group);
      if (!n) {
        const pos = outsidePositions.get(p);
        if (!pos) unknown = `prev event ${p} is not stored here`;
        else if (pos.state_group === null) unknown = `prev event ${p} has no state group (an outlier)`;
        else n = await storedNode(pos.state_group);
      }
      if (n) prevNodes.push(n);
    }
    if (unknown !== undefined || prevNodes.length === 0) {
      unplaced.push(id);
      if (candidates.has(id)) decisions.push(decision(w, pdu, false, `kept as stored: ${unknown ?? 'it has no prev events'}`));
      if (w.row.state_group !== null) nodes.set(id, { state: new Map(), group: w.row.state_group });
      continue;
    }
    dirty.add(id);
    const before = resolveNodes(prevNodes);
    let rejected = w.row.rejection !== null;
    if (candidates.has(id)) {
      const parsed = candidateRaw.get(id);
      const c: Classification = parsed
        ? await classifyRejected({
            eventId: id, raw: parsed.raw, pdu: parsed.pdu, rules, keys, lookup,
            stateBefore: async () => ({ state: authState(parsed.pdu, before.state, rules, lookup) }),
          })
        : { class: 'own-merit', cites_rejected: [], missing: [], checks: undefined as never, explanation: 'the stored JSON does not parse' };
      rejected = c.class !== 'unexplained';
      status.set(id, rejected);
      const rule = c.checks?.state_before?.rule ?? c.checks?.auth_events_if_accepted?.rule ?? c.checks?.auth_events?.rule;
      decisions.push(decision(w, pdu, !rejected, rejected ? c.explanation : undefined, rejected ? rule : undefined));
      if (!rejected && pdu.type === 'm.room.redaction') recheck.set(id, redactionNeedsRecheck(pdu, before.state, rules, lookup));
    }
    let after: StateNode = before;
    if (!rejected && pdu.state_key !== undefined) {
      const next = new Map(before.state);
      next.set(stateKeyOf(pdu.type, pdu.state_key), id);
      after = { state: next };
    }
    // Keep the stored group when it already holds exactly this state.
    if (after.group === undefined && w.row.state_group !== null) {
      const stored = await groups.read(w.row.state_group);
      if (sameStateMap(stored, after.state)) after = { state: stored, group: w.row.state_group };
    }
    if (after.group === undefined) {
      if (after !== before) {
        await ensureGroup(before, id, prevNodes);
        await ensureGroup(after, id, [before]);
      } else {
        await ensureGroup(after, id, prevNodes);
      }
    }
    nodes.set(id, after);
    if (after.group !== w.row.state_group) remap.push({ eventId: id, from: w.row.state_group, to: after.group! });
  }

  // Outliers of the chains (auth chain events): re-checked on their auth events alone.
  for (const w of window) {
    if (!w.row.outlier || !candidates.has(w.row.event_id) || !w.pdu) continue;
    const parsed = candidateRaw.get(w.row.event_id);
    const c = parsed
      ? await classifyRejected({ eventId: w.row.event_id, raw: parsed.raw, pdu: parsed.pdu, rules, keys, lookup, stateBefore: async () => ({ unknown: 'an outlier has no state before it here' }) })
      : undefined;
    const ok = c?.class === 'unexplained';
    status.set(w.row.event_id, !ok);
    decisions.push(decision(w, w.pdu, ok, ok ? undefined : c?.explanation ?? 'the stored JSON does not parse'));
  }

  // Forward extremities, then the current state resolved from them.
  const finalRejected = (w: WindowEvent): boolean => status.get(w.row.event_id) ?? w.row.rejection !== null;
  const covered = new Set<string>();
  for (const w of timeline) {
    if (finalRejected(w) || w.softFailed || !w.pdu) continue;
    const stack = [...w.pdu.prev_events];
    while (stack.length > 0) {
      const p = stack.pop()!;
      if (covered.has(p)) continue;
      covered.add(p);
      const pw = inWindow.get(p);
      if (pw && pw.pdu && (finalRejected(pw) || pw.softFailed)) stack.push(...pw.pdu.prev_events);
    }
  }
  const extremities = new Set<string>();
  for (const id of extremitiesBefore) if (!covered.has(id)) {
    const w = inWindow.get(id);
    if (!w || (!finalRejected(w) && !w.softFailed && !w.row.outlier)) extremities.add(id);
  }
  for (const w of timeline) if (!finalRejected(w) && !w.softFailed && !covered.has(w.row.event_id)) extremities.add(w.row.event_id);
  const extremitiesAfter = [...extremities].sort();

  const currentRows = await findCurrentState(store.main, roomId);
  const stateBeforeCure = new Map(currentRows.map((r) => [stateKeyOf(r.type, r.state_key), r.event_id]));
  const extremityNodes: StateNode[] = [];
  const outsideExtremities = extremitiesAfter.filter((id) => !nodes.has(id));
  const extremityPositions = await findEventPositions(store.main, outsideExtremities);
  for (const id of extremitiesAfter) {
    let n = nodes.get(id);
    if (n && n.state.size === 0 && n.group !== undefined) n = await storedNode(n.group);
    if (!n) {
      const g = extremityPositions.get(id)?.state_group;
      if (g === null || g === undefined) throw new SynapseDoctorError('DB_ERROR', `forward extremity ${id} has no state group; run synapse-doctor fsck`);
      n = await storedNode(g);
    }
    extremityNodes.push(n);
  }
  const stateAfterCure = extremityNodes.length > 0 ? resolveNodes(extremityNodes).state : stateBeforeCure;

  const unrejected = window
    .filter((w) => status.get(w.row.event_id) === false && w.row.rejection !== null)
    .map((w) => (recheck.has(w.row.event_id) ? { ...w, recheckRedaction: recheck.get(w.row.event_id)! } : w));
  return {
    roomId, rules, chains, otherChains, undecided, decisions, unrejected, newGroups, remap,
    stateBefore: stateBeforeCure, stateAfter: stateAfterCure,
    extremitiesBefore, extremitiesAfter, stateGroupPosition: position, unplaced,
  };
}

function decision(w: WindowEvent, pdu: Pdu, unreject: boolean, why?: string, rule?: string): CureDecision {
  return {
    event_id: w.row.event_id, type: pdu.type, state_key: pdu.state_key ?? null, sender: pdu.sender, stream_ordering: w.row.stream_ordering, unreject,
    ...(why !== undefined ? { why } : {}), ...(rule !== undefined ? { rule } : {}),
  };
}

/** The auth-relevant part of a state, as events (what step 5 reads). */
function authState(pdu: Pdu, state: StateMap, rules: RoomVersionRules, lookup: (id: string) => KnownEvent | undefined): Map<string, Pdu> {
  const out = new Map<string, Pdu>();
  for (const key of [CREATE_KEY, ...authTypesForEvent(pdu, rules).map(([t, k]) => stateKeyOf(t, k))]) {
    const id = state.get(key);
    const k = id ? lookup(id) : undefined;
    if (k) out.set(key, k.pdu);
  }
  return out;
}

/** Does a redaction need `recheck_redaction` (synapse/event_auth.py `check_redaction`)? */
export function redactionNeedsRecheck(pdu: Pdu, state: StateMap, rules: RoomVersionRules, lookup: (id: string) => KnownEvent | undefined): boolean {
  const map = new Map<string, Pdu>();
  for (const key of [CREATE_KEY, POWER_LEVELS_KEY]) {
    const id = state.get(key);
    const k = id ? lookup(id) : undefined;
    if (k) map.set(key, k.pdu);
  }
  return userPowerLevel(pdu.sender, map, rules) < namedPowerLevelFrom('redact', map.get(POWER_LEVELS_KEY), rules);
}

async function roomVersionOf(store: ReadStore, roomId: string): Promise<string | null> {
  const row = await findRoomRow(store.main, roomId);
  if (!row) throw new SynapseDoctorError('ROOM_NOT_FOUND', `room ${roomId} is not in this database`);
  return row.room_version;
}
