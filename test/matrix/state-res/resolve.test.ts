import { describe, expect, it } from 'vitest';
import { MatrixFormatError } from '../../../src/matrix/matrix-format-error.js';
import { stateKeyOf } from '../../../src/matrix/pdu.js';
import { roomVersionRules, type RoomVersionRules } from '../../../src/matrix/room-versions.js';
import { resolveState, resolveStateWithTrace, separateStateSets } from '../../../src/matrix/state-res/index.js';
import { RoomFactory } from './room-factory.js';

const ALICE = '@alice:example.com';
const BOB = '@bob:example.com';
const CHARLIE = '@charlie:example.com';
const J = { membership: 'join' };

/** create, Alice joined, power levels (Alice 100, Bob 50), public join rules, Bob joined. */
function baseRoom(rules: RoomVersionRules): { room: RoomFactory; ids: Record<string, string> } {
  const room = new RoomFactory(rules, '!room:example.com');
  const v12 = rules.roomIdFromCreateEvent;
  const c = room.add({ id: '$create', sender: ALICE, type: 'm.room.create', state_key: '', content: v12 ? {} : { creator: ALICE } }).event_id;
  const withCreate = (auth: string[]): string[] => (v12 ? auth : [c, ...auth]);
  const ma = room.add({ id: '$ma', sender: ALICE, type: 'm.room.member', state_key: ALICE, content: J, auth_events: withCreate([]) }).event_id;
  const users: Record<string, number> = v12 ? { [BOB]: 50 } : { [ALICE]: 100, [BOB]: 50 };
  const pl = room.add({ id: '$pl', sender: ALICE, type: 'm.room.power_levels', state_key: '', content: { users }, auth_events: withCreate([ma]) }).event_id;
  const jr = room.add({ id: '$jr', sender: ALICE, type: 'm.room.join_rules', state_key: '', content: { join_rule: 'public' }, auth_events: withCreate([ma, pl]) }).event_id;
  const mb = room.add({ id: '$mb', sender: BOB, type: 'm.room.member', state_key: BOB, content: J, auth_events: withCreate([pl, jr]) }).event_id;
  return { room, ids: { c, ma, pl, jr, mb } };
}

describe('separateStateSets', () => {
  it('treats a key missing from some state set as conflicted', () => {
    const a = new Map([['k1', 'e1'], ['k2', 'e2']]);
    const b = new Map([['k1', 'e1'], ['k2', 'e3'], ['k3', 'e4']]);
    const { unconflicted, conflicted } = separateStateSets([a, b]);
    expect(unconflicted).toEqual(new Map([['k1', 'e1']]));
    expect(conflicted).toEqual(new Map([['k2', new Set(['e2', 'e3'])], ['k3', new Set(['e4'])]]));
  });
});

