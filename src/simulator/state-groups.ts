/**
 * State groups as one Synapse database allocates them (synapse/state/__init__.py
 * `calculate_context_info`, synapse/storage/databases/state/store.py `store_state_group`):
 * - a group is either a full snapshot or a delta on a lower-numbered group (prev < child);
 * - deltas only add or replace keys (synapse/state/__init__.py: deltas that remove keys are unsupported);
 * - a delta is refused, and a full group written, when the chain below the prev group is already
 *   MAX_STATE_DELTA_HOPS (100) long. SQLite counts edges below the prev group; PostgreSQL's recursive
 *   query counts the groups including the prev group, i.e. one more (state/bg_updates.py
 *   `_count_state_group_hops_txn`), so chains on PostgreSQL stop one hop earlier.
 */
import { sameStateMap } from '../matrix/pdu.js';

/** `stateKeyOf(type, state_key)` → event id. */
export type StateMap = ReadonlyMap<string, string>;

export const MAX_STATE_DELTA_HOPS = 100;

export interface StateGroup {
  readonly id: number;
  readonly roomId: string;
  /** The event the group was computed for (`state_groups.event_id`). */
  readonly eventId: string;
  readonly prevGroup?: number;
  /** Rows in state_groups_state: the delta on prevGroup, or the full state. */
  readonly rows: StateMap;
  /** The resolved state (what reading the group returns). */
  readonly state: StateMap;
  /** Edges from this group down to its full snapshot. */
  readonly hops: number;
}

export type HopCounting = 'sqlite' | 'postgres';

/** One database's state group store. Groups are kept until `release` drops those already written. */
export class StateGroupStore {
  private readonly groups = new Map<number, StateGroup>();
  private nextId = 1;
  private drained = 0;

  constructor(private readonly hopCounting: HopCounting = 'sqlite') {}

  get(id: number): StateGroup {
    const g = this.groups.get(id);
    if (!g) throw new Error(`state group ${id} is not in memory`);
    return g;
  }

  get maxId(): number {
    return this.nextId - 1;
  }

  /** Stores the full state as a new group. */
  storeFull(roomId: string, eventId: string, state: StateMap): StateGroup {
    const group: StateGroup = { id: this.nextId++, roomId, eventId, rows: state, state, hops: 0 };
    this.groups.set(group.id, group);
    return group;
  }

  /** Stores `state` as a delta on `prevGroup` when allowed (no removed keys, chain short enough). */
  storeDelta(roomId: string, eventId: string, prevGroup: number, delta: StateMap): StateGroup {
    const prev = this.get(prevGroup);
    const state = new Map(prev.state);
    for (const [k, v] of delta) state.set(k, v);
    const counted = this.hopCounting === 'postgres' ? prev.hops + 1 : prev.hops;
    if (counted >= MAX_STATE_DELTA_HOPS) return this.storeFull(roomId, eventId, state);
    const group: StateGroup = { id: this.nextId++, roomId, eventId, prevGroup, rows: delta, state, hops: prev.hops + 1 };
    this.groups.set(group.id, group);
    return group;
  }

  /**
   * Stores resolved state the way `_make_state_cache_entry` and `store_state_group` do: reuse an
   * input group whose state is identical; otherwise a delta on the input group with the smallest
   * difference among those whose keys the new state all keeps; otherwise a full group.
   */
  storeResolved(roomId: string, eventId: string, inputs: readonly number[], state: StateMap): StateGroup {
    let best: { group: number; delta: Map<string, string> } | undefined;
    for (const id of inputs) {
      const old = this.get(id).state;
      if (sameState(old, state)) return this.get(id);
      let keepsAll = true;
      for (const k of old.keys()) if (!state.has(k)) keepsAll = false;
      if (!keepsAll) continue;
      const delta = new Map<string, string>();
      for (const [k, v] of state) if (old.get(k) !== v) delta.set(k, v);
      if (!best || delta.size < best.delta.size) best = { group: id, delta };
    }
    return best ? this.storeDelta(roomId, eventId, best.group, best.delta) : this.storeFull(roomId, eventId, state);
  }

  /** Groups created since the last drain, in id order (the writer writes them). */
  drain(): StateGroup[] {
    const out: StateGroup[] = [];
    for (let id = this.drained + 1; id < this.nextId; id++) {
      const g = this.groups.get(id);
      if (g) out.push(g);
    }
    this.drained = this.nextId - 1;
    return out;
  }

  /** All groups in memory, in id order. */
  all(): StateGroup[] {
    return [...this.groups.values()].sort((a, b) => a.id - b.id);
  }

  /** Forgets groups (after writing) except those still needed as bases for new deltas. */
  release(keep: ReadonlySet<number>): void {
    for (const id of this.groups.keys()) if (!keep.has(id)) this.groups.delete(id);
  }
}

/** The protocol core's state-map equality, under the simulator's name. */
export const sameState = sameStateMap;

