/**
 * One server's view of one room: which events it stored, which it rejected, the state before and
 * after each, its extremities and orderings — what `_persist_events_txn` would leave in its database.
 *
 * Receiving an event follows the server-server API "Checks performed on receipt of a PDU"
 * (https://spec.matrix.org/v1.16/server-server-api/#checks-performed-on-receipt-of-a-pdu):
 * step 4 against the event's own auth events (denied when one of them was rejected by THIS server),
 * step 5 against the state before the event, step 6 (soft failure) against the current state.
 * Contexts and state groups follow synapse/state/__init__.py `calculate_context_info`; extremities
 * follow synapse/storage/controllers/persist_events.py `_calculate_new_extremities` and
 * events.py `_update_backward_extremeties`.
 */
import type { AuthResult } from '../matrix/auth/auth-result.js';
import { impliedCreateEventId } from '../matrix/ids.js';
import { stateKeyOf, toPdu, type Pdu } from '../matrix/pdu.js';
import type { RoomVersionRules } from '../matrix/room-versions.js';
import { resolveState } from '../matrix/state-res/resolve.js';
import { checkAgainstState, checkAuthEvents } from '../matrix/auth/check-pdu.js';
import type { ChainCoverEntry } from './chain-cover.js';
import type { SimEvent } from './sim-event.js';
import type { SimServer } from './server.js';
import { sameState, type StateMap } from './state-groups.js';

export interface StoredEvent {
  readonly ev: SimEvent;
  readonly outlier: boolean;
  /** `rejections.reason` / `events.rejection_reason` ('auth_error'), when rejected. */
  readonly rejectionReason?: string;
  /** The check that decided the rejection (undefined for a forced one). */
  readonly rejectedBy?: AuthResult;
  readonly forced: boolean;
  readonly softFailed: boolean;
  /** The check against the current state that soft-failed the event. */
  readonly softFailedBy?: AuthResult;
  readonly streamOrdering: number;
  readonly receivedTs: number;
  /** State group of the state before / after the event (none for outliers). */
  readonly groupBefore?: number;
  readonly groupAfter?: number;
  /** `unsigned.replaces_state` Synapse adds to a non-outlier state event's stored JSON. */
  readonly replacesState?: string;
  readonly chain?: ChainCoverEntry;
  /** `room_depth.min_depth` candidate of the batch (Synapse: 0 for outlier/rejected batches). */
  readonly depthUpdate: number;
  /**
   * Set by `RoomView.markRejected`: the event was accepted (its state groups, current state,
   * extremities and every accepted-era row stay as they were) and only later marked rejected
   * (`events.rejection_reason` and a `rejections` row), as an admin or a bug would.
   */
  readonly markedAfterAcceptance?: boolean;
  /** When it was marked (this server's clock, ms): the `rejections.last_check` of the marking. */
  readonly markedTs?: number;
  /**
   * Set by `RoomView.backfill` on an event this server held as an outlier and then received as a
   * timeline event (events.py `_update_outliers_txn`): the `ex_outlier_stream.event_stream_ordering`,
   * i.e. the backfill ordering its non-outlier copy was given. `streamOrdering` keeps the outlier's
   * (Synapse never updates `events.stream_ordering`), and its event_json is not rewritten (no
   * `replaces_state`, the outlier's internal metadata). Its `ex_outlier_stream.state_group` is
   * `groupAfter`.
   */
  readonly exOutlierStreamOrdering?: number;
}

export interface ReceiveOptions {
  /** Stored as an outlier (auth chain / state fetched over federation). */
  outlier?: boolean;
  /** Persisted as backfilled: negative stream ordering, no extremity or current-state update. */
  backfilled?: boolean;
  /** The bug being simulated: reject a (valid) event anyway, with reason 'auth_error'. */
  forceReject?: boolean;
  /** State before the event when its prev events are unknown here (a remote join's state). */
  stateBefore?: StateMap;
}

export interface BackfillOptions {
  /**
   * The state before an event whose prev events this server does not hold as timeline events
   * (what Synapse asks the remote's /state_ids for, `_compute_event_context_with_maybe_missing_prevs`).
   * Every event it names must be stored here already (as an outlier at least). Without it such an
   * event is an error.
   */
  stateBefore?: (ev: SimEvent) => StateMap;
}

