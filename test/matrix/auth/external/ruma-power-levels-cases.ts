/**
 * ruma's m.room.power_levels tests (crates/ruma-state-res/src/event_auth/tests/room_power_levels.rs),
 * except creator_has_infinite_power and dont_allow_creator_in_users_field (already in ruma.json).
 *
 * ruma calls check_room_power_levels(event, current power levels, rules, sender level, creators)
 * directly. Here the event runs through every rule against a room state that yields the same inputs:
 * the create event (Alice), Alice joined, the current power levels event, Bob joined. Where Bob (40)
 * is the sender, both the current and the new contents also carry events {"m.room.power_levels": 40},
 * unchanged, so that Bob may send the event at all (the default state_default is 50).
 */
import type { JsonObject, JsonValue } from '../../../../src/matrix/pdu.js';
import type { ExternalGroup } from './external-vectors.js';
import { ALICE, BOB, RumaRoom, ZARA, minimalState } from './ruma-room.js';

export const POWER_LEVELS_PATH = 'crates/ruma-state-res/src/event_auth/tests/room_power_levels.rs';
const INT_FIELDS = ['users_default', 'events_default', 'state_default', 'ban', 'redact', 'kick', 'invite'];
/** The (is_string, is_int) combinations ruma tries: "foo", "50", 50. */
const VALUES: JsonValue[] = ['foo', '50', 50];
const BOB_MAY_SEND = { 'm.room.power_levels': 40 };

const V6_NOT_A_LEVEL_NOTE =
  'Before v10 the spec validates only users (v6 rule 9.1: "If the users property in content is not an object with keys that are valid user IDs with ' +
  'values that are integers (or a string that is an integer), reject."); the check "If any of the properties users_default, events_default, ' +
  'state_default, ban, redact, kick, or invite in content are present and not an integer, reject." (and its events/notifications twin) arrives in v10. ' +
  'Here rules 9.3–9.5 compare the values with the sender\'s level ("If the new value is higher than the sender\'s current power level, reject."), ' +
  'which is undefined for "foo". Every implementation refuses the event: ruma here, gomatrixserverlib cannot parse the content (levelJSONValue), and ' +
  'Synapse\'s _check_power_levels raises from int() when there is a previous power levels event. We refuse it too, naming ' +
  'power-levels.value-not-a-level (numbered 9.3, the first comparison it makes impossible); see src/matrix/auth/check-power-levels-change.ts.';

function room(version: string, currentId: string, current: JsonObject | undefined, withBob: boolean): RumaRoom {
  const r = new RumaRoom(version);
  r.addMember('$room-member-alice-join', ALICE, { kind: 'join' });
  if (current) r.add(r.prepare(minimalState(currentId, ALICE, 'm.room.power_levels', '', current)));
  if (withBob) r.addMember('$room-member-bob-join', BOB, { kind: 'join' });
  return r;
}

function incoming(r: RumaRoom, id: string, sender: string, content: JsonObject): JsonObject {
  return { ...minimalState(id, sender, 'm.room.power_levels', '', content), room_id: r.roomId };
}

function group(test: string, line: number, r: RumaRoom, cases: Extract<ExternalGroup, { check: 'state' }>['cases'], suffix = '', note?: string): ExternalGroup {
  return {
    name: `${test}${suffix} (v${r.version})`,
    room_version: r.version,
    source_test: `${POWER_LEVELS_PATH}:${line} ${test}`,
    ...(note ? { note } : {}),
    check: 'state',
    state: structuredClone(r.stateEvents()),
    cases,
  };
}

