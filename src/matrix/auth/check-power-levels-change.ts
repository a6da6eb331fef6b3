/**
 * The `m.room.power_levels` rules (rule 10 in v1–v5 and v12, rule 9 in v6–v11).
 * https://spec.matrix.org/v1.16/rooms/v10/#authorization-rules, …/v12/#authorization-rules
 *
 * Differences from Synapse (`_check_power_levels`), where we follow the spec:
 * - the "previous" power levels are the room's (state key ""), whatever this event's state key;
 *   Synapse compares against the event with the same (type, state_key).
 * - Synapse compares changes per key, in one loop; the spec runs the "changed or removed" checks
 *   before the "added or changed" ones, which only matters for which rule is named in a refusal.
 * Before v10 the spec validates only `users` (P.1); its comparisons (P.3–P.5) are undefined for a
 * named level, `events` or (v6+) `notifications` value that is not a number. Every implementation
 * refuses such an event (Synapse: int() raises in `_check_power_levels`; ruma and gomatrixserverlib
 * cannot parse the content), so once there is a previous power levels event to compare with we
 * refuse it too ('power-levels.value-not-a-level', numbered P.3; see rule-ids.ts), in the new
 * content or the current one. "A level" is what parsePowerLevel accepts: an integer, a string
 * holding one in the spec's format (" +50 ", "050"; not "5.0" or "1e2", which Python's int() also
 * refuses), and in v1–v5 a float, truncated as int() does. Differences from Synapse here:
 * - the first power levels event is allowed whatever these values are (P.2 comes first, and
 *   Synapse returns before any int()); ruma and gomatrixserverlib refuse it.
 * - true/false are not levels (Python's int(True) is 1; ruma, gomatrixserverlib and the spec
 *   disagree), nor are strings int() reads beyond the spec's format ("5_0", non-ASCII digits).
 * - `events`/`notifications` present and not an object is refused (Synapse accepts [] and "", and
 *   gomatrixserverlib null; ruma refuses all of them).
 * An absent `users` is accepted, as Synapse does (the spec's wording "is not an object" would
 * refuse it, which no implementation does).
 */
import type { JsonObject, JsonValue, Pdu } from '../pdu.js';
import type { RoomVersionRules } from '../room-versions.js';
import type { AuthResult, AuthStep } from './auth-result.js';
import { allow, deny } from './auth-result.js';
import { isValidUserId } from '../ids.js';
import { show } from './ids.js';
import { PASS } from './pass-steps.js';
import { NAMED_LEVELS, formatLevel, isJsonObject, own, parsePowerLevel } from './power-levels.js';

function levelMap(content: JsonObject, key: string): JsonObject {
  const v = own(content, key);
  return isJsonObject(v) ? v : EMPTY;
}
const EMPTY: JsonObject = Object.freeze({}) as JsonObject;

function entry(map: JsonObject, key: string, rules: RoomVersionRules): number | undefined {
  return Object.hasOwn(map, key) ? parsePowerLevel(map[key], rules) : undefined;
}

/**
 * v1–v9: the first value the comparisons of P.3–P.5 would read and cannot (see the file comment),
 * described for a reason; undefined when there is none.
 */
function valueNotALevel(content: JsonObject, rules: RoomVersionRules): string | undefined {
  for (const name of NAMED_LEVELS) {
    if (Object.hasOwn(content, name) && parsePowerLevel(content[name], rules) === undefined) return `${name} is ${show(content[name])}`;
  }
  for (const m of rules.limitNotificationsPowerLevels ? MAPS_V6 : MAPS_V1) {
    if (!Object.hasOwn(content, m)) continue;
    const map = content[m];
    if (!isJsonObject(map)) return `${m} is ${show(map)}, not an object`;
    for (const k of Object.keys(map)) {
      if (parsePowerLevel(map[k], rules) === undefined) return `${m}[${show(k)}] is ${show(map[k])}`;
    }
  }
  return undefined;
}
const MAPS_V1 = ['events'] as const;
const MAPS_V6 = ['events', 'notifications'] as const;

function isInt(v: JsonValue | undefined): boolean {
  return typeof v === 'number' && Number.isInteger(v);
}