export interface BackfillResult {
  /** Events stored for the first time, in the order they were persisted (oldest first). */
  readonly backfilled: string[];
  /** Outliers turned into timeline events, in the order they were persisted. */
  readonly deOutliered: string[];
  /** Events skipped: already timeline events here, or an outlier whose timeline copy was rejected. */
  readonly skipped: string[];
}

export class RoomView {
  readonly events = new Map<string, StoredEvent>();
  /** Event ids in the order they were persisted. */
  readonly order: string[] = [];
  readonly forwardExtremities = new Set<string>();
  readonly backwardExtremities = new Set<string>();
  /** Events whose prev events became backward extremities (timeline_gaps rows). */
  readonly gapEvents: string[] = [];
  currentState: StateMap = new Map();
  /** `current_state_delta_stream` rows: (stream_id, key, event_id, prev_event_id). */
  readonly stateDeltas: Array<{ streamId: number; key: string; eventId: string | null; prevEventId: string | null }> = [];
  /** `stream_ordering_to_exterm` snapshots. */
  readonly extremitySnapshots: Array<{ streamOrdering: number; eventIds: string[] }> = [];
  minDepth: number | undefined;
  /** Prev events of stored non-outlier, accepted, not soft-failed events (`_get_events_which_are_prevs`). */
  private readonly prevOfAccepted = new Set<string>();

  constructor(
    readonly server: SimServer,
    readonly roomId: string,
    readonly rules: RoomVersionRules,
    /** Looks up any event of the room (the network), for state resolution of unknown auth events. */
    private readonly network: (eventId: string) => SimEvent | undefined,
  ) {}

  has(eventId: string): boolean {
    return this.events.has(eventId);
  }

  /** The event as this server sees it (with `rejected` set when it rejected it). */
  pdu(eventId: string): Pdu | undefined {
    const s = this.events.get(eventId);
    if (!s) return undefined;
    return s.rejectionReason === undefined ? s.ev.pdu : toPdu(s.ev.json, this.rules, eventId, { rejected: true, roomId: this.roomId });
  }

  stateOfGroup(group: number): StateMap {
    return this.server.stateGroups.get(group).state;
  }

  /** State map of event ids → Pdus (for the auth checks). */
  private pduState(state: StateMap): Map<string, Pdu> {
    const out = new Map<string, Pdu>();
    for (const [k, id] of state) {
      const p = this.pdu(id);
      if (p) out.set(k, p);
    }
    return out;
  }

  /** Resolves several state maps (unconflicted union when there is no conflict). */
  resolve(states: readonly StateMap[]): StateMap {
    if (states.length === 0) return new Map();
    if (states.length === 1) return states[0]!;
    if (states.every((s) => sameState(s, states[0]!))) return states[0]!;
    return resolveState({
      stateSets: states,
      rules: this.rules,
      fetchEvent: (id) => this.pdu(id) ?? this.network(id)?.pdu,
    });
  }

  private authEventPdus(ev: SimEvent): Pdu[] {
    const ids = [...ev.pdu.auth_events];
    if (this.rules.roomIdFromCreateEvent && ev.pdu.type !== 'm.room.create') {
      const createId = impliedCreateEventId(this.roomId);
      if (!ids.includes(createId)) ids.push(createId);
    }
    return ids.map((id) => {
      const p = this.pdu(id);
      if (!p) throw new Error(`${this.server.name} lacks auth event ${id} of ${ev.eventId}`);
      return p;
    });
  }

  /** Synapse's `auth_event_ids()` (v12: the create event is implied and included). */
  authIds(ev: SimEvent): string[] {
    const ids = [...ev.pdu.auth_events];
    if (this.rules.roomIdFromCreateEvent && ev.pdu.type !== 'm.room.create') {
      const createId = impliedCreateEventId(this.roomId);
      if (!ids.includes(createId)) ids.push(createId);
    }
    return ids;
  }

