// Runs the state resolution vectors ported from other implementations' test suites
// (test/vectors/state-res/external/*.json; each file names its source repository, path and commit).
// Kinds: "resolve" (state sets over given PDUs), "dag" (a room simulated as Synapse's tests do; the
// state after one node is compared), "auth-graph" (auth chain / conflicted subgraph of a bare auth
// DAG), "auth-difference", "power-order" (reverse topological power ordering), "sender-power" and
// "separate" (unconflicted map and conflicted set, through the resolution trace).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stateKeyOf, toPdu, type JsonObject, type Pdu } from '../../../../src/matrix/pdu.js';
import { roomVersionRules } from '../../../../src/matrix/room-versions.js';
import {
  authChain,
  authDifference,
  conflictedSubgraph,
  EventAccess,
  resolveStateWithTrace,
  reverseTopologicalPowerOrder,
  senderPowerLevel,
} from '../../../../src/matrix/state-res/index.js';
import { simulateDag, type EventSpec } from '../room-factory.js';

const dir = join(import.meta.dirname, '..', '..', '..', 'vectors', 'state-res', 'external');

interface Source {
  repo: string;
  path: string;
  commit: string;
}
type Events = Array<{ event_id: string; rejected?: boolean; pdu: JsonObject }>;
type Vector =
  | { kind: 'resolve'; room_version: string; events: Events; state_sets: string[][]; expected?: string[]; expected_keys?: string[][] }
  | { kind: 'dag'; room_versions: string[]; room_id: string; events: EventSpec[]; edges: string[][]; at: string; expected: string[] }
  | { kind: 'auth-graph'; auth_events: Record<string, string[]>; cases: Array<{ name: string; starts: string[]; conflicted?: string[]; auth_chain: string[]; conflicted_subgraph?: string[] }> }
  | { kind: 'auth-difference'; auth_events: Record<string, string[]>; cases: Array<{ name: string; state_sets: string[][]; expected: string[] }> }
  | { kind: 'power-order'; room_version: string; events: Events; sort: string[]; expected: string[] }
  | { kind: 'sender-power'; cases: Array<{ name: string; room_version: string; events: Events; event_id: string; expected: number }> }
  | { kind: 'separate'; cases: Array<{ name: string; room_version: string; state_sets: string[][][]; conflicted: string[]; unconflicted: string[] }> };

const vectors = readdirSync(dir)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => ({ name, data: JSON.parse(readFileSync(join(dir, name), 'utf8')) as Vector & { source: Source } }));

function pdusOf(events: Events, version: string): Map<string, Pdu> {
  const rules = roomVersionRules(version);
  return new Map(events.map((e) => [e.event_id, toPdu(e.pdu, rules, e.event_id, { rejected: e.rejected })]));
}

function stateMap(ids: readonly string[], events: ReadonlyMap<string, Pdu>): Map<string, string> {
  return new Map(
    ids.map((id) => {
      const pdu = events.get(id);
      if (!pdu || pdu.state_key === undefined) throw new Error(`vector names an unknown state event ${id}`);
      return [stateKeyOf(pdu.type, pdu.state_key), id];
    }),
  );
}

/** Bare auth DAG nodes (graph-only vectors): minimal room version 10 events with those auth events. */
function graphAccess(authEvents: Record<string, string[]>): EventAccess {
  const rules = roomVersionRules('10');
  const events = new Map<string, Pdu>();
  for (const [id, auth] of Object.entries(authEvents)) {
    const raw: JsonObject = { room_id: '!graph:example.com', type: 'm.room.member', state_key: '', sender: '@alice:example.com', content: {}, auth_events: auth };
    events.set(id, toPdu(raw, rules, id));
  }
  return new EventAccess((id) => events.get(id), rules);
}

const sorted = (ids: Iterable<string>): string[] => [...ids].sort();

