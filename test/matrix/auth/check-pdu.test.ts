import { describe, expect, it } from 'vitest';
import { checkAgainstState, checkAuthEvents, checkAuthRules } from '../../../src/matrix/auth/index.js';
import { stateKeyOf, toPdu } from '../../../src/matrix/pdu.js';
import type { JsonObject, JsonValue, Pdu } from '../../../src/matrix/pdu.js';
import { roomVersionRules } from '../../../src/matrix/room-versions.js';
import { ALICE, BOB, CAROL, DAVE, RoomBuilder } from './support/room-builder.js';

function setup(v: string) {
  const rules = roomVersionRules(v);
  const b = new RoomBuilder(rules, `p${v}`);
  const raw = b.state('invite');
  const pdus = raw.map((e) => toPdu(e, rules, e.event_id as string));
  const state = new Map(pdus.map((e) => [stateKeyOf(e.type, e.state_key!), e]));
  const get = (type: string, sk: string) => state.get(stateKeyOf(type, sk))!;
  const pdu = (e: JsonObject, rejected = false) => toPdu(e, rules, e.event_id as string, { rejected });
  return { rules, b, pdus, state, get, pdu };
}

describe('checkAuthEvents (receipt step 4)', () => {
  it('accepts a message citing exactly its selected auth events (v10) and names the deciding rule', () => {
    const { rules, b, pdus, get, pdu } = setup('10');
    const ids = [get('m.room.create', ''), get('m.room.power_levels', ''), get('m.room.member', CAROL)].map((e) => e.event_id);
    const res = checkAuthEvents(pdu(b.ev('m.room.message', CAROL, { body: 'x' }, { auth: ids })), pdus, rules);
    expect(res).toMatchObject({ allowed: true, rule: 'allow.default' });
    expect(res.trace.map((s) => s.rule)).toContain('auth-events.duplicate');
  });

  it('v12: the create event is supplied but not cited; citing it is refused', () => {
    const { rules, b, pdus, get, pdu } = setup('12');
    const create = get('m.room.create', '');
    const ids = [get('m.room.power_levels', ''), get('m.room.member', CAROL)].map((e) => e.event_id);
    expect(checkAuthEvents(pdu(b.ev('m.room.message', CAROL, {}, { auth: ids })), pdus, rules).allowed).toBe(true);
    const cited = checkAuthEvents(pdu(b.ev('m.room.message', CAROL, {}, { auth: [create.event_id, ...ids] })), pdus, rules);
    expect(cited).toMatchObject({ allowed: false, rule: 'auth-events.create-listed' });
    // without the create event available, rule 2 refuses
    const without = checkAuthEvents(pdu(b.ev('m.room.message', CAROL, {}, { auth: ids })), pdus.filter((e) => e !== create), rules);
    expect(without).toMatchObject({ allowed: false, rule: 'room-id.create-event' });
  });

  it('v12: rule 2 (the room id is the create event) is applied before the auth events list (rule 3)', () => {
    const { rules, b, pdus, get, pdu } = setup('12');
    const create = get('m.room.create', '');
    const ids = [get('m.room.power_levels', '').event_id, get('m.room.member', CAROL).event_id, '$gone:x.example'];
    const both = checkAuthEvents(pdu(b.ev('m.room.message', CAROL, {}, { auth: ids })), pdus.filter((e) => e !== create), rules);
    expect(both).toMatchObject({ allowed: false, rule: 'room-id.create-event' });
    expect(both.trace).toEqual([{ rule: 'room-id.create-event', outcome: 'deny', note: both.reason }]);
    const listOnly = checkAuthEvents(pdu(b.ev('m.room.message', CAROL, {}, { auth: ids })), pdus, rules);
    expect(listOnly).toMatchObject({ allowed: false, outcome: 'undecided', rule: 'auth-events.missing', missing: ['$gone:x.example'] });
    expect(listOnly.trace.map((s) => `${s.rule}:${s.outcome}`)).toEqual(['room-id.create-event:pass', 'auth-events.missing:undecided']);
  });

  it('records each rule once, in order, with the create checks done by the list rules (v10)', () => {
    const { rules, b, pdus, get, pdu } = setup('10');
    const ids = [get('m.room.create', ''), get('m.room.power_levels', ''), get('m.room.member', CAROL)].map((e) => e.event_id);
    const res = checkAuthEvents(pdu(b.ev('m.room.message', CAROL, { body: 'x' }, { auth: ids })), pdus, rules);
    expect(res.trace.map((s) => `${s.rule}:${s.outcome}`)).toEqual([
      'auth-events.missing:pass',
      'auth-events.duplicate:pass',
      'auth-events.unexpected:pass',
      'auth-events.rejected:pass',
      'auth-events.no-create:pass',
      'auth-events.wrong-room:pass',
      'federate.disallowed:pass',
      'events.sender-not-joined:pass',
      'events.sender-power:pass',
      'events.state-key-user:pass',
      'allow.default:allow',
    ]);
    // the pass steps are shared constants, not made per check
    const again = checkAuthEvents(pdu(b.ev('m.room.message', CAROL, { body: 'y' }, { auth: ids })), pdus, rules);
    expect(again.trace[0]).toBe(res.trace[0]);
    expect(Object.isFrozen(res.trace[0])).toBe(true);
  });

  it('explains a rejected auth event', () => {
    const { rules, b, pdus, get, pdu } = setup('10');
    const pl = get('m.room.power_levels', '');
    const rejectedPl = toPdu(pl.raw, rules, pl.event_id, { rejected: true });
    const list = pdus.map((e) => (e === pl ? rejectedPl : e));
    const ids = [get('m.room.create', ''), pl, get('m.room.member', CAROL)].map((e) => e.event_id);
    const res = checkAuthEvents(pdu(b.ev('m.room.message', CAROL, {}, { auth: ids })), list, rules);
    expect(res).toMatchObject({ allowed: false, rule: 'auth-events.rejected' });
    expect(res.reason).toBe(`auth event ${pl.event_id} (m.room.power_levels) was itself rejected`);
  });

  it('refuses a missing, duplicate, non-state or unselected auth event', () => {
    const { rules, b, pdus, get, pdu } = setup('6');
    const base = [get('m.room.create', ''), get('m.room.power_levels', ''), get('m.room.member', CAROL)].map((e) => e.event_id);
    const msg = pdu(b.ev('m.room.message', CAROL, {}));
    const extraMember = pdu(b.member(CAROL, 'join', CAROL, { displayname: 'again' }));
    const cases: Array<[string[], Pdu[], string]> = [
      [[...base, '$gone:x'], pdus, 'auth-events.missing'],
      [[...base, extraMember.event_id], [...pdus, extraMember], 'auth-events.duplicate'],
      [[...base, msg.event_id], [...pdus, msg], 'auth-events.unexpected'],
      [[...base, get('m.room.member', DAVE).event_id], pdus, 'auth-events.unexpected'],
      [base.slice(1), pdus, 'auth-events.no-create'],
    ];
    for (const [ids, list, rule] of cases) {
      const res = checkAuthEvents(pdu(b.ev('m.room.message', CAROL, {}, { auth: ids })), list, rules);
      expect(res).toMatchObject({ allowed: false, rule });
    }
  });
});