describe('resolveState', () => {
  const v10 = roomVersionRules('10');

  it('returns the unconflicted state when nothing conflicts, without fetching anything', () => {
    const state = new Map([[stateKeyOf('m.room.create', ''), '$unknown']]);
    const fetchEvent = (): undefined => {
      throw new Error('must not fetch');
    };
    expect(resolveState({ stateSets: [state, new Map(state)], fetchEvent, rules: v10 })).toEqual(state);
    expect(resolveState({ stateSets: [], fetchEvent, rules: v10 })).toEqual(new Map());
  });

  it('keeps a state event only one fork has when it passes the checks', () => {
    const { room, ids } = baseRoom(v10);
    const charlie = room.add({ id: '$mc', sender: CHARLIE, type: 'm.room.member', state_key: CHARLIE, content: J, auth_events: [ids.c, ids.pl, ids.jr] });
    const common = [ids.c, ids.ma, ids.pl, ids.jr, ids.mb];
    const result = room.resolve([room.stateOf(common), room.stateOf([...common, charlie.event_id])]);
    expect(result).toEqual(room.stateOf([...common, charlie.event_id]));
  });

  it('drops a conflicted member event the resolved power levels no longer allow (ban beats promotion)', () => {
    const { room, ids } = baseRoom(v10);
    const ban = room.add({ id: '$ban', sender: ALICE, type: 'm.room.member', state_key: BOB, content: { membership: 'ban' }, auth_events: [ids.c, ids.ma, ids.pl, ids.mb] });
    const bobTopic = room.add({ id: '$topic', sender: BOB, type: 'm.room.topic', state_key: '', content: { topic: 'hi' }, auth_events: [ids.c, ids.mb, ids.pl] });
    const common = [ids.c, ids.ma, ids.pl, ids.jr];
    const { state, trace } = resolveStateWithTrace({
      stateSets: [room.stateOf([...common, ban.event_id]), room.stateOf([...common, ids.mb, bobTopic.event_id])],
      fetchEvent: room.fetch,
      rules: v10,
    });
    expect(state).toEqual(room.stateOf([...common, ban.event_id]));
    // Bob's join is conflicted with the ban and in its auth chain: sorted with the power events.
    expect(trace.powerOrder).toEqual([ids.mb, ban.event_id]);
    expect(trace.mainlineOrder).toEqual([bobTopic.event_id]);
    expect(trace.authChecks.find((o) => o.eventId === bobTopic.event_id)).toMatchObject({ applied: false });
  });

  it('never admits a rejected power levels event, even when the rules would allow it', () => {
    const { room, ids } = baseRoom(v10);
    const good = room.add({ id: '$pl-good', sender: ALICE, type: 'm.room.power_levels', state_key: '', content: { users: { [ALICE]: 100, [BOB]: 60 } }, auth_events: [ids.c, ids.ma, ids.pl], origin_server_ts: 100 });
    const rejected = room.add({ id: '$pl-rejected', sender: ALICE, type: 'm.room.power_levels', state_key: '', content: { users: { [ALICE]: 100, [BOB]: 70 } }, auth_events: [ids.c, ids.ma, ids.pl], origin_server_ts: 200, rejected: true });
    const common = [ids.c, ids.ma, ids.jr, ids.mb];
    const { state, trace } = resolveStateWithTrace({ stateSets: [room.stateOf([...common, good.event_id]), room.stateOf([...common, rejected.event_id])], fetchEvent: room.fetch, rules: v10 });
    expect(state.get(stateKeyOf('m.room.power_levels', ''))).toBe(good.event_id);
    expect(trace.authChecks).toContainEqual({ eventId: rejected.event_id, applied: false, reason: 'rejected' });
  });

  it('does not use a rejected auth event: the event then fails for want of it', () => {
    const { room, ids } = baseRoom(v10);
    // Charlie's join cites a rejected join rules event and no other; the state sets carry no join rules.
    const badJr = room.add({ id: '$jr-bad', sender: ALICE, type: 'm.room.join_rules', state_key: '', content: { join_rule: 'public' }, auth_events: [ids.c, ids.ma, ids.pl], rejected: true });
    const mc = room.add({ id: '$mc', sender: CHARLIE, type: 'm.room.member', state_key: CHARLIE, content: J, auth_events: [ids.c, ids.pl, badJr.event_id] });
    const common = [ids.c, ids.ma, ids.pl];
    const result = room.resolve([room.stateOf(common), room.stateOf([...common, mc.event_id])]);
    expect(result).toEqual(room.stateOf(common));
  });

  it('names an unknown conflicted event in a MatrixFormatError', () => {
    const { room, ids } = baseRoom(v10);
    const a = room.stateOf([ids.c, ids.jr]);
    const b = new Map(a).set(stateKeyOf('m.room.join_rules', ''), '$nowhere');
    expect(() => room.resolve([a, b])).toThrowError(MatrixFormatError);
    expect(() => room.resolve([a, b])).toThrowError(/\$nowhere/);
  });

  it('refuses to resolve events of different rooms', () => {
    const { room, ids } = baseRoom(v10);
    const topic = room.add({ id: '$here', sender: ALICE, type: 'm.room.topic', state_key: '', content: {}, auth_events: [ids.c, ids.ma, ids.pl] });
    room.roomId = '!other:example.com';
    const other = room.add({ id: '$other', sender: ALICE, type: 'm.room.topic', state_key: '', content: {}, auth_events: [ids.c, ids.ma, ids.pl] });
    expect(() => room.resolve([room.stateOf([ids.c, topic.event_id]), room.stateOf([ids.c, other.event_id])])).toThrowError(/mixes rooms/);
  });

  it('v2.1 (room version 12) reports the conflicted subgraph and starts from an empty state', () => {
    const v12 = roomVersionRules('12');
    const { room, ids } = baseRoom(v12);
    // pl2 (Alice) cites pl; the fork keeps pl. mb cites pl too, so the subgraph is pl -> pl2 only.
    const pl2 = room.add({ id: '$pl2', sender: ALICE, type: 'm.room.power_levels', state_key: '', content: { users: { [BOB]: 60 } }, auth_events: [ids.ma, ids.pl] });
    const common = [ids.c, ids.ma, ids.jr, ids.mb];
    const { state, trace } = resolveStateWithTrace({ stateSets: [room.stateOf([...common, ids.pl]), room.stateOf([...common, pl2.event_id])], fetchEvent: room.fetch, rules: v12 });
    expect(state).toEqual(room.stateOf([...common, pl2.event_id]));
    expect(new Set(trace.conflictedSubgraph)).toEqual(new Set([ids.pl, pl2.event_id]));
    expect(trace.fullConflictedSet).not.toContain(ids.c);
    expect(trace.powerOrder).toEqual([ids.pl, pl2.event_id]);
  });
});
