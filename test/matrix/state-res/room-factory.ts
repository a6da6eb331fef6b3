/**
 * Builds rooms for state resolution tests: Pdu objects with ids we assign (they need not be real
 * reference hashes here), and a DAG simulator that computes the state at every event the way
 * Synapse's tests/state/test_v2.py `do_check` does (events processed in lexicographic topological
 * order of their prev events; each event's auth events chosen from the state before it; state before
 * an event with several prev events is the resolution of their states; timestamps increase in
 * processing order).
 */
import { authTypesForEvent } from '../../../src/matrix/auth/auth-events-selection.js';
import { toPdu, stateKeyOf, type JsonObject, type Pdu } from '../../../src/matrix/pdu.js';
import type { RoomVersionRules } from '../../../src/matrix/room-versions.js';
import { resolveState } from '../../../src/matrix/state-res/index.js';

export interface EventSpec {
  readonly id: string;
  readonly sender: string;
  readonly type: string;
  readonly state_key?: string;
  readonly content: JsonObject;
}

export class RoomFactory {
  readonly events = new Map<string, Pdu>();
  private ts = 0;

  constructor(
    readonly rules: RoomVersionRules,
    public roomId: string,
  ) {}

  readonly fetch = (eventId: string): Pdu | undefined => this.events.get(eventId);

  /** Adds an event with explicit references; `origin_server_ts` defaults to a counter. */
  add(
    spec: EventSpec & {
      auth_events?: readonly string[];
      prev_events?: readonly string[];
      origin_server_ts?: number;
      depth?: number;
      rejected?: boolean;
    },
  ): Pdu {
    const raw: JsonObject = {
      type: spec.type,
      sender: spec.sender,
      content: spec.content,
      origin_server_ts: spec.origin_server_ts ?? ++this.ts,
      depth: spec.depth ?? 1,
      auth_events: [...(spec.auth_events ?? [])],
      prev_events: [...(spec.prev_events ?? [])],
    };
    if (spec.state_key !== undefined) raw.state_key = spec.state_key;
    const isV12Create = this.rules.roomIdFromCreateEvent && spec.type === 'm.room.create';
    if (!isV12Create) raw.room_id = this.roomId;
    const pdu = toPdu(raw, this.rules, spec.id, { rejected: spec.rejected });
    if (isV12Create) this.roomId = pdu.room_id;
    this.events.set(pdu.event_id, pdu);
    return pdu;
  }

  /** State map from event ids (each must be a known state event). */
  stateOf(ids: readonly string[]): Map<string, string> {
    return new Map(
      ids.map((id) => {
        const pdu = this.events.get(id);
        if (!pdu || pdu.state_key === undefined) throw new Error(`not a known state event: ${id}`);
        return [stateKeyOf(pdu.type, pdu.state_key), id];
      }),
    );
  }

  resolve(stateSets: ReadonlyArray<ReadonlyMap<string, string>>): Map<string, string> {
    return resolveState({ stateSets, fetchEvent: this.fetch, rules: this.rules });
  }
}

/** Synapse's `lexicographical_topological_sort`: nodes whose edges are all emitted, smallest first. */
export function lexicographicTopologicalSort(graph: ReadonlyMap<string, ReadonlySet<string>>): string[] {
  const remaining = new Map([...graph].map(([node, edges]) => [node, new Set(edges)]));
  const order: string[] = [];
  const ready = [...remaining].filter(([, edges]) => edges.size === 0).map(([node]) => node);
  while (ready.length > 0) {
    ready.sort();
    const node = ready.shift()!;
    order.push(node);
    for (const [other, edges] of remaining) {
      if (edges.delete(node) && edges.size === 0) ready.push(other);
    }
  }
  return order;
}

export interface DagResult {
  readonly room: RoomFactory;
  /** State after each event, by node id. */
  readonly stateAfter: Map<string, Map<string, string>>;
  readonly eventIdOf: (node: string) => string;
}

/**
 * Simulates a room from events and prev-event chains (`[A, B, C]` means A's prev events include B
 * and B's include C). Event ids are `$<node>:example.com` as in Synapse's tests.
 */
export function simulateDag(rules: RoomVersionRules, roomId: string, events: readonly EventSpec[], edges: readonly string[][]): DagResult {
  const room = new RoomFactory(rules, roomId);
  const eventIdOf = (node: string): string => `$${node}:example.com`;
  const specs = new Map(events.map((e) => [e.id, e]));
  const graph = new Map<string, Set<string>>(events.map((e) => [e.id, new Set<string>()]));
  for (const chain of edges) {
    for (let i = 0; i + 1 < chain.length; i++) {
      const prevs = graph.get(chain[i]);
      if (!prevs || !graph.has(chain[i + 1])) throw new Error(`unknown node in edge ${chain[i]} -> ${chain[i + 1]}`);
      prevs.add(chain[i + 1]);
    }
  }
  const stateAfter = new Map<string, Map<string, string>>();
  for (const node of lexicographicTopologicalSort(graph)) {
    const spec = specs.get(node)!;
    const prevs = [...graph.get(node)!];
    let before: Map<string, string>;
    if (prevs.length === 0) before = new Map();
    else if (prevs.length === 1) before = new Map(stateAfter.get(prevs[0])!);
    else before = room.resolve(prevs.map((p) => stateAfter.get(p)!));
    const authEvents: string[] = [];
    for (const [type, stateKey] of authTypesForEvent(spec, rules)) {
      const id = before.get(stateKeyOf(type, stateKey));
      if (id !== undefined && !authEvents.includes(id)) authEvents.push(id);
    }
    const pdu = room.add({ ...spec, id: eventIdOf(node), auth_events: authEvents, prev_events: prevs.map(eventIdOf) });
    const after = new Map(before);
    if (pdu.state_key !== undefined) after.set(stateKeyOf(pdu.type, pdu.state_key), pdu.event_id);
    stateAfter.set(node, after);
  }
  return { room, stateAfter, eventIdOf };
}