describe('checkAgainstState (receipt steps 5 and 6)', () => {
  it('selects from the whole state and catches a ban the auth events did not know (soft failure)', () => {
    const { rules, b, state, pdu } = setup('10');
    const msg = pdu(b.ev('m.room.message', CAROL, { body: 'x' }));
    expect(checkAgainstState(msg, state, rules)).toMatchObject({ allowed: true, rule: 'allow.default' });
    const banned = new Map(state);
    const ban = pdu(b.member(CAROL, 'ban', BOB));
    banned.set(stateKeyOf('m.room.member', CAROL), ban);
    expect(checkAgainstState(msg, banned, rules)).toMatchObject({ allowed: false, rule: 'events.sender-not-joined' });
  });

  it('checks a create event on its own', () => {
    const { rules, b, pdu } = setup('11');
    expect(checkAgainstState(pdu(b.create()), new Map(), rules)).toMatchObject({ allowed: true, rule: 'create.allow' });
  });
});

describe('hostile content', () => {
  const junk: JsonValue[] = [null, 1, -1.5, 'x', [], [1, 'a'], {}, { '': null }, { __proto__: 1 } as JsonValue, true];
  it('never throws, whatever the content of the event and of its auth events', () => {
    for (const v of ['1', '6', '8', '10', '11', '12']) {
      const { rules, b, state, pdu } = setup(v);
      for (const j of junk) {
        const mutated = new Map(state);
        for (const [k, e] of state) {
          const content = { ...e.content, membership: j, join_rule: j, users: j, events: j, creator: j, additional_creators: j, 'm.federate': j } as JsonObject;
          mutated.set(k, { ...e, content });
        }
        for (const type of ['m.room.member', 'm.room.power_levels', 'm.room.message', 'm.room.third_party_invite', 'm.room.redaction', 'm.room.aliases', 'm.room.create']) {
          const content = { membership: j, third_party_invite: j, join_authorised_via_users_server: j, users: j, events: j, notifications: j, ban: j, room_version: j, additional_creators: j } as JsonObject;
          const ev = pdu(b.ev(type, ALICE, content, { state_key: ALICE }));
          for (const s of [state, mutated]) {
            const res = checkAuthRules(ev, s, rules);
            expect(typeof res.allowed).toBe('boolean');
            expect(res.reason.length).toBeLessThan(600);
          }
        }
      }
    }
  });
});
