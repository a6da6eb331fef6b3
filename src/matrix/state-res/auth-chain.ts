/**
 * Auth chains, the auth difference and (state resolution v2.1) the conflicted state subgraph.
 * Definitions: https://spec.matrix.org/v1.16/rooms/v2/#definitions and
 * https://spec.matrix.org/v1.16/rooms/v12/#definitions
 *
 * All walks are iterative (auth chains of old rooms are deep) and linear in the events visited.
 * An auth event the caller does not know ends the walk along that edge: it cannot be in state,
 * and Synapse likewise works with the auth events it has.
 */
import type { RoomVersionRules } from '../room-versions.js';
import { EventAccess, type FetchEvent } from './event-access.js';

function accessOf(source: FetchEvent | EventAccess, rules: RoomVersionRules | undefined): EventAccess {
  return source instanceof EventAccess ? source : new EventAccess(source, rules);
}

/** Every event reachable from `starts` along auth edges, including the starts themselves. */
function reachableInclusive(starts: Iterable<string>, access: EventAccess): Set<string> {
  const seen = new Set<string>();
  const stack: string[] = [];
  for (const id of starts) {
    if (!seen.has(id)) {
      seen.add(id);
      stack.push(id);
    }
  }
  while (stack.length > 0) {
    for (const authId of access.authIds(stack.pop()!)) {
      if (!seen.has(authId)) {
        seen.add(authId);
        stack.push(authId);
      }
    }
  }
  return seen;
}

/**
 * Spec "Auth chain": the events' auth events, their auth events, and so on; a starting event is in
 * the result only when another starting event reaches it. For room version 12 pass `rules` so the
 * implied create event counts as an auth event.
 */
export function authChain(
  eventIds: Iterable<string>,
  fetchEvent: FetchEvent | EventAccess,
  rules?: RoomVersionRules,
): Set<string> {
  const access = accessOf(fetchEvent, rules);
  const starts = [...eventIds];
  const result = new Set<string>();
  const stack: string[] = [];
  for (const id of starts) stack.push(...access.authIds(id));
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (result.has(id)) continue;
    result.add(id);
    stack.push(...access.authIds(id));
  }
  return result;
}

/**
 * Spec "Auth difference": ∪Cᵢ − ∩Cᵢ where Cᵢ is the full auth chain of state set Sᵢ.
 *
 * Cᵢ here includes the events of Sᵢ themselves, as Synapse computes it
 * (storage/databases/main/event_federation.py, `_get_auth_chain_difference_txn` seeds each chain
 * with its state set). With a strictly exclusive reading an unconflicted event that happens to be
 * cited by only some state sets would join the full conflicted set; every conflicted event is in
 * the full conflicted set either way, so the inclusive reading only avoids that spurious case.
 */
export function authDifference(
  stateSets: ReadonlyArray<Iterable<string>>,
  fetchEvent: FetchEvent | EventAccess,
  rules?: RoomVersionRules,
): Set<string> {
  const access = accessOf(fetchEvent, rules);
  const counts = new Map<string, number>();
  for (const set of stateSets) {
    for (const id of reachableInclusive(set, access)) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  const difference = new Set<string>();
  for (const [id, count] of counts) if (count < stateSets.length) difference.add(id);
  return difference;
}

/**
 * Spec v12 "Conflicted state subgraph": every event on an auth-edge path between two events of the
 * conflicted state set, endpoints included. An event is on such a path exactly when it is reachable
 * from a conflicted event (or is one) and a conflicted event is reachable from it (or it is one).
 */
export function conflictedSubgraph(
  conflictedEvents: Iterable<string>,
  fetchEvent: FetchEvent | EventAccess,
  rules?: RoomVersionRules,
): Set<string> {
  const access = accessOf(fetchEvent, rules);
  const conflicted = new Set(conflictedEvents);
  const backwards = reachableInclusive(conflicted, access);
  // reaches(id): a conflicted event is reachable from id (inclusive). Iterative post-order DFS.
  // `entered` guards against auth cycles, which only malformed input can contain.
  const reaches = new Map<string, boolean>();
  const entered = new Set<string>();
  for (const root of backwards) {
    if (entered.has(root)) continue;
    entered.add(root);
    const stack: Array<[string, number]> = [[root, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const [id, next] = top;
      const edges = access.authIds(id);
      if (next < edges.length) {
        top[1] = next + 1;
        const child = edges[next];
        if (backwards.has(child) && !entered.has(child)) {
          entered.add(child);
          stack.push([child, 0]);
        }
        continue;
      }
      stack.pop();
      let value = conflicted.has(id);
      for (let i = 0; !value && i < edges.length; i++) value = reaches.get(edges[i]) === true;
      reaches.set(id, value);
    }
  }
  const subgraph = new Set<string>();
  for (const [id, value] of reaches) if (value) subgraph.add(id);
  return subgraph;
}