  /** Receives one event: auth checks, context, persistence bookkeeping. Returns what was stored. */
  receive(ev: SimEvent, options: ReceiveOptions = {}): StoredEvent {
    return this.store(ev, options);
  }

  /** `receive`, with the stream ordering given by the caller (backfill) or taken from the server. */
  private store(ev: SimEvent, options: ReceiveOptions, givenOrdering?: number): StoredEvent {
    const existing = this.events.get(ev.eventId);
    if (existing) return existing;
    const outlier = options.outlier ?? false;
    const backfilled = options.backfilled ?? outlier;
    const pdu = ev.pdu;
    const groups = this.server.stateGroups;

    // Step 4: against the event's own auth events (rejected ones marked as this server sees them).
    let rejectedBy: AuthResult | undefined;
    const step4 = checkAuthEvents(pdu, this.authEventPdus(ev), this.rules);
    if (!step4.allowed) rejectedBy = step4;

    // Context: state before the event.
    let groupBefore: number | undefined;
    let stateBefore: StateMap | undefined;
    if (!outlier) {
      ({ groupBefore, stateBefore } = this.contextBefore(ev, options.stateBefore));
      // Step 5: against the state before the event.
      if (!rejectedBy) {
        const step5 = checkAgainstState(pdu, this.pduState(stateBefore), this.rules);
        if (!step5.allowed) rejectedBy = step5;
      }
    }
    const forced = !rejectedBy && (options.forceReject ?? false);
    const rejected = rejectedBy !== undefined || forced;

    // Step 6: soft failure (synapse/handlers/federation_event.py `_check_for_soft_fail`).
    const softFailedBy = !rejected && !outlier && !backfilled ? this.checkCurrentState(pdu, stateBefore!) : undefined;
    const softFailed = softFailedBy !== undefined;

    // State after.
    let groupAfter = groupBefore;
    let replacesState: string | undefined;
    if (!outlier && pdu.state_key !== undefined) {
      const key = stateKeyOf(pdu.type, pdu.state_key);
      const replaced = stateBefore!.get(key);
      if (replaced !== undefined && replaced !== ev.eventId) replacesState = replaced;
      if (!rejected) groupAfter = groups.storeDelta(this.roomId, ev.eventId, groupBefore!, new Map([[key, ev.eventId]])).id;
    }

    const streamOrdering = givenOrdering ?? (backfilled ? this.server.nextBackfillOrdering() : this.server.nextStreamOrdering());
    const chain =
      pdu.state_key !== undefined ? this.server.chainCover.add(ev.eventId, pdu.type, pdu.state_key, this.authIds(ev)) : undefined;
    const stored: StoredEvent = {
      ev,
      outlier,
      ...(rejected ? { rejectionReason: 'auth_error' } : {}),
      ...(rejectedBy ? { rejectedBy } : {}),
      forced,
      softFailed,
      ...(softFailedBy ? { softFailedBy } : {}),
      streamOrdering,
      receivedTs: this.server.receive(pdu.origin_server_ts),
      ...(groupBefore !== undefined ? { groupBefore } : {}),
      ...(groupAfter !== undefined ? { groupAfter } : {}),
      ...(replacesState !== undefined ? { replacesState } : {}),
      ...(chain ? { chain } : {}),
      depthUpdate: !outlier && !rejected ? pdu.depth : 0,
    };
    this.events.set(ev.eventId, stored);
    this.order.push(ev.eventId);
    this.minDepth = this.minDepth === undefined ? stored.depthUpdate : Math.min(this.minDepth, stored.depthUpdate);

    if (!rejected && !softFailed && !outlier) for (const p of pdu.prev_events) this.prevOfAccepted.add(p);
    if (!rejected) this.updateBackwardExtremities(stored);
    if (!rejected && !softFailed && !outlier && !backfilled) this.updateForward(stored);
    return stored;
  }