export function checkPowerLevelsChange(
  event: Pdu,
  previous: Pdu | undefined,
  create: Pdu,
  senderLevel: number,
  rules: RoomVersionRules,
  trace: AuthStep[],
): AuthResult {
  const content = event.content;
  if (rules.enforceIntPowerLevels) {
    for (const name of NAMED_LEVELS) {
      if (Object.hasOwn(content, name) && !isInt(content[name])) {
        return deny('power-levels.non-integer', `${name} is ${show(content[name])}, not an integer`, trace);
      }
    }
    trace.push(PASS['power-levels.non-integer']);
    for (const name of ['events', 'notifications']) {
      if (!Object.hasOwn(content, name)) continue;
      const map = content[name];
      if (!isJsonObject(map)) return deny('power-levels.events-map', `${name} is not an object`, trace);
      for (const k of Object.keys(map)) {
        if (!isInt(map[k])) return deny('power-levels.events-map', `${name}[${show(k)}] is ${show(map[k])}, not an integer`, trace);
      }
    }
    trace.push(PASS['power-levels.events-map']);
  }

  if (Object.hasOwn(content, 'users')) {
    const users = content.users;
    if (!isJsonObject(users)) return deny('power-levels.users-map', 'users is not an object', trace);
    for (const k of Object.keys(users)) {
      if (!isValidUserId(k)) return deny('power-levels.users-map', `users has the key ${show(k)}, which is not a valid user id`, trace);
      if (parsePowerLevel(users[k], rules) === undefined) {
        return deny('power-levels.users-map', `users[${show(k)}] is ${show(users[k])}, not an integer${rules.enforceIntPowerLevels ? '' : ' (or an integer string)'}`, trace);
      }
    }
  }
  trace.push(PASS['power-levels.users-map']);

  const newUsers = levelMap(content, 'users');
  if (rules.privilegedCreators) {
    const creators = [create.sender];
    const extra = own(create.content, 'additional_creators');
    if (Array.isArray(extra)) for (const c of extra) if (typeof c === 'string') creators.push(c);
    for (const c of creators) {
      if (Object.hasOwn(newUsers, c)) {
        return deny('power-levels.creator-in-users', `${c} is a room creator and must not appear in users`, trace);
      }
    }
    trace.push(PASS['power-levels.creator-in-users']);
  }

  if (previous === undefined) {
    return allow('power-levels.first', 'there is no previous m.room.power_levels event', trace);
  }
  trace.push(PASS['power-levels.first']);
  const old = previous.content;
  if (!rules.enforceIntPowerLevels) {
    const bad = valueNotALevel(content, rules);
    if (bad !== undefined) {
      return deny('power-levels.value-not-a-level', `${bad}, not an integer or integer string, so it cannot be compared with the sender's level`, trace);
    }
    const badOld = valueNotALevel(old, rules);
    if (badOld !== undefined) {
      return deny('power-levels.value-not-a-level', `in the current power levels ${badOld}, not an integer or integer string, so no change can be compared with it`, trace);
    }
    trace.push(PASS['power-levels.value-not-a-level']);
  }
  const own_ = formatLevel(senderLevel);
  const sender = event.sender;

  for (const name of NAMED_LEVELS) {
    const before = entry(old, name, rules);
    const after = entry(content, name, rules);
    if (before === after) continue;
    if (before !== undefined && before > senderLevel) {
      return deny('power-levels.named.old-above-own', `${sender} has ${own_} and cannot change ${name} from ${before}`, trace);
    }
    if (after !== undefined && after > senderLevel) {
      return deny('power-levels.named.new-above-own', `${sender} has ${own_} and cannot set ${name} to ${after}`, trace);
    }
  }
  trace.push(PASS['power-levels.named.old-above-own'], PASS['power-levels.named.new-above-own']);

  const maps = rules.limitNotificationsPowerLevels ? MAPS_V6 : MAPS_V1;
  for (const m of maps) {
    const before = levelMap(old, m);
    const after = levelMap(content, m);
    for (const k of Object.keys(before)) {
      const b = entry(before, k, rules);
      if (b === undefined || b === entry(after, k, rules)) continue;
      if (b > senderLevel) {
        return deny('power-levels.events.old-above-own', `${sender} has ${own_} and cannot change or remove ${m}[${show(k)}] (currently ${b})`, trace);
      }
    }
  }
  trace.push(PASS['power-levels.events.old-above-own']);
  for (const m of maps) {
    const before = levelMap(old, m);
    const after = levelMap(content, m);
    for (const k of Object.keys(after)) {
      const a = entry(after, k, rules);
      if (a === undefined || a === entry(before, k, rules)) continue;
      if (a > senderLevel) {
        return deny('power-levels.events.new-above-own', `${sender} has ${own_} and cannot set ${m}[${show(k)}] to ${a}`, trace);
      }
    }
  }
  trace.push(PASS['power-levels.events.new-above-own']);

  const oldUsers = levelMap(old, 'users');
  for (const k of Object.keys(oldUsers)) {
    if (k === sender) continue;
    const b = entry(oldUsers, k, rules);
    if (b === undefined || b === entry(newUsers, k, rules)) continue;
    if (b >= senderLevel) {
      return deny('power-levels.users.old-at-or-above-own', `${sender} has ${own_} and cannot change or remove ${k}'s level ${b}`, trace);
    }
  }
  trace.push(PASS['power-levels.users.old-at-or-above-own']);
  for (const k of Object.keys(newUsers)) {
    const a = entry(newUsers, k, rules);
    if (a === undefined || a === entry(oldUsers, k, rules)) continue;
    if (a > senderLevel) {
      return deny('power-levels.users.new-above-own', `${sender} has ${own_} and cannot give ${k} level ${a}`, trace);
    }
  }
  trace.push(PASS['power-levels.users.new-above-own']);
  return allow('power-levels.allow', `${sender} has ${own_}, enough for every change`, trace);
}
