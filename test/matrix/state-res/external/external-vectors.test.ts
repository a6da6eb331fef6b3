// Runs the state resolution vectors ported from other implementations' test suites
// (test/vectors/state-res/external/*.json; each file names its source repository, path and commit).
// Kinds: "resolve" (state sets over given PDUs), "dag" (a room simulated as Synapse's tests do; the
// state after one node is compared), "auth-graph" (auth chain / conflicted subgraph of a bare auth
// DAG), "auth-difference", "power-order" (reverse topological power ordering), "sender-power" and
// "separate" (unconflicted map and conflicted set, through the resolution trace), "batches" (ruma's
// three ways of resolving batches of PDUs, see `resolveBatches`).
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
  | { kind: 'batches'; room_version: string; batches: JsonObject[][]; expected: string[] }
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

/**
 * ruma's snapshot_test_batches (crates/ruma-state-res/tests/it/resolve/macros.rs): the PDUs are
 * resolved iteratively along prev_events (state before = resolution of the prev events' states;
 * state at = resolution of [before, before + PDU]; finally the leaves' states), batch by batch (the
 * previous result plus each PDU of the batch as its own state set) and atomically (every PDU its
 * own state set). Returns the three results.
 */
function resolveBatches(version: string, batches: JsonObject[][]): Record<'iterative' | 'batched' | 'atomic', Map<string, string>> {
  const rules = roomVersionRules(version);
  const all = batches.flat().map((raw) => toPdu(raw, rules));
  const events = new Map(all.map((pdu) => [pdu.event_id, pdu]));
  const resolve = (stateSets: Array<Map<string, string>>): Map<string, string> =>
    resolveStateWithTrace({ stateSets, fetchEvent: (id) => events.get(id), rules }).state;
  const own = (pdu: Pdu): Map<string, string> => new Map([[stateKeyOf(pdu.type, pdu.state_key!), pdu.event_id]]);

  const stateAt = new Map<string, Map<string, string>>();
  const cited = new Set(all.flatMap((pdu) => pdu.prev_events));
  for (let progress = true; progress; ) {
    progress = false;
    for (const pdu of all) {
      if (stateAt.has(pdu.event_id) || !pdu.prev_events.every((id) => stateAt.has(id))) continue;
      const before = resolve(pdu.prev_events.map((id) => stateAt.get(id)!));
      const proposed = new Map(before).set(stateKeyOf(pdu.type, pdu.state_key!), pdu.event_id);
      stateAt.set(pdu.event_id, resolve([before, proposed]));
      progress = true;
    }
  }
  if (stateAt.size !== all.length) throw new Error('vector has an event whose prev events are missing');
  const iterative = resolve(all.filter((pdu) => !cited.has(pdu.event_id)).map((pdu) => stateAt.get(pdu.event_id)!));

  let batched: Map<string, string> | undefined;
  for (const batch of batches) {
    const pdus = batch.map((raw) => events.get(toPdu(raw, rules).event_id)!);
    batched = resolve([...(batched ? [batched] : []), ...pdus.map(own)]);
  }
  return { iterative, batched: batched!, atomic: resolve(all.map(own)) };
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
    case 'batches':
      it(`${name} (room version ${data.room_version}): iterative, batched and atomic`, () => {
        const results = resolveBatches(data.room_version, data.batches);
        const rules = roomVersionRules(data.room_version);
        const events = new Map(data.batches.flat().map((raw) => [String(raw.event_id), toPdu(raw, rules)]));
        const expected = stateMap(data.expected, events);
        expect(results.iterative).toEqual(expected);
        expect(results.batched).toEqual(expected);
        expect(results.atomic).toEqual(expected);
      });
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
