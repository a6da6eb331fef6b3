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
import { describeMembership, domainOf, membershipIn, show } from './ids.js';
import {
  CREATE_KEY,
  POWER_LEVELS_KEY,
  formatLevel,
  namedPowerLevelFrom,
  requiredPowerLevelFrom,
  userPowerLevelFrom,
} from './power-levels.js';

// Shared, frozen "pass" steps: the fast path allocates no step objects.
const PASS_CREATE: AuthStep = Object.freeze({ rule: 'auth-events.no-create', outcome: 'pass' });
const PASS_ROOM_ID: AuthStep = Object.freeze({ rule: 'room-id.create-event', outcome: 'pass' });
const PASS_FEDERATE: AuthStep = Object.freeze({ rule: 'federate.disallowed', outcome: 'pass' });
const PASS_JOINED: AuthStep = Object.freeze({ rule: 'events.sender-not-joined', outcome: 'pass' });
const PASS_POWER: AuthStep = Object.freeze({ rule: 'events.sender-power', outcome: 'pass' });
const PASS_STATE_KEY: AuthStep = Object.freeze({ rule: 'events.state-key-user', outcome: 'pass' });

const ROOM_IDS = new WeakMap<Pdu, string>();
/** v12: the room id a create event defines ('!' + its id without the '$'), memoised per event. */
function roomIdOfCreate(create: Pdu): string {
  let id = ROOM_IDS.get(create);
  if (id === undefined) {
    id = '!' + create.event_id.slice(1);
    ROOM_IDS.set(create, id);
  }
  return id;
}

export function checkAuthRules(event: Pdu, authEvents: ReadonlyMap<string, Pdu>, rules: RoomVersionRules): AuthResult {
  const trace: AuthStep[] = [];
  if (event.type === 'm.room.create') return checkCreateEvent(event, rules, trace);

  // The create event: v12 rule 2 (the room id is the create event's id), earlier rule 2.4/2.5.
  const create = authEvents.get(CREATE_KEY);
  if (rules.roomIdFromCreateEvent) {
    if (create === undefined || create.type !== 'm.room.create') {
      return deny('room-id.create-event', `the m.room.create event of ${event.room_id} is not available`, trace);
    }
    if (roomIdOfCreate(create) !== event.room_id) {
      return deny('room-id.create-event', `the room id ${event.room_id} is not the id of the create event ${create.event_id}`, trace);
    }
    if (create.rejected) {
      return deny('room-id.create-event', `the create event ${create.event_id} was rejected`, trace);
    }
    trace.push(PASS_ROOM_ID);
  } else {
    if (create === undefined || create.type !== 'm.room.create') {
      return deny('auth-events.no-create', 'there is no m.room.create event among the auth events', trace);
    }
    if (create.room_id !== event.room_id) {
      return deny('auth-events.wrong-room', `the create event ${create.event_id} belongs to ${create.room_id}, not ${event.room_id}`, trace);
    }
    trace.push(PASS_CREATE);
  }

  // m.federate
  const sender = event.sender;
  if (create.content['m.federate'] === false && Object.hasOwn(create.content, 'm.federate')) {
    const d = domainOf(sender);
    if (d !== domainOf(create.sender)) {
      return deny('federate.disallowed', `the room is not federated (m.federate false) and ${sender} is not on ${domainOf(create.sender)}`, trace);
    }
  }
  trace.push(PASS_FEDERATE);

  // v1–v5: m.room.aliases
  if (rules.specialCaseAliasesAuth && event.type === 'm.room.aliases') {
    if (event.state_key === undefined) return deny('aliases.no-state-key', 'the m.room.aliases event has no state_key', trace);
    const d = domainOf(sender);
    if (event.state_key !== d) {
      return deny('aliases.domain', `state_key ${show(event.state_key)} is not the sender's server ${d ?? '(none)'}`, trace);
    }
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
  trace.push(PASS_JOINED);

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
  trace.push(PASS_POWER);

  const sk = event.state_key;
  if (sk !== undefined && sk.charCodeAt(0) === 0x40 && sk !== sender) {
    return deny('events.state-key-user', `state_key ${show(sk)} starts with @ but is not the sender ${sender}`, trace);
  }
  trace.push(PASS_STATE_KEY);

  if (event.type === 'm.room.power_levels') {
    return checkPowerLevelsChange(event, powerLevels, create, senderLevel, rules, trace);
  }

  if (rules.eventFormat === 1 && event.type === 'm.room.redaction') {
    // v1–v2 only: from v3 the redact level is not an auth rule (rooms/v3, "Authorization rules").
    const redact = namedPowerLevelFrom('redact', powerLevels, rules);
    if (senderLevel >= redact) {
      return allow('redaction.redact-level', `${sender} has ${formatLevel(senderLevel)}, the redact level is ${redact}`, trace);
    }
    const redacts = event.redacts;
    const mine = domainOf(event.event_id);
    if (typeof redacts === 'string' && mine !== undefined && domainOf(redacts) === mine) {
      return allow('redaction.same-domain', `the redacted event ${redacts} comes from the same server as the redaction (${mine})`, trace);
    }
    return deny('redaction.other', `${sender} has ${formatLevel(senderLevel)} (redact level ${redact}) and the redacted event ${redacts ?? '(none)'} is not from ${mine ?? 'the redaction’s server'}`, trace);
  }

  return allow('allow.default', `${sender} is joined and has ${formatLevel(senderLevel)} (${event.type} needs ${required})`, trace);
}
