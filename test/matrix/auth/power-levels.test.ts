import { describe, expect, it } from 'vitest';
import { parsePowerLevel, requiredPowerLevelForEvent, userPowerLevel } from '../../../src/matrix/auth/index.js';
import { stateKeyOf, toPdu } from '../../../src/matrix/pdu.js';
import type { JsonObject, Pdu } from '../../../src/matrix/pdu.js';
import { roomVersionRules } from '../../../src/matrix/room-versions.js';
import type { RoomVersionRules } from '../../../src/matrix/room-versions.js';

function state(rules: RoomVersionRules, events: JsonObject[]): Map<string, Pdu> {
  return new Map(
    events.map((e, i) => {
      const p = toPdu({ room_id: '!r:a.example', prev_events: [], auth_events: [], ...e }, rules, `$e${i}`);
      return [stateKeyOf(p.type, p.state_key!), p];
    }),
  );
}
const create = (rules: RoomVersionRules, content: JsonObject = {}): JsonObject => ({
  type: 'm.room.create', state_key: '', sender: '@alice:a.example',
  content: { ...(rules.implicitRoomCreator ? {} : { creator: '@alice:a.example' }), ...content },
});

describe('power levels', () => {
  it('parses values per room version', () => {
    const v1 = roomVersionRules('1');
    const v6 = roomVersionRules('6');
    const v10 = roomVersionRules('10');
    expect(parsePowerLevel(' +050 ', v1)).toBe(50);
    expect(parsePowerLevel('-7', v6)).toBe(-7);
    expect(parsePowerLevel('50', v10)).toBeUndefined();
    expect(parsePowerLevel('5.0', v1)).toBeUndefined();
    expect(parsePowerLevel(51146.98, v1)).toBe(51146);
    expect(parsePowerLevel(50.5, v6)).toBeUndefined();
    expect(parsePowerLevel(true, v1)).toBeUndefined();
    expect(parsePowerLevel(null, v1)).toBeUndefined();
    // forms outside the spec's format: Python's int() refuses the first four and reads "5_0" as 50,
    // which the spec's format (and ruma, gomatrixserverlib) do not allow
    for (const s of ['1e2', '', ' ', '+-5', '5_0']) expect(parsePowerLevel(s, v6)).toBeUndefined();
  });

  it('gives the creator 100 and others 0 without a power levels event', () => {
    for (const v of ['1', '11']) {
      const rules = roomVersionRules(v);
      const s = state(rules, [create(rules)]);
      expect(userPowerLevel('@alice:a.example', s, rules)).toBe(100);
      expect(userPowerLevel('@bob:b.example', s, rules)).toBe(0);
      expect(requiredPowerLevelForEvent({ type: 'm.room.name', state_key: '' }, s, rules)).toBe(50);
      expect(requiredPowerLevelForEvent({ type: 'm.room.message' }, s, rules)).toBe(0);
    }
  });

  it('v11 reads the creator from the sender, earlier versions from content.creator', () => {
    const v10 = roomVersionRules('10');
    const s = state(v10, [{ ...create(v10), content: { creator: '@other:a.example' } }]);
    expect(userPowerLevel('@alice:a.example', s, v10)).toBe(0);
    expect(userPowerLevel('@other:a.example', s, v10)).toBe(100);
  });

  it('reads users, users_default, events, state_default and events_default', () => {
    const rules = roomVersionRules('9');
    const s = state(rules, [
      create(rules),
      { type: 'm.room.power_levels', state_key: '', sender: '@alice:a.example', content: { users: { '@bob:b.example': '75' }, users_default: 5, events: { 'm.room.topic': 20, constructor: 3 }, state_default: 40, events_default: '2' } },
    ]);
    expect(userPowerLevel('@bob:b.example', s, rules)).toBe(75);
    expect(userPowerLevel('@alice:a.example', s, rules)).toBe(5);
    expect(requiredPowerLevelForEvent({ type: 'm.room.topic', state_key: '' }, s, rules)).toBe(20);
    expect(requiredPowerLevelForEvent({ type: 'x.state', state_key: '' }, s, rules)).toBe(40);
    expect(requiredPowerLevelForEvent({ type: 'x.msg' }, s, rules)).toBe(2);
    // prototype names are ordinary keys
    expect(requiredPowerLevelForEvent({ type: 'constructor' }, s, rules)).toBe(3);
    expect(requiredPowerLevelForEvent({ type: '__proto__' }, s, rules)).toBe(2);
  });

  it('v12 creators have unlimited power, whatever the power levels say', () => {
    const rules = roomVersionRules('12');
    const s = state(rules, [
      create(rules, { additional_creators: ['@zed:z.example'] }),
      { type: 'm.room.power_levels', state_key: '', sender: '@alice:a.example', content: { users: { '@bob:b.example': 100 } } },
    ]);
    expect(userPowerLevel('@alice:a.example', s, rules)).toBe(Infinity);
    expect(userPowerLevel('@zed:z.example', s, rules)).toBe(Infinity);
    expect(userPowerLevel('@bob:b.example', s, rules)).toBe(100);
    // additional creators are not privileged before v12
    const v11 = roomVersionRules('11');
    const s11 = state(v11, [create(v11, { additional_creators: ['@zed:z.example'] })]);
    expect(userPowerLevel('@zed:z.example', s11, v11)).toBe(0);
  });
});