  /** The state group and state before a timeline event: given, or from its prev events' groups. */
  private contextBefore(ev: SimEvent, given: StateMap | undefined): { groupBefore: number; stateBefore: StateMap } {
    const groups = this.server.stateGroups;
    if (given) return { groupBefore: groups.storeFull(this.roomId, ev.eventId, given).id, stateBefore: given };
    const prevGroups: number[] = [];
    for (const p of ev.pdu.prev_events) {
      const s = this.events.get(p);
      if (!s || s.outlier || s.groupAfter === undefined) {
        throw new Error(`${this.server.name} cannot compute state for ${ev.eventId}: prev event ${p} missing (pass stateBefore)`);
      }
      if (!prevGroups.includes(s.groupAfter)) prevGroups.push(s.groupAfter);
    }
    if (prevGroups.length === 1) return { groupBefore: prevGroups[0]!, stateBefore: groups.get(prevGroups[0]!).state };
    const stateBefore = this.resolve(prevGroups.map((g) => groups.get(g).state));
    return { groupBefore: groups.storeResolved(this.roomId, ev.eventId, prevGroups, stateBefore).id, stateBefore };
  }

  /**
   * Backfill: stores events pulled from another server as Synapse's backfill persists them
   * (synapse/handlers/federation_event.py `backfill` → `_process_pulled_events`, which drops events
   * already stored as timeline events and processes the rest by ascending depth, each through
   * `_process_pulled_event` and `persist_events(..., backfilled=True)`):
   * - orderings from the backfill stream (events_backfill_stream_seq), below every ordering this
   *   server handed out so far, the oldest event lowest: events are taken by depth, then in the order
   *   given (pass them in the source's stream order), and get the next `n` backfill numbers with the
   *   lowest going to the first. (Synapse's own batches of 100, each processed oldest first while
   *   paginating backwards, give that order between batches only; this is the order of a backfill
   *   one event at a time, the reference the history import is held to.);
   * - each event's state computed from its prev events' state groups (or `options.stateBefore`),
   *   auth steps 4 and 5 as on receipt, no soft-failure check, no change to the forward extremities
   *   or the current state, backward extremities and `room_depth.min_depth` updated
   *   (events.py `_update_backward_extremeties`, `_update_room_depths_txn`);
   * - an event held here as an outlier is de-outliered (events.py `_update_outliers_txn`): it gets
   *   state groups and an `event_to_state_groups` row, `outlier = false`, an `ex_outlier_stream`
   *   row whose ordering is the backfill number its timeline copy was given, and leaves the backward
   *   extremities; its `events` row, stream ordering and event_json stay as they were. When its
   *   timeline copy is rejected here it stays an outlier ("what we have is at least as good"), its
   *   backfill number consumed.
   */
  backfill(events: readonly SimEvent[], options: BackfillOptions = {}): BackfillResult {
    const skipped: string[] = [];
    const todo: SimEvent[] = [];
    const seen = new Set<string>();
    events
      .map((ev, i) => ({ ev, i }))
      .sort((a, b) => a.ev.pdu.depth - b.ev.pdu.depth || a.i - b.i)
      .forEach(({ ev }) => {
        if (seen.has(ev.eventId)) return;
        seen.add(ev.eventId);
        const s = this.events.get(ev.eventId);
        if (s && !s.outlier) skipped.push(ev.eventId);
        else todo.push(ev);
      });
    const orderings = todo.map(() => this.server.nextBackfillOrdering()).reverse();
    const backfilled: string[] = [];
    const deOutliered: string[] = [];
    todo.forEach((ev, k) => {
      const missingPrev = ev.pdu.prev_events.some((p) => {
        const s = this.events.get(p);
        return !s || s.outlier;
      });
      const stateBefore = missingPrev && options.stateBefore ? options.stateBefore(ev) : undefined;
      const existing = this.events.get(ev.eventId);
      if (existing) {
        if (this.deOutlier(existing, orderings[k]!, stateBefore)) deOutliered.push(ev.eventId);
        else skipped.push(ev.eventId);
      } else {
        this.store(ev, { backfilled: true, ...(stateBefore ? { stateBefore } : {}) }, orderings[k]!);
        backfilled.push(ev.eventId);
      }
    });
    return { backfilled, deOutliered, skipped };
  }