/** not_int_or_string_int_in_{content,events,notifications,users}: Alice (100) sends the initial levels plus one value. */
function notIntGroups(test: string, line: number, place: (content: JsonObject, v: JsonValue) => string, rule: string): ExternalGroup[] {
  return ['6', '10'].map((version) => {
    const r = room(version, '$room-power-levels-initial', { users: { [ALICE]: 100 } }, false);
    const cases = [];
    for (const fieldSet of test.endsWith('content') ? INT_FIELDS : ['']) {
      for (const v of VALUES) {
        const content: JsonObject = { users: { [ALICE]: 100 } };
        const field = fieldSet || place(content, v);
        if (fieldSet) content[fieldSet] = v;
        const isInt = v !== 'foo';
        const isString = typeof v === 'string';
        const rumaAllows = version === '6' ? isInt : !isString;
        const notALevelV6 = version === '6' && !isInt && !test.endsWith('users');
        const rumaReason = version === '6'
          ? `unexpected format of \`${field}\` field in \`content\` of \`m.room.power_levels\` event: invalid digit found in string`
          : `unexpected format of \`${field}\` field in \`content\` of \`m.room.power_levels\` event: invalid type: string "${v as string}", expected i64`;
        cases.push({
          event: incoming(r, `$room-power-levels-${fieldSet ? 'field' : field === 'users' ? 'bar' : field}`, ALICE, content),
          allowed: rumaAllows,
          rule: rumaAllows ? 'power-levels.allow' : notALevelV6 ? 'power-levels.value-not-a-level' : fieldSet ? 'power-levels.non-integer' : rule,
          ...(rumaAllows ? {} : { source_reason: rumaReason }),
          ...(notALevelV6 ? { note: V6_NOT_A_LEVEL_NOTE } : {}),
        });
      }
    }
    return group(test, line, r, cases);
  });
}

/** A change by Bob (40) from `current` to `next`, both with BOB_MAY_SEND in events. */
function change(test: string, line: number, version: string, current: JsonObject, next: JsonObject, allowed: boolean, rule: string, reason: string, suffix = ''): ExternalGroup {
  const withEvents = (c: JsonObject): JsonObject => ({ ...c, events: { ...((c.events as JsonObject | undefined) ?? {}), ...BOB_MAY_SEND } });
  const r = room(version, '$room-power-levels-current', withEvents(current), true);
  return group(test, line, r, [{ event: incoming(r, suffix ? '$room-power-levels-field' : '$room-power-levels-incoming', BOB, withEvents(next)), allowed, rule, source_reason: reason }], suffix);
}

const base = (extra: JsonObject = {}): JsonObject => ({ users: { [ALICE]: 100, [BOB]: 40 }, ...extra });
const tooMuch = (what: string): string => `sender does not have enough power to change ${what}`;