function run(name: string, data: Vector): void {
  switch (data.kind) {
    case 'resolve':
      it(`${name} (room version ${data.room_version})`, () => {
        const rules = roomVersionRules(data.room_version);
        const events = pdusOf(data.events, data.room_version);
        const { state } = resolveStateWithTrace({
          stateSets: data.state_sets.map((ids) => stateMap(ids, events)),
          fetchEvent: (id) => events.get(id),
          rules,
        });
        if (data.expected) expect(state).toEqual(stateMap(data.expected, events));
        if (data.expected_keys) expect(sorted(state.keys())).toEqual(sorted(data.expected_keys.map(([t, k]) => stateKeyOf(t, k))));
      });
      return;
    case 'dag':
      for (const version of data.room_versions) {
        it(`${name} (room version ${version})`, () => {
          const { room, stateAfter, eventIdOf } = simulateDag(roomVersionRules(version), data.room_id, data.events, data.edges);
          expect(stateAfter.get(data.at)).toEqual(stateMap(data.expected.map(eventIdOf), room.events));
        });
      }
      return;
    case 'auth-graph':
      for (const c of data.cases) {
        it(`${name}: ${c.name}`, () => {
          const access = graphAccess(data.auth_events);
          expect(sorted(authChain(c.starts, access))).toEqual(sorted(c.auth_chain));
          if (c.conflicted) expect(sorted(conflictedSubgraph(c.conflicted, access))).toEqual(sorted(c.conflicted_subgraph ?? []));
        });
      }
      return;
    case 'auth-difference':
      for (const c of data.cases) {
        it(`${name}: ${c.name}`, () => {
          expect(sorted(authDifference(c.state_sets, graphAccess(data.auth_events)))).toEqual(sorted(c.expected));
        });
      }
      return;
    case 'power-order':
      it(`${name} (room version ${data.room_version})`, () => {
        const rules = roomVersionRules(data.room_version);
        const events = pdusOf(data.events, data.room_version);
        const access = new EventAccess((id) => events.get(id), rules);
        expect(reverseTopologicalPowerOrder(new Set(data.sort), access, rules)).toEqual(data.expected);
        // The order does not depend on the order the events are given in.
        expect(reverseTopologicalPowerOrder(new Set([...data.sort].reverse()), access, rules)).toEqual(data.expected);
      });
      return;
    case 'sender-power':
      for (const c of data.cases) {
        it(`${name}: ${c.name} (room version ${c.room_version})`, () => {
          const rules = roomVersionRules(c.room_version);
          const events = pdusOf(c.events, c.room_version);
          const access = new EventAccess((id) => events.get(id), rules);
          expect(senderPowerLevel(events.get(c.event_id)!, access, rules)).toBe(c.expected);
        });
      }
      return;
    case 'separate':
      for (const c of data.cases) {
        it(`${name}: ${c.name} (room version ${c.room_version})`, () => {
          // Stand-in state events so that resolution can look the conflicted ones up.
          const rules = roomVersionRules(c.room_version);
          const events = new Map<string, Pdu>();
          for (const [type, stateKey, id] of c.state_sets.flat()) {
            const raw: JsonObject = { room_id: '!split:example.com', type, state_key: stateKey, sender: '@alice:example.com', content: {}, depth: 1 };
            events.set(id, toPdu(raw, rules, id));
          }
          const stateSets = c.state_sets.map((set) => new Map(set.map(([type, stateKey, id]) => [stateKeyOf(type, stateKey), id])));
          const { trace } = resolveStateWithTrace({ stateSets, fetchEvent: (id) => events.get(id), rules });
          expect(sorted(trace.unconflicted.values())).toEqual(sorted(c.unconflicted));
          expect(sorted([...trace.conflicted.values()].flat())).toEqual(sorted(c.conflicted));
        });
      }
      return;
  }
}

describe('state resolution vectors from other implementations', () => {
  it('finds the vectors, each naming its repository, path and commit', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(10);
    for (const { data } of vectors) {
      expect(data.source.repo).toMatch(/^[\w.-]+\/[\w.-]+$/);
      expect(data.source.path).toMatch(/\S/);
      expect(data.source.commit).toMatch(/^[0-9a-f]{40}$/);
    }
  });

  for (const { name, data } of vectors) describe(name, () => run(name, data));
});