  /** `_update_outliers_txn` for one outlier received again as a backfilled timeline event. */
  private deOutlier(s: StoredEvent, exOutlierStreamOrdering: number, given: StateMap | undefined): boolean {
    const ev = s.ev;
    const pdu = ev.pdu;
    if (s.rejectionReason !== undefined) return false;
    const step4 = checkAuthEvents(pdu, this.authEventPdus(ev), this.rules);
    const { groupBefore, stateBefore } = this.contextBefore(ev, given);
    if (!step4.allowed || !checkAgainstState(pdu, this.pduState(stateBefore), this.rules).allowed) return false;
    let groupAfter = groupBefore;
    if (pdu.state_key !== undefined) {
      groupAfter = this.server.stateGroups.storeDelta(this.roomId, ev.eventId, groupBefore, new Map([[stateKeyOf(pdu.type, pdu.state_key), ev.eventId]])).id;
    }
    const updated: StoredEvent = { ...s, outlier: false, groupBefore, groupAfter, depthUpdate: pdu.depth, exOutlierStreamOrdering };
    this.events.set(ev.eventId, updated);
    this.minDepth = this.minDepth === undefined ? pdu.depth : Math.min(this.minDepth, pdu.depth);
    for (const p of pdu.prev_events) this.prevOfAccepted.add(p);
    this.updateBackwardExtremities(updated);
    return true;
  }

  /**
   * Marks an accepted event rejected after the fact (an admin's UPDATE, or a bug): only its
   * rejection reason changes. Its state groups, the current state, the extremities and the state
   * deltas stay as they were; from now on this server's auth checks see it as rejected (step 4
   * denies events citing it, state resolution never admits it again). The one derived set that
   * follows is Synapse's `_get_events_which_are_prevs` (it skips events with a `rejections` row):
   * the event's prev events stop counting as prevs of accepted events unless another one cites them.
   */
  markRejected(eventId: string, reason = 'auth_error'): StoredEvent {
    const s = this.events.get(eventId);
    if (!s) throw new Error(`${this.server.name} has no event ${eventId} to mark rejected`);
    if (s.rejectionReason !== undefined) throw new Error(`${this.server.name} already rejected ${eventId}`);
    if (s.outlier) throw new Error(`${eventId} is an outlier on ${this.server.name}: only accepted timeline events are marked`);
    const marked: StoredEvent = { ...s, rejectionReason: reason, forced: true, markedAfterAcceptance: true, markedTs: this.server.receive(0) };
    this.events.set(eventId, marked);
    for (const p of s.ev.pdu.prev_events) {
      let cited = false;
      for (const o of this.events.values()) {
        if (o.ev.eventId !== eventId && o.rejectionReason === undefined && !o.softFailed && !o.outlier && o.ev.pdu.prev_events.includes(p)) {
          cited = true;
          break;
        }
      }
      if (!cited) this.prevOfAccepted.delete(p);
    }
    return marked;
  }

  /**
   * Synapse's `_check_for_soft_fail`: nothing to check when the prev events are exactly the forward
   * extremities (the state before the event is the current state). Otherwise, when every prev event
   * is stored as a non-outlier (`have_events_in_timeline`, rejected ones included), the room's
   * current state; when some are missing, the resolution of the states after the forward
   * extremities together with the state before the event. Returns the failed check, if any.
   */
  private checkCurrentState(pdu: Pdu, stateBefore: StateMap): AuthResult | undefined {
    const prevs = new Set(pdu.prev_events);
    if (prevs.size === this.forwardExtremities.size && [...prevs].every((p) => this.forwardExtremities.has(p))) return undefined;
    const missingPrevs = [...prevs].some((p) => {
      const s = this.events.get(p);
      return s === undefined || s.outlier;
    });
    let current = this.currentState;
    if (missingPrevs) {
      const groups = this.server.stateGroups;
      const sets = new Map<number, StateMap>();
      for (const id of this.forwardExtremities) {
        const g = this.events.get(id)!.groupAfter!;
        sets.set(g, groups.get(g).state);
      }
      current = this.resolve([...sets.values(), stateBefore]);
    }
    const result = checkAgainstState(pdu, this.pduState(current), this.rules);
    return result.allowed ? undefined : result;
  }

