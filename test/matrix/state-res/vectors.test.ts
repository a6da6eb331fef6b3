// Runs the state resolution fixtures of test/vectors/state-res/ (each names its source):
// "dag" fixtures simulate a room the way Synapse's tests/state/test_v2.py does and compare the
// state at END; "resolve" fixtures resolve given state sets over given PDUs.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { stateKeyOf, toPdu, type JsonObject, type Pdu } from '../../../src/matrix/pdu.js';
import { roomVersionRules } from '../../../src/matrix/room-versions.js';
import { resolveStateWithTrace } from '../../../src/matrix/state-res/index.js';
import { simulateDag, type EventSpec } from './room-factory.js';

const dir = join(import.meta.dirname, '..', '..', 'vectors', 'state-res');

interface DagFixture {
  source: string;
  kind: 'dag';
  room_versions: string[];
  room_id: string;
  events: EventSpec[];
  edges: string[][];
  expected: string[];
}
interface ResolveFixture {
  source: string;
  kind: 'resolve';
  room_version: string;
  events: Array<{ event_id: string; rejected?: boolean; pdu: JsonObject }>;
  state_sets: string[][];
  expected: string[];
  expected_not_in_full_conflicted_set?: string[];
}

const fixtures = readdirSync(dir)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => ({ name, data: JSON.parse(readFileSync(join(dir, name), 'utf8')) as DagFixture | ResolveFixture }));

function stateMap(ids: readonly string[], events: ReadonlyMap<string, Pdu>): Map<string, string> {
  return new Map(ids.map((id) => [stateKeyOf(events.get(id)!.type, events.get(id)!.state_key!), id]));
}

describe('state resolution fixtures', () => {
  it('finds the fixtures, each with a source', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(10);
    for (const { data } of fixtures) expect(data.source).toMatch(/\S/);
  });

  for (const { name, data } of fixtures) {
    if (data.kind === 'dag') {
      for (const version of data.room_versions) {
        it(`${name} (room version ${version})`, () => {
          const { room, stateAfter, eventIdOf } = simulateDag(roomVersionRules(version), data.room_id, data.events, data.edges);
          const expected = stateMap(data.expected.map(eventIdOf), room.events);
          const start = stateAfter.get('START')!;
          const end = new Map([...stateAfter.get('END')!].filter(([key, id]) => expected.has(key) || start.get(key) !== id));
          expect(end).toEqual(expected);
        });
      }
    } else {
      it(`${name} (room version ${data.room_version})`, () => {
        const rules = roomVersionRules(data.room_version);
        const events = new Map<string, Pdu>();
        for (const e of data.events) events.set(e.event_id, toPdu(e.pdu, rules, e.event_id, { rejected: e.rejected }));
        const { state, trace } = resolveStateWithTrace({
          stateSets: data.state_sets.map((ids) => stateMap(ids, events)),
          fetchEvent: (id) => events.get(id),
          rules,
        });
        expect(state).toEqual(stateMap(data.expected, events));
        for (const id of data.expected_not_in_full_conflicted_set ?? []) expect(trace.fullConflictedSet).not.toContain(id);
      });
    }
  }
});
