/**
 * Power levels as the authorization rules read them.
 *
 * Definitions: https://spec.matrix.org/v1.16/server-server-api/#definitions ("Required Power Level",
 * "Invite Level, Kick Level, Ban Level, Redact Level"); defaults from the `m.room.power_levels`
 * schema (https://spec.matrix.org/v1.16/client-server-api/#mroompower_levels): users_default 0,
 * events_default 0, state_default 50, invite 0, kick/ban/redact 50, with or without a power levels
 * event. Without a power levels event the room creator has 100 and everyone else 0. From v12
 * (MSC4289) room creators (the create event's sender and `content.additional_creators`) have
 * unlimited power, represented here as `Infinity` (Synapse uses 2^53; the comparisons agree).
 *
 * Value formats per room version: v1–v9 accept integer strings ("fragment v1-stringy-power-levels":
 * optional whitespace, sign and leading zeroes); v1–v5 also accept floats, truncated ("fragment
 * v1-floaty-power-levels"; from v6 canonical JSON forbids floats); v10+ accept integers only.
 */
import type { JsonObject, JsonValue, Pdu } from '../pdu.js';
import { isJsonObject, stateKeyOf } from '../pdu.js';
import type { RoomVersionRules } from '../room-versions.js';

/** Re-exported for the rule modules; the one definition is in ../pdu.ts. */
export { isJsonObject };

export const CREATE_KEY = stateKeyOf('m.room.create', '');
export const POWER_LEVELS_KEY = stateKeyOf('m.room.power_levels', '');
export const JOIN_RULES_KEY = stateKeyOf('m.room.join_rules', '');

/** Named levels and their defaults. */
export const NAMED_LEVEL_DEFAULTS = {
  users_default: 0,
  events_default: 0,
  state_default: 50,
  ban: 50,
  redact: 50,
  kick: 50,
  invite: 0,
} as const;
export type NamedLevel = keyof typeof NAMED_LEVEL_DEFAULTS;
export const NAMED_LEVELS = Object.keys(NAMED_LEVEL_DEFAULTS) as NamedLevel[];

const STRINGY_INT = /^\s*[+-]?[0-9]+\s*$/;

/**
 * A power level value in this room version's accepted formats, or undefined when the value is not a
 * valid power level (wrong type, a string in v10+, a float in v6+, a malformed string).
 *
 * Every value accepted here is one Synapse's int() accepts, with the same result (int() truncates
 * floats; on strings it strips whitespace and takes a sign and leading zeroes). int() also reads
 * booleans (True is 1), "5_0" and non-ASCII decimal digits; the spec's format, ruma and
 * gomatrixserverlib do not, and neither do we.
 */
export function parsePowerLevel(value: JsonValue | undefined, rules: RoomVersionRules): number | undefined {
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return value;
    if (!rules.strictCanonicalJson && Number.isFinite(value)) return Math.trunc(value);
    return undefined;
  }
  if (typeof value === 'string' && !rules.enforceIntPowerLevels && STRINGY_INT.test(value)) {
    return parseInt(value.trim(), 10);
  }
  return undefined;
}

/** Reads `obj[key]` without looking at the prototype chain (content is hostile: "__proto__", …). */
export function own(obj: JsonObject, key: string): JsonValue | undefined {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/**
 * The creator as the pre-v12 rules see it: `content.creator` before v11, the sender from v11
 * (MSC2175). Undefined when the create event has no usable creator.
 */
export function roomCreator(create: Pdu | undefined, rules: RoomVersionRules): string | undefined {
  if (!create) return undefined;
  if (rules.implicitRoomCreator) return create.sender;
  const c = own(create.content, 'creator');
  return typeof c === 'string' ? c : undefined;
}

/** v12: is `userId` one of the room's creators (sender or additional_creators)? */
export function isPrivilegedCreator(userId: string, create: Pdu | undefined, rules: RoomVersionRules): boolean {
  if (!rules.privilegedCreators || !create) return false;
  if (create.sender === userId) return true;
  const extra = own(create.content, 'additional_creators');
  return Array.isArray(extra) && extra.includes(userId);
}

/** A user's level given the create and power levels events (either may be missing). */
export function userPowerLevelFrom(
  userId: string,
  create: Pdu | undefined,
  powerLevels: Pdu | undefined,
  rules: RoomVersionRules,
): number {
  if (rules.privilegedCreators && isPrivilegedCreator(userId, create, rules)) return Infinity;
  if (powerLevels) {
    const content = powerLevels.content;
    const users = own(content, 'users');
    if (isJsonObject(users) && Object.hasOwn(users, userId)) {
      const v = parsePowerLevel(users[userId], rules);
      // An unparsable entry falls back to users_default (Synapse would raise on int()).
      if (v !== undefined) return v;
    }
    return parsePowerLevel(own(content, 'users_default'), rules) ?? 0;
  }
  return roomCreator(create, rules) === userId ? 100 : 0;
}

/** A named level (invite, kick, ban, redact, …) with its default. */
export function namedPowerLevelFrom(name: NamedLevel, powerLevels: Pdu | undefined, rules: RoomVersionRules): number {
  if (powerLevels) {
    const v = parsePowerLevel(own(powerLevels.content, name), rules);
    if (v !== undefined) return v;
  }
  return NAMED_LEVEL_DEFAULTS[name];
}

/** "Required Power Level" of an event given the power levels event (may be missing). */
export function requiredPowerLevelFrom(
  type: string,
  stateKey: string | undefined,
  powerLevels: Pdu | undefined,
  rules: RoomVersionRules,
): number {
  if (powerLevels) {
    const events = own(powerLevels.content, 'events');
    if (isJsonObject(events) && Object.hasOwn(events, type)) {
      const v = parsePowerLevel(events[type], rules);
      if (v !== undefined) return v;
    }
  }
  return namedPowerLevelFrom(stateKey !== undefined ? 'state_default' : 'events_default', powerLevels, rules);
}

/**
 * A user's power level in the state given by `authEvents` (keyed by stateKeyOf): Infinity for v12
 * creators; from the power levels event when there is one; otherwise 100 for the creator, 0 else.
 */
export function userPowerLevel(userId: string, authEvents: ReadonlyMap<string, Pdu>, rules: RoomVersionRules): number {
  return userPowerLevelFrom(userId, authEvents.get(CREATE_KEY), authEvents.get(POWER_LEVELS_KEY), rules);
}

/** The level required to send an event of this type (and state key, for state events). */
export function requiredPowerLevelForEvent(
  event: { type: string; state_key?: string },
  authEvents: ReadonlyMap<string, Pdu>,
  rules: RoomVersionRules,
): number {
  return requiredPowerLevelFrom(event.type, event.state_key, authEvents.get(POWER_LEVELS_KEY), rules);
}

/** A level for messages: "unlimited" rather than "Infinity". */
export function formatLevel(level: number): string {
  return level === Infinity ? 'unlimited power (room creator)' : `power ${level}`;
}
