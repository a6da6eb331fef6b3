// A conflict of 1,000 state events: two forks where each of 500 users joined on both sides
// (different events), and each side changed power levels 10 times. Prints how long resolution took
// (measurement only: no timing assertion).
import { describe, expect, it } from 'vitest';
import { stateKeyOf } from '../../../src/matrix/pdu.js';
import { roomVersionRules } from '../../../src/matrix/room-versions.js';
import { resolveStateWithTrace } from '../../../src/matrix/state-res/index.js';
import { RoomFactory } from './room-factory.js';

const ALICE = '@alice:example.com';
const USERS = 500;
const PL_CHANGES = 10;

function bigRoom(version: string): { room: RoomFactory; sets: Map<string, string>[]; forks: string[][] } {
  const rules = roomVersionRules(version);
  const v12 = rules.roomIdFromCreateEvent;
  const room = new RoomFactory(rules, '!big:example.com');
  const c = room.add({ id: '$create', sender: ALICE, type: 'm.room.create', state_key: '', content: v12 ? {} : { creator: ALICE } }).event_id;
  const auth = (...ids: string[]): string[] => (v12 ? ids : [c, ...ids]);
  const ma = room.add({ id: '$ma', sender: ALICE, type: 'm.room.member', state_key: ALICE, content: { membership: 'join' }, auth_events: auth() }).event_id;
  const pl0 = room.add({ id: '$pl0', sender: ALICE, type: 'm.room.power_levels', state_key: '', content: { users: v12 ? {} : { [ALICE]: 100 } }, auth_events: auth(ma) }).event_id;
  const jr = room.add({ id: '$jr', sender: ALICE, type: 'm.room.join_rules', state_key: '', content: { join_rule: 'public' }, auth_events: auth(ma, pl0) }).event_id;
  const sets: Map<string, string>[] = [];
  const forks: string[][] = [];
  for (const fork of ['a', 'b']) {
    const ids = [c, ma, jr];
    let pl = pl0;
    for (let i = 1; i <= PL_CHANGES; i++) {
      const users: Record<string, number> = v12 ? {} : { [ALICE]: 100 };
      users[`@${fork}${i}:example.com`] = i;
      pl = room.add({ id: `$pl-${fork}${i}`, sender: ALICE, type: 'm.room.power_levels', state_key: '', content: { users }, auth_events: auth(ma, pl) }).event_id;
    }
    ids.push(pl);
    for (let u = 0; u < USERS; u++) {
      const user = `@user${u}:example.com`;
      ids.push(room.add({ id: `$join-${fork}-${u}`, sender: user, type: 'm.room.member', state_key: user, content: { membership: 'join', displayname: fork }, auth_events: auth(pl, jr) }).event_id);
    }
    sets.push(room.stateOf(ids));
    forks.push(ids);
  }
  return { room, sets, forks };
}

describe('large conflict', () => {
  for (const version of ['10', '12']) {
    it(`resolves 1,000 conflicted state events (room version ${version})`, () => {
      const { room, sets } = bigRoom(version);
      const started = performance.now();
      const { state, trace } = resolveStateWithTrace({ stateSets: sets, fetchEvent: room.fetch, rules: room.rules });
      const ms = performance.now() - started;
      console.log(`state-res ${version}: ${trace.fullConflictedSet.length} events in the full conflicted set, resolved in ${ms.toFixed(1)} ms`);
      expect(trace.conflicted.size).toBe(USERS + 1);
      // Fork b wins. Power events: the two power-levels chains ($pl-a1…a10, $pl-b1…b10, all sent
      // by Alice, so equal sender power) are ordered by reverse topological power ordering; ties
      // break on origin_server_ts, and fork b was built after fork a (the factory's timestamps
      // increase), so $pl-a1…a10 come first and $pl-b10 is applied last: it is the resolved power
      // levels and the mainline. The joins of fork b cite $pl-b10 (mainline position 0); those of
      // fork a reach the mainline only at $pl0, deeper, so they sort first and fork b's joins,
      // applied after them, win every member key.
      expect(state.get(stateKeyOf('m.room.power_levels', ''))).toBe('$pl-b10');
      for (let u = 0; u < USERS; u++) {
        expect(state.get(stateKeyOf('m.room.member', `@user${u}:example.com`))).toBe(`$join-b-${u}`);
      }
      expect(state.size).toBe(USERS + 4);
    });
  }

  it('resolves 1,000 conflicted power events over a 5,000-event history (room version 10)', () => {
    const rules = roomVersionRules('10');
    const room = new RoomFactory(rules, '!deep:example.com');
    const c = room.add({ id: '$create', sender: ALICE, type: 'm.room.create', state_key: '', content: { creator: ALICE } }).event_id;
    const ma = room.add({ id: '$ma', sender: ALICE, type: 'm.room.member', state_key: ALICE, content: { membership: 'join' }, auth_events: [c] }).event_id;
    let pl = room.add({ id: '$pl0', sender: ALICE, type: 'm.room.power_levels', state_key: '', content: { users: { [ALICE]: 100 } }, auth_events: [c, ma] }).event_id;
    const jr = room.add({ id: '$jr', sender: ALICE, type: 'm.room.join_rules', state_key: '', content: { join_rule: 'public' }, auth_events: [c, ma, pl] }).event_id;
    const common = [c, ma, jr];
    // History: 5,000 joins, the power levels re-issued every 100 (so auth chains are deep).
    for (let u = 0; u < 5000; u++) {
      if (u % 100 === 0) pl = room.add({ id: `$h-pl${u}`, sender: ALICE, type: 'm.room.power_levels', state_key: '', content: { users: { [ALICE]: 100 }, users_default: u % 7 }, auth_events: [c, ma, pl] }).event_id;
      const user = `@h${u}:example.com`;
      common.push(room.add({ id: `$h-join${u}`, sender: user, type: 'm.room.member', state_key: user, content: { membership: 'join' }, auth_events: [c, pl, jr] }).event_id);
    }
    const sets = ['a', 'b'].map((fork) => {
      let last = pl;
      for (let i = 0; i < 500; i++) {
        last = room.add({ id: `$${fork}-pl${i}`, sender: ALICE, type: 'm.room.power_levels', state_key: '', content: { users: { [ALICE]: 100 }, ban: i % 50 }, auth_events: [c, ma, last] }).event_id;
      }
      return room.stateOf([...common, last]);
    });
    const started = performance.now();
    const { state, trace } = resolveStateWithTrace({ stateSets: sets, fetchEvent: room.fetch, rules });
    const ms = performance.now() - started;
    console.log(`state-res 10 (deep): ${trace.fullConflictedSet.length} events in the full conflicted set, resolved in ${ms.toFixed(1)} ms`);
    expect(trace.powerOrder.length).toBe(1000);
    // Same sender power and chains of equal length: the timestamps decide, fork b's events are newer.
    expect(state.get(stateKeyOf('m.room.power_levels', ''))).toBe('$b-pl499');
    expect(state.size).toBe(5004);
  });
});