export function powerLevelsGroups(): ExternalGroup[] {
  const groups: ExternalGroup[] = [
    ...notIntGroups('not_int_or_string_int_in_content', 49, () => '', 'power-levels.non-integer'),
    ...notIntGroups('not_int_or_string_int_in_events', 126, (c, v) => ((c.events = { bar: v }), 'events'), 'power-levels.events-map'),
    ...notIntGroups('not_int_or_string_int_in_notifications', 198, (c, v) => ((c.notifications = { room: v }), 'notifications'), 'power-levels.events-map'),
  ];
  {
    const r = room('6', '$room-power-levels-initial', { users: { [ALICE]: 100 } }, false);
    groups.push(group('not_user_id_in_users', 270, r, [{
      event: incoming(r, '$room-power-levels-spambot', ALICE, { users: { [ALICE]: 100, spambot: -1 } }), allowed: false, rule: 'power-levels.users-map',
      source_reason: 'unexpected format of `users` field in `content` of `m.room.power_levels` event: leading sigil is incorrect or missing',
    }]));
  }
  groups.push(...notIntGroups('not_int_or_string_int_in_users', 302, (c, v) => (((c.users as JsonObject)['@bar:baz'] = v), 'users'), 'power-levels.users-map'));
  {
    const r = room('6', '', undefined, false);
    groups.push(group('first_power_levels_event', 373, r, [{
      event: incoming(r, '$room-power-levels-initial', ALICE, { users: { [ALICE]: 100 } }), allowed: true, rule: 'power-levels.first', source_reason: 'First power levels event is accepted.',
    }]));
  }
  for (const f of INT_FIELDS) {
    const msg = tooMuch(`the power level of \`${f}\``);
    groups.push(change('change_content_level_with_current_higher_power_level', 386, '6', base({ [f]: 60 }), base({ [f]: 40 }), false, 'power-levels.named.old-above-own', msg, ` ${f}`));
    groups.push(change('change_content_level_with_new_higher_power_level', 445, '6', base({ [f]: 40 }), base({ [f]: 60 }), false, 'power-levels.named.new-above-own', msg, ` ${f}`));
    groups.push(change('change_content_level_with_same_power_level', 504, '6', base({ [f]: 30 }), base({ [f]: 40 }), true, 'power-levels.allow',
      'Can change a power level that is the same or lower than the user.', ` ${f}`));
  }
  const foo = tooMuch('the `foo` event type power level');
  groups.push(
    change('change_events_level_with_current_higher_power_level', 560, '6', base({ events: { foo: 60 } }), base({ events: { foo: 40 } }), false, 'power-levels.events.old-above-own', foo),
    change('change_events_level_with_new_higher_power_level', 613, '6', base({ events: { foo: 30 } }), base({ events: { foo: 60 } }), false, 'power-levels.events.new-above-own', foo),
    change('change_events_level_with_same_power_level', 666, '6', base({ events: { foo: 40 } }), base({ events: { foo: 10 } }), true, 'power-levels.allow',
      'Can change a power level that is the same or lower than the user.'),
  );
  const room_ = tooMuch('the `room` notification power level');
  const notif = (test: string, line: number, from: number, to: number, v6: [boolean, string, string]): ExternalGroup[] => [
    change(test, line, '3', base({ notifications: { room: from } }), base({ notifications: { room: to } }), true, 'power-levels.allow', 'Notifications are not checked before v6.'),
    change(test, line, '6', base({ notifications: { room: from } }), base({ notifications: { room: to } }), ...v6),
  ];
  groups.push(
    ...notif('change_notifications_level_with_current_higher_power_level', 716, 60, 40, [false, 'power-levels.events.old-above-own', room_]),
    ...notif('change_notifications_level_with_new_higher_power_level', 779, 30, 60, [false, 'power-levels.events.new-above-own', room_]),
    ...notif('change_notifications_level_with_same_power_level', 842, 30, 31, [true, 'power-levels.allow', 'Can change a power level that is the same or lower than the user.']),
  );
  const users = (extra: JsonObject): JsonObject => ({ users: { [ALICE]: 100, [BOB]: 40, ...extra } });
  const zara = tooMuch(`\`${ZARA}\`'s  power level`);
  groups.push(
    change('change_other_user_level_with_current_higher_power_level', 902, '6', users({ [ZARA]: 70 }), users({}), false, 'power-levels.users.old-at-or-above-own', zara),
    change('change_other_user_level_with_new_higher_power_level', 951, '6', users({ [ZARA]: 10 }), users({ [ZARA]: 45 }), false, 'power-levels.users.new-above-own', zara),
    change('change_other_user_level_with_same_power_level', 1001, '6', users({ [ZARA]: 20 }), users({ [ZARA]: 40 }), true, 'power-levels.allow',
      'Can change a power level that is the same or lower than the user.'),
    change('change_own_user_level_to_new_higher_power_level', 1048, '6', users({}), users({ [BOB]: 100 }), false, 'power-levels.users.new-above-own', tooMuch(`\`${BOB}\`'s  power level`)),
    change('change_own_user_level_to_lower_power_level', 1095, '6', users({}), users({ [BOB]: 20 }), true, 'power-levels.allow', 'Can change own power level to a lower level than the user.'),
  );
  return groups;
}