  private updateBackwardExtremities(s: StoredEvent): void {
    const pdu = s.ev.pdu;
    if (!s.outlier) {
      let gap = false;
      for (const p of pdu.prev_events) {
        const known = this.events.get(p);
        if (!known || known.outlier) {
          if (!this.backwardExtremities.has(p)) gap = true;
          this.backwardExtremities.add(p);
        }
      }
      if (gap) this.gapEvents.push(s.ev.eventId);
    }
    if (!s.outlier || pdu.prev_events.length === 0) this.backwardExtremities.delete(s.ev.eventId);
  }

  /**
   * `_calculate_new_extremities` (synapse/storage/controllers/persist_events.py) for one accepted,
   * not soft-failed, non-outlier event: old ∪ {event} − its prev events − those already prev events
   * of stored accepted events (`_get_events_which_are_prevs`) − what lies behind soft-failed prev
   * events (`_get_prevs_before_rejected`, which follows event_edges: rejected events have none, so
   * only soft-failed ones are walked through). No change, no snapshot and no state delta.
   */
  private updateForward(s: StoredEvent): void {
    const prevs = s.ev.pdu.prev_events;
    const result = new Set(this.forwardExtremities);
    result.add(s.ev.eventId);
    for (const p of prevs) result.delete(p);
    for (const id of [...result]) if (this.prevOfAccepted.has(id)) result.delete(id);
    const behind = new Set<string>();
    const todo = [...prevs];
    while (todo.length > 0) {
      const e = this.events.get(todo.pop()!);
      if (!e || e.outlier || e.rejectionReason !== undefined || !e.softFailed) continue;
      for (const p of e.ev.pdu.prev_events) {
        if (behind.has(p)) continue;
        behind.add(p);
        todo.push(p);
      }
    }
    for (const id of behind) result.delete(id);
    if (result.size === this.forwardExtremities.size && [...result].every((id) => this.forwardExtremities.has(id))) return;
    this.setForward(result, s.streamOrdering);
  }

  private setForward(extremities: Set<string>, streamOrdering: number): void {
    this.forwardExtremities.clear();
    for (const e of extremities) this.forwardExtremities.add(e);
    const newState = this.resolve(
      [...extremities].map((id) => this.server.stateGroups.get(this.events.get(id)!.groupAfter!).state),
    );
    if (newState !== this.currentState) {
      this.diffState(newState, streamOrdering);
      this.currentState = newState;
    }
    this.extremitySnapshots.push({ streamOrdering, eventIds: [...extremities] });
  }

  private diffState(newState: StateMap, streamOrdering: number): void {
    for (const [k, id] of newState) {
      const old = this.currentState.get(k);
      if (old !== id) this.stateDeltas.push({ streamId: streamOrdering, key: k, eventId: id, prevEventId: old ?? null });
    }
    for (const [k, old] of this.currentState) {
      if (!newState.has(k)) this.stateDeltas.push({ streamId: streamOrdering, key: k, eventId: null, prevEventId: old });
    }
  }

  /**
   * Forgets stored events that are no longer needed to continue the simulation (load generation
   * writes events out in batches): keeps the current state, the forward extremities and the create
   * event. Returns the ids kept.
   */
  /** Forgets written events except current state, extremities, their auth events and `also`. */
  prune(also: Iterable<string> = []): Set<string> {
    const keep = new Set<string>([...this.currentState.values(), ...this.forwardExtremities, ...also]);
    for (const id of [...keep]) for (const a of this.authIds(this.events.get(id)!.ev)) keep.add(a);
    for (const id of this.events.keys()) if (!keep.has(id)) this.events.delete(id);
    for (const id of this.prevOfAccepted) if (!keep.has(id)) this.prevOfAccepted.delete(id);
    this.order.length = 0;
    this.stateDeltas.length = 0;
    this.extremitySnapshots.length = 0;
    this.gapEvents.length = 0;
    return keep;
  }

  /** The server's forward extremities as Synapse picks prev_events: deepest first, at most 10. */
  prevEventsForSend(): string[] {
    return [...this.forwardExtremities]
      .sort((a, b) => this.events.get(b)!.ev.pdu.depth - this.events.get(a)!.ev.pdu.depth)
      .slice(0, 10);
  }
}
