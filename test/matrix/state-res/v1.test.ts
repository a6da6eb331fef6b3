// Room version 1 state resolution, https://spec.matrix.org/v1.16/rooms/v1/#state-resolution
import { describe, expect, it } from 'vitest';
import { stateKeyOf } from '../../../src/matrix/pdu.js';
import { roomVersionRules } from '../../../src/matrix/room-versions.js';
import { RoomFactory } from './room-factory.js';

const ALICE = '@alice:example.com';
const BOB = '@bob:example.com';
const CHARLIE = '@charlie:example.com';
const J = { membership: 'join' };
const v1 = roomVersionRules('1');
const v2 = roomVersionRules('2');

function baseRoom(rules = v1): { room: RoomFactory; common: string[]; auth: Record<string, string[]> } {
  const room = new RoomFactory(rules, '!room:example.com');
  const c = room.add({ id: '$create:example.com', sender: ALICE, type: 'm.room.create', state_key: '', content: { creator: ALICE }, depth: 1 }).event_id;
  const ma = room.add({ id: '$ma:example.com', sender: ALICE, type: 'm.room.member', state_key: ALICE, content: J, auth_events: [c], depth: 2 }).event_id;
  const pl = room.add({ id: '$pl:example.com', sender: ALICE, type: 'm.room.power_levels', state_key: '', content: { users: { [ALICE]: 100, [BOB]: 50 } }, auth_events: [c, ma], depth: 3 }).event_id;
  const jr = room.add({ id: '$jr:example.com', sender: ALICE, type: 'm.room.join_rules', state_key: '', content: { join_rule: 'public' }, auth_events: [c, ma, pl], depth: 4 }).event_id;
  const mb = room.add({ id: '$mb:example.com', sender: BOB, type: 'm.room.member', state_key: BOB, content: J, auth_events: [c, pl, jr], depth: 5 }).event_id;
  return { room, common: [c, ma, pl, jr, mb], auth: { alice: [c, ma, pl], bob: [c, mb, pl] } };
}

describe('state resolution v1', () => {
  it('picks the allowed topic with the highest depth', () => {
    const { room, common, auth } = baseRoom();
    const low = room.add({ id: '$t-low:example.com', sender: ALICE, type: 'm.room.topic', state_key: '', content: {}, auth_events: auth.alice, depth: 9, origin_server_ts: 999 });
    const high = room.add({ id: '$t-high:example.com', sender: BOB, type: 'm.room.topic', state_key: '', content: {}, auth_events: auth.bob, depth: 10, origin_server_ts: 1 });
    expect(room.resolve([room.stateOf([...common, low.event_id]), room.stateOf([...common, high.event_id])])).toEqual(room.stateOf([...common, high.event_id]));
  });

  it('breaks a depth tie on the lowest sha1(event_id)', () => {
    // sha1("$t-y:example.com") = 5ebc…, sha1("$t-x:example.com") = 9c07…
    const { room, common, auth } = baseRoom();
    const x = room.add({ id: '$t-x:example.com', sender: ALICE, type: 'm.room.topic', state_key: '', content: {}, auth_events: auth.alice, depth: 9 });
    const y = room.add({ id: '$t-y:example.com', sender: ALICE, type: 'm.room.topic', state_key: '', content: {}, auth_events: auth.alice, depth: 9 });
    expect(room.resolve([room.stateOf([...common, x.event_id]), room.stateOf([...common, y.event_id])]).get(stateKeyOf('m.room.topic', ''))).toBe(y.event_id);
  });

  it('skips a topic not allowed in R and takes the next one', () => {
    const { room, common, auth } = baseRoom();
    const ok = room.add({ id: '$t-ok:example.com', sender: ALICE, type: 'm.room.topic', state_key: '', content: {}, auth_events: auth.alice, depth: 9 });
    const outsider = room.add({ id: '$t-out:example.com', sender: CHARLIE, type: 'm.room.topic', state_key: '', content: {}, auth_events: auth.alice, depth: 10 });
    expect(room.resolve([room.stateOf([...common, ok.event_id]), room.stateOf([...common, outsider.event_id])]).get(stateKeyOf('m.room.topic', ''))).toBe(ok.event_id);
  });

  it('resolves power levels from the lowest depth up, stopping at the first one not allowed', () => {
    const { room, common, auth } = baseRoom();
    const base = common.filter((id) => id !== '$pl:example.com');
    // Bob (50) tries to make himself 100: not allowed on top of Alice's newer power levels.
    const alice = room.add({ id: '$pl-a:example.com', sender: ALICE, type: 'm.room.power_levels', state_key: '', content: { users: { [ALICE]: 100, [BOB]: 50 }, state_default: 40 }, auth_events: auth.alice, depth: 6 });
    const bob = room.add({ id: '$pl-b:example.com', sender: BOB, type: 'm.room.power_levels', state_key: '', content: { users: { [ALICE]: 100, [BOB]: 100 } }, auth_events: auth.bob, depth: 7 });
    const result = room.resolve([room.stateOf([...base, alice.event_id]), room.stateOf([...base, bob.event_id])]);
    expect(result.get(stateKeyOf('m.room.power_levels', ''))).toBe(alice.event_id);
    // Bob's harmless change goes in first (lower depth); Alice lowering Bob is allowed on top: hers wins.
    const bob2 = room.add({ id: '$pl-b2:example.com', sender: BOB, type: 'm.room.power_levels', state_key: '', content: { users: { [ALICE]: 100, [BOB]: 50 }, events: { 'm.room.topic': 50 } }, auth_events: auth.bob, depth: 7 });
    const alice2 = room.add({ id: '$pl-a2:example.com', sender: ALICE, type: 'm.room.power_levels', state_key: '', content: { users: { [ALICE]: 100, [BOB]: 0 } }, auth_events: auth.alice, depth: 8 });
    const result2 = room.resolve([room.stateOf([...base, alice2.event_id]), room.stateOf([...base, bob2.event_id])]);
    expect(result2.get(stateKeyOf('m.room.power_levels', ''))).toBe(alice2.event_id);
  });

  it('does not treat a key missing from one state as a conflict (v2 does)', () => {
    for (const rules of [v1, v2]) {
      const { room, common, auth } = baseRoom(rules);
      const outsider = room.add({ id: '$t-out:example.com', sender: CHARLIE, type: 'm.room.topic', state_key: '', content: {}, auth_events: auth.alice, depth: 10 });
      const result = room.resolve([room.stateOf(common), room.stateOf([...common, outsider.event_id])]);
      expect(result.get(stateKeyOf('m.room.topic', ''))).toBe(rules === v1 ? outsider.event_id : undefined);
    }
  });
});
