/**
 * Reverse topological power ordering, https://spec.matrix.org/v1.16/rooms/v2/#definitions
 *
 * Kahn's algorithm over the auth DAG restricted to the events being sorted, choosing at each step the
 * smallest candidate by: greater sender power level first, then smaller `origin_server_ts`, then
 * smaller `event_id`. Earliest event first.
 */
import type { RoomVersionRules } from '../room-versions.js';
import type { EventAccess } from './event-access.js';
import { compareIds, MinHeap } from './heap.js';
import { senderPowerLevel } from './power.js';

/**
 * For each event of `members`, the members it reaches along auth edges without passing through
 * another member: the edges of the DAG the auth events induce on `members`, whose reachability is
 * that of the full auth DAG.
 *
 * Synapse (`_add_event_and_auth_chain_to_graph`) only walks through events of the full conflicted
 * set, so it drops the order between two sorted events linked only through an unconflicted event;
 * the spec orders "based on the DAG formed by auth events", which we follow. Walks only pass through
 * non-members from which some member is reachable, so the usual cost is the direct edges.
 */
export function inducedAuthEdges(members: ReadonlySet<string>, access: EventAccess): Map<string, Set<string>> {
  // leadsToMember(id) for non-members: some member is reachable from id. Iterative post-order.
  const leads = new Map<string, boolean>();
  const leadsToMember = (root: string): boolean => {
    const known = leads.get(root);
    if (known !== undefined) return known;
    const entered = new Set<string>([root]);
    const stack: Array<[string, number]> = [[root, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1];
      const edges = access.authIds(top[0]);
      if (top[1] < edges.length) {
        const child = edges[top[1]++];
        if (!members.has(child) && !leads.has(child) && !entered.has(child)) {
          entered.add(child);
          stack.push([child, 0]);
        }
        continue;
      }
      stack.pop();
      leads.set(top[0], edges.some((child) => members.has(child) || leads.get(child) === true));
    }
    return leads.get(root)!;
  };

  const graph = new Map<string, Set<string>>();
  for (const id of members) {
    const targets = new Set<string>();
    const seen = new Set<string>();
    const stack = [...access.authIds(id)];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (seen.has(next)) continue;
      seen.add(next);
      if (members.has(next)) targets.add(next);
      else if (leadsToMember(next)) stack.push(...access.authIds(next));
    }
    targets.delete(id);
    graph.set(id, targets);
  }
  return graph;
}

export function reverseTopologicalPowerOrder(
  eventIds: ReadonlySet<string>,
  access: EventAccess,
  rules: RoomVersionRules,
): string[] {
  const power = new Map<string, number>();
  const ts = new Map<string, number>();
  for (const id of eventIds) {
    const pdu = access.need(id, 'to sort power events');
    power.set(id, senderPowerLevel(pdu, access, rules));
    ts.set(id, pdu.origin_server_ts);
  }
  const compare = (a: string, b: string): number => {
    const pa = power.get(a)!;
    const pb = power.get(b)!;
    if (pa !== pb) return pa > pb ? -1 : 1;
    const ta = ts.get(a)!;
    const tb = ts.get(b)!;
    if (ta !== tb) return ta < tb ? -1 : 1;
    return compareIds(a, b);
  };

  const graph = inducedAuthEdges(eventIds, access);
  const remaining = new Map<string, number>();
  const dependents = new Map<string, string[]>();
  const ready = new MinHeap<string>(compare);
  for (const [id, targets] of graph) {
    remaining.set(id, targets.size);
    if (targets.size === 0) ready.push(id);
    for (const target of targets) {
      let list = dependents.get(target);
      if (!list) dependents.set(target, (list = []));
      list.push(id);
    }
  }
  const order: string[] = [];
  while (ready.size > 0) {
    const id = ready.pop()!;
    order.push(id);
    for (const dependent of dependents.get(id) ?? []) {
      const left = remaining.get(dependent)! - 1;
      remaining.set(dependent, left);
      if (left === 0) ready.push(dependent);
    }
  }
  // Only an auth cycle (malformed input) leaves events behind; keep them, in power order.
  if (order.length < graph.size) {
    const placed = new Set(order);
    order.push(...[...graph.keys()].filter((id) => !placed.has(id)).sort(compare));
  }
  return order;
}
