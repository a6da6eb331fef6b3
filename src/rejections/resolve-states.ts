/**
 * The state at several events (forward extremities, an event's prev events), resolved as Synapse
 * resolves them: identical states collapse, different ones go through the room version's state
 * resolution (src/matrix/state-res), which fetches the room's state events (auth chains are made of
 * them) and never admits a rejected one. Shared by the cure (cure.ts) and fsck's current-state check.
 */
import { parseStoredEvent, sameStateMap, type Pdu } from '../matrix/pdu.js';
import type { RoomVersionRules } from '../matrix/room-versions.js';
import { resolveState } from '../matrix/state-res/index.js';
import type { ReadStore } from '../store/open.js';
import { iterateRoomStateEvents } from '../store/readers/room-dag.js';

export type StateMap = ReadonlyMap<string, string>;
export type RoomStateEvents = Map<string, { pdu: Pdu; rejected: boolean }>;
export type FetchEvent = (id: string) => (Pdu & { rejected?: boolean }) | undefined;

/** Every state event of the room (outliers included), parsed, with whether it is rejected. */
export async function loadRoomStateEvents(store: ReadStore, roomId: string, rules: RoomVersionRules): Promise<RoomStateEvents> {
  const out: RoomStateEvents = new Map();
  for await (const row of iterateRoomStateEvents(store.main, store.schema.capabilities, roomId)) {
    const p = parseStoredEvent(row.json, rules, row.event_id);
    if (p) out.set(row.event_id, { pdu: p.pdu, rejected: row.rejection !== null });
  }
  return out;
}

/** What state resolution fetches: the stored state event, marked when rejected. */
export function stateEventFetcher(events: RoomStateEvents): FetchEvent {
  return (id) => {
    const s = events.get(id);
    if (!s) return undefined;
    return s.rejected ? { ...s.pdu, rejected: true } : s.pdu;
  };
}

/** The states with identical ones collapsed (first kept). */
export function distinctStates<T extends { state: StateMap }>(items: readonly T[], same: (a: T, b: T) => boolean = () => false): T[] {
  const out: T[] = [];
  for (const n of items) if (!out.some((d) => d === n || same(d, n) || sameStateMap(d.state, n.state))) out.push(n);
  return out;
}

/** The resolved state of several states: the one state when they are all equal, else state resolution. */
export function resolveStateMaps(states: readonly StateMap[], rules: RoomVersionRules, fetchEvent: FetchEvent): StateMap {
  const distinct = distinctStates(states.map((state) => ({ state })));
  if (distinct.length === 0) return new Map();
  if (distinct.length === 1) return distinct[0]!.state;
  return resolveState({ stateSets: distinct.map((d) => d.state), rules, fetchEvent });
}
