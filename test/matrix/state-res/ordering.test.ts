import { describe, expect, it } from 'vitest';
import { roomVersionRules } from '../../../src/matrix/room-versions.js';
import { EventAccess, mainlineOf, mainlineSort, reverseTopologicalPowerOrder } from '../../../src/matrix/state-res/index.js';
import { inducedAuthEdges } from '../../../src/matrix/state-res/ordering.js';
import { RoomFactory } from './room-factory.js';

const ALICE = '@alice:example.com';
const BOB = '@bob:example.com';
const v10 = roomVersionRules('10');

function plainRoom(edges: Array<[string, string[], number?]>): RoomFactory {
  const room = new RoomFactory(v10, '!room:example.com');
  for (const [id, auth, ts] of edges) {
    room.add({ id, sender: ALICE, type: 'm.room.topic', state_key: '', content: {}, auth_events: auth, origin_server_ts: ts ?? 0 });
  }
  return room;
}

describe('reverseTopologicalPowerOrder', () => {
  it('is Kahn with the smallest candidate first (Synapse LexicographicalTestCase.test_simple)', () => {
    const room = plainRoom([['o', []], ['l', ['o']], ['m', ['n', 'o']], ['n', ['o']], ['p', ['o']]]);
    const order = reverseTopologicalPowerOrder(new Set(['l', 'm', 'n', 'o', 'p']), new EventAccess(room.fetch, v10), v10);
    expect(order).toEqual(['o', 'l', 'n', 'm', 'p']);
  });

  it('breaks ties on greater sender power, then smaller origin_server_ts, then smaller event_id', () => {
    const room = new RoomFactory(v10, '!room:example.com');
    const create = room.add({ id: '$create', sender: ALICE, type: 'm.room.create', state_key: '', content: { creator: ALICE }, origin_server_ts: 0 });
    const pl = room.add({
      id: '$pl', sender: ALICE, type: 'm.room.power_levels', state_key: '', content: { users: { [ALICE]: 100, [BOB]: 50 } },
      auth_events: [create.event_id], origin_server_ts: 0,
    });
    const auth = [create.event_id, pl.event_id];
    const mk = (id: string, sender: string, ts: number): string =>
      room.add({ id, sender, type: 'm.room.join_rules', state_key: '', content: {}, auth_events: auth, origin_server_ts: ts }).event_id;
    const ids = [mk('$bob-early', BOB, 1), mk('$alice-late', ALICE, 9), mk('$alice-early', ALICE, 5), mk('$alice-b', ALICE, 7), mk('$alice-a', ALICE, 7)];
    const order = reverseTopologicalPowerOrder(new Set(ids), new EventAccess(room.fetch, v10), v10);
    expect(order).toEqual(['$alice-early', '$alice-a', '$alice-b', '$alice-late', '$bob-early']);
  });

  it('keeps the order the auth DAG gives through events outside the sorted set', () => {
    // y <- u <- x : u is not sorted, yet y must come before x although x is older.
    const room = plainRoom([['y', [], 5], ['u', ['y'], 0], ['x', ['u'], 1]]);
    const access = new EventAccess(room.fetch, v10);
    expect(inducedAuthEdges(new Set(['x', 'y']), access)).toEqual(new Map([['x', new Set(['y'])], ['y', new Set()]]));
    expect(reverseTopologicalPowerOrder(new Set(['x', 'y']), access, v10)).toEqual(['y', 'x']);
  });
});

describe('mainline ordering', () => {
  // P3 -> P2 -> P1 mainline; Q -> P1 is a fork.
  function room(): RoomFactory {
    const r = new RoomFactory(v10, '!room:example.com');
    const pl = (id: string, auth: string[]): void => void r.add({ id, sender: ALICE, type: 'm.room.power_levels', state_key: '', content: {}, auth_events: auth });
    pl('P1', []);
    pl('P2', ['P1']);
    pl('P3', ['P2']);
    pl('Q', ['P1']);
    const topic = (id: string, auth: string[], ts: number): void =>
      void r.add({ id, sender: ALICE, type: 'm.room.topic', state_key: '', content: {}, auth_events: auth, origin_server_ts: ts });
    topic('t-p3', ['P3'], 1);
    topic('t-p2', ['P2'], 2);
    topic('t-q', ['Q'], 3);
    topic('t-none', [], 9);
    topic('t-p3-late', ['P3'], 4);
    topic('t-p3-tie-b', ['P3'], 4);
    return r;
  }

  it('builds the mainline from the power levels event backwards', () => {
    expect(mainlineOf('P3', new EventAccess(room().fetch, v10))).toEqual(['P3', 'P2', 'P1']);
    expect(mainlineOf(undefined, new EventAccess(room().fetch, v10))).toEqual([]);
  });

  it('orders by greater mainline position, then timestamp, then event id', () => {
    const order = mainlineSort(['t-p3-tie-b', 't-p3-late', 't-p3', 't-q', 't-p2', 't-none'], 'P3', new EventAccess(room().fetch, v10));
    // t-none: position ∞; t-q via Q -> P1: 2; t-p2: 1; the rest: 0
    expect(order).toEqual(['t-none', 't-q', 't-p2', 't-p3', 't-p3-late', 't-p3-tie-b']);
  });

  it('puts every event at position ∞ when there is no power levels event', () => {
    const order = mainlineSort(['t-p2', 't-p3', 't-none'], undefined, new EventAccess(room().fetch, v10));
    expect(order).toEqual(['t-p3', 't-p2', 't-none']);
  });
});
