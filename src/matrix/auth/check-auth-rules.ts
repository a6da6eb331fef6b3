/**
 * The authorization rules of room versions 1–12, run against auth events already selected.
 * Server-server API, "Authorization rules": https://spec.matrix.org/v1.16/server-server-api/#authorization-rules
 * and each room version's list: https://spec.matrix.org/v1.16/rooms/v1/#authorization-rules …
 * https://spec.matrix.org/v1.16/rooms/v12/#authorization-rules
 *
 * `authEvents` is keyed by stateKeyOf(type, state_key). In v12 the create event is part of the map
 * although events do not cite it. The rules about the auth events list itself (duplicates, kinds,
 * rejected entries) are in check-pdu.ts, which needs the list rather than a map.
 *
 * Differences from Synapse (synapse/event_auth.py), where we follow the spec:
 * - `m.federate`: Synapse refuses when the value is anything but `true`; the spec refuses when it
 *   is `false`. Synapse also applies it to membership targets (see check-membership.ts).
 * - v1–v2 redactions: Synapse allows an `m.room.redaction` whose `redacts` is not a string; by the
 *   spec the domains cannot match, so it is refused below the redact level.
 * - `m.room.aliases` (v1–v5): Synapse also refuses an empty state_key; the spec only an absent one
 *   (an empty state key then fails the domain comparison anyway unless the sender has no domain).
 */
import type { Pdu } from '../pdu.js';
import type { RoomVersionRules } from '../room-versions.js';
import type { AuthResult, AuthStep } from './auth-result.js';
import { allow, deny } from './auth-result.js';
import { checkCreateEvent } from './check-create.js';
import { checkMembership } from './check-membership.js';
import { checkPowerLevelsChange } from './check-power-levels-change.js';
import { PASS } from './pass-steps.js';
import { domainOf, roomIdOfCreateEventId } from '../ids.js';
import { describeMembership, membershipIn, show } from './ids.js';
import {
  CREATE_KEY,
  POWER_LEVELS_KEY,
  formatLevel,
  namedPowerLevelFrom,
  requiredPowerLevelFrom,
  userPowerLevelFrom,
} from './power-levels.js';

const ROOM_IDS = new WeakMap<Pdu, string>();
/** v12: the room id a create event defines (roomIdOfCreateEventId), memoised per event. */
function roomIdOfCreate(create: Pdu): string {
  let id = ROOM_IDS.get(create);
  if (id === undefined) {
    id = roomIdOfCreateEventId(create.event_id);
    ROOM_IDS.set(create, id);
  }
  return id;
}

export function checkAuthRules(event: Pdu, authEvents: ReadonlyMap<string, Pdu>, rules: RoomVersionRules): AuthResult {
  return runAuthRules(event, authEvents, rules, [], undefined);
}

/** The refusal when the room's create event is not available (v12 rule 2; earlier rule 2.4). */
export function denyNoCreate(event: Pdu, rules: RoomVersionRules, trace: AuthStep[]): AuthResult {
  return rules.roomIdFromCreateEvent
    ? deny('room-id.create-event', `the m.room.create event of ${event.room_id} is not available`, trace)
    : deny('auth-events.no-create', 'there is no m.room.create event among the auth events', trace);
}

/** v12 rule 2, once the create event is known: the room id is its id, and it was accepted. */
export function checkRoomIdIsCreate(event: Pdu, create: Pdu, trace: AuthStep[]): AuthResult | undefined {
  if (roomIdOfCreate(create) !== event.room_id) {
    return deny('room-id.create-event', `the room id ${event.room_id} is not the id of the create event ${create.event_id}`, trace);
  }
  if (create.rejected) {
    return deny('room-id.create-event', `the create event ${create.event_id} was rejected`, trace);
  }
  trace.push(PASS['room-id.create-event']);
  return undefined;
}

/**
 * The rules from the create event on. `checkedCreate` is the create event when the caller
 * (checkAuthEvents) has already applied, and traced, the rules that find it: v12 rule 2, or
 * v1–v11 rules 2.4 and 2.5 over the auth events list.
 */
