import { describe, expect, it } from 'vitest';
import { roomVersionRules } from '../../../src/matrix/room-versions.js';
import { authChain, authDifference, conflictedSubgraph } from '../../../src/matrix/state-res/index.js';
import { RoomFactory } from './room-factory.js';

const ALICE = '@alice:example.com';
const v10 = roomVersionRules('10');

/** Builds events that only carry auth edges: [id, auth ids]. */
function chainRoom(edges: Array<[string, string[]]>): RoomFactory {
  const room = new RoomFactory(v10, '!room:example.com');
  for (const [id, auth] of edges) room.add({ id, sender: ALICE, type: 'm.room.member', state_key: '', content: {}, auth_events: auth });
  return room;
}

describe('authChain', () => {
  it('walks auth events recursively and leaves out a start no other start reaches', () => {
    const room = chainRoom([['A', []], ['B', ['A']], ['C', ['B']], ['D', ['C', 'A']]]);
    expect(authChain(['D'], room.fetch)).toEqual(new Set(['C', 'B', 'A']));
    expect(authChain(['D', 'B'], room.fetch)).toEqual(new Set(['C', 'B', 'A']));
    expect(authChain(['A'], room.fetch)).toEqual(new Set());
  });

  it('stops at auth events the caller does not know', () => {
    const room = chainRoom([['B', ['A?']], ['C', ['B']]]);
    expect(authChain(['C'], room.fetch)).toEqual(new Set(['B', 'A?']));
  });

  it('counts the implied create event of room version 12 as an auth event', () => {
    const v12 = roomVersionRules('12');
    const room = new RoomFactory(v12, '');
    const create = room.add({ id: '$create', sender: ALICE, type: 'm.room.create', state_key: '', content: {} });
    room.add({ id: '$join', sender: ALICE, type: 'm.room.member', state_key: ALICE, content: { membership: 'join' } });
    expect(room.roomId).toBe('!create');
    expect(authChain(['$join'], room.fetch, v12)).toEqual(new Set([create.event_id]));
    expect(authChain(['$join'], room.fetch)).toEqual(new Set());
  });
});

describe('authDifference', () => {
  // Synapse tests/state/test_v2.py AuthChainDifferenceTestCase (persisted/unpersisted split aside).
  it('C -> B -> A with state sets {A, B} and {C}', () => {
    const room = chainRoom([['A', []], ['B', ['A']], ['C', ['B']]]);
    expect(authDifference([['A', 'B'], ['C']], room.fetch)).toEqual(new Set(['C']));
  });

  it('D -> C -> B -> A with state sets {A, B} and {C, D}', () => {
    const room = chainRoom([['A', []], ['B', ['A']], ['C', ['B']], ['D', ['C']]]);
    expect(authDifference([['A', 'B'], ['C', 'D']], room.fetch)).toEqual(new Set(['C', 'D']));
  });

  it('branches: E -> C, B and D -> C -> B -> A with state sets {A, B, E} and {C, D}', () => {
    const room = chainRoom([['A', []], ['B', ['A']], ['C', ['B']], ['D', ['C']], ['E', ['C', 'B']]]);
    expect(authDifference([['A', 'B', 'E'], ['C', 'D']], room.fetch)).toEqual(new Set(['D', 'E']));
  });

  it('is empty for identical state sets and for a single state set', () => {
    const room = chainRoom([['A', []], ['B', ['A']]]);
    expect(authDifference([['B'], ['B']], room.fetch)).toEqual(new Set());
    expect(authDifference([['B']], room.fetch)).toEqual(new Set());
  });
});

describe('conflictedSubgraph', () => {
  it('keeps the events on paths between conflicted events, endpoints included', () => {
    // C2 -> Y -> X -> C1 -> A ; C2 -> Z -> A ; W (unrelated) -> A
    const room = chainRoom([['A', []], ['C1', ['A']], ['X', ['C1']], ['Y', ['X']], ['Z', ['A']], ['C2', ['Y', 'Z']], ['W', ['A']]]);
    expect(conflictedSubgraph(['C1', 'C2'], room.fetch)).toEqual(new Set(['C1', 'X', 'Y', 'C2']));
  });

  it('is just the conflicted events when no path links them', () => {
    const room = chainRoom([['A', []], ['C1', ['A']], ['C2', ['A']]]);
    expect(conflictedSubgraph(['C1', 'C2'], room.fetch)).toEqual(new Set(['C1', 'C2']));
  });

  it('survives an auth cycle (malformed input)', () => {
    const room = chainRoom([['P', ['Q']], ['Q', ['P']], ['C1', ['P']]]);
    expect(conflictedSubgraph(['C1'], room.fetch)).toEqual(new Set(['C1']));
  });
});