export function runAuthRules(
  event: Pdu,
  authEvents: ReadonlyMap<string, Pdu>,
  rules: RoomVersionRules,
  trace: AuthStep[],
  checkedCreate: Pdu | undefined,
): AuthResult {
  if (event.type === 'm.room.create') return checkCreateEvent(event, rules, trace);

  // The create event: v12 rule 2 (the room id is the create event's id), earlier rules 2.4 and 2.5.
  const create = checkedCreate ?? authEvents.get(CREATE_KEY);
  if (create === undefined || create.type !== 'm.room.create') return denyNoCreate(event, rules, trace);
  if (checkedCreate === undefined) {
    if (rules.roomIdFromCreateEvent) {
      const refused = checkRoomIdIsCreate(event, create, trace);
      if (refused !== undefined) return refused;
    } else {
      trace.push(PASS['auth-events.no-create']);
      if (create.room_id !== event.room_id) {
        return deny('auth-events.wrong-room', `the create event ${create.event_id} belongs to ${create.room_id}, not ${event.room_id}`, trace);
      }
      trace.push(PASS['auth-events.wrong-room']);
    }
  }

  // m.federate
  const sender = event.sender;
  if (create.content['m.federate'] === false && Object.hasOwn(create.content, 'm.federate')) {
    const d = domainOf(sender);
    if (d !== domainOf(create.sender)) {
      return deny('federate.disallowed', `the room is not federated (m.federate false) and ${sender} is not on ${domainOf(create.sender)}`, trace);
    }
  }
  trace.push(PASS['federate.disallowed']);

  // v1–v5: m.room.aliases
  if (rules.specialCaseAliasesAuth && event.type === 'm.room.aliases') {
    if (event.state_key === undefined) return deny('aliases.no-state-key', 'the m.room.aliases event has no state_key', trace);
    trace.push(PASS['aliases.no-state-key']);
    const d = domainOf(sender);
    if (event.state_key !== d) {
      return deny('aliases.domain', `state_key ${show(event.state_key)} is not the sender's server ${d ?? '(none)'}`, trace);
    }
    trace.push(PASS['aliases.domain']);
    return allow('aliases.allow', `${sender} sets the aliases of their own server ${d}`, trace);
  }

  const powerLevels = authEvents.get(POWER_LEVELS_KEY);
  const senderMembership = membershipIn(authEvents, sender);

  if (event.type === 'm.room.member') {
    return checkMembership(event, authEvents, rules, { create, powerLevels, senderMembership }, trace);
  }

  if (senderMembership !== 'join') {
    return deny('events.sender-not-joined', `${sender} is not joined to the room (${describeMembership(senderMembership)})`, trace);
  }
  trace.push(PASS['events.sender-not-joined']);

  const senderLevel = userPowerLevelFrom(sender, create, powerLevels, rules);
  if (event.type === 'm.room.third_party_invite') {
    const invite = namedPowerLevelFrom('invite', powerLevels, rules);
    return senderLevel >= invite
      ? allow('third-party-invite.power', `${sender} has ${formatLevel(senderLevel)}, inviting needs ${invite}`, trace)
      : deny('third-party-invite.power', `${sender} has ${formatLevel(senderLevel)}, m.room.third_party_invite needs the invite level ${invite}`, trace);
  }

  const required = requiredPowerLevelFrom(event.type, event.state_key, powerLevels, rules);
  if (required > senderLevel) {
    return deny('events.sender-power', `${sender} has ${formatLevel(senderLevel)}, sending ${event.type} needs ${required}`, trace);
  }
  trace.push(PASS['events.sender-power']);

  const sk = event.state_key;
  if (sk !== undefined && sk.charCodeAt(0) === 0x40 && sk !== sender) {
    return deny('events.state-key-user', `state_key ${show(sk)} starts with @ but is not the sender ${sender}`, trace);
  }
  trace.push(PASS['events.state-key-user']);

  if (event.type === 'm.room.power_levels') {
    return checkPowerLevelsChange(event, powerLevels, create, senderLevel, rules, trace);
  }

  if (rules.eventFormat === 1 && event.type === 'm.room.redaction') {
    // v1–v2 only: from v3 the redact level is not an auth rule (rooms/v3, "Authorization rules").
    const redact = namedPowerLevelFrom('redact', powerLevels, rules);
    if (senderLevel >= redact) {
      return allow('redaction.redact-level', `${sender} has ${formatLevel(senderLevel)}, the redact level is ${redact}`, trace);
    }
    trace.push(PASS['redaction.redact-level']);
    const redacts = event.redacts;
    const mine = domainOf(event.event_id);
    if (typeof redacts === 'string' && mine !== undefined && domainOf(redacts) === mine) {
      return allow('redaction.same-domain', `the redacted event ${redacts} comes from the same server as the redaction (${mine})`, trace);
    }
    trace.push(PASS['redaction.same-domain']);
    return deny('redaction.other', `${sender} has ${formatLevel(senderLevel)} (redact level ${redact}) and the redacted event ${redacts ?? '(none)'} is not from ${mine ?? 'the redaction’s server'}`, trace);
  }

  return allow('allow.default', `${sender} is joined and has ${formatLevel(senderLevel)} (${event.type} needs ${required})`, trace);
}
