/**
 * Receipt steps 4 and 5: "Passes authorization rules based on the event's auth events" and "based
 * on the state before the event".
 * https://spec.matrix.org/v1.16/server-server-api/#checks-performed-on-receipt-of-a-pdu
 *
 * Step 4 first applies the rules about the auth events list (rule 2 in v1–v11, rule 3 in v12):
 * no duplicate (type, state_key), only kinds the auth events selection allows, none rejected, the
 * create event present (v1–v11) or absent (v12), all in the same room. Synapse
 * (`check_state_independent_auth_rules`) checks the room of each entry first; we follow the spec's
 * order so the rule named matches the spec's list. In v12, rule 2 (the room id is the id of an
 * accepted create event) is applied before the list rules, also as the spec orders them.
 *
 * The trace records every rule passed, in the spec's order; the rules that follow run on the same
 * trace array (runAuthRules), told that the create event has been found and checked already.
 */
import type { Pdu } from '../pdu.js';
import { stateKeyOf, stateKeyOfPdu } from '../pdu.js';
import { impliedCreateEventId } from '../ids.js';
import type { RoomVersionRules } from '../room-versions.js';
import { authTypesForEvent } from './auth-events-selection.js';
import type { AuthResult, AuthStep } from './auth-result.js';
import { deny, undecided } from './auth-result.js';
import { checkAuthRules, checkRoomIdIsCreate, denyNoCreate, runAuthRules } from './check-auth-rules.js';
import { PASS } from './pass-steps.js';
import { CREATE_KEY } from './power-levels.js';

/**
 * Step 4. `authEvents` holds the events cited by `event.auth_events` (extra events are ignored);
 * in v12 it also holds the room's create event, which events do not cite.
 */
export function checkAuthEvents(event: Pdu, authEvents: readonly Pdu[], rules: RoomVersionRules): AuthResult {
  if (event.type === 'm.room.create') return checkAuthRules(event, new Map(), rules);
  const trace: AuthStep[] = [];
  const byId = new Map<string, Pdu>();
  for (const e of authEvents) byId.set(e.event_id, e);

  // v12 rule 2 comes before the rules about the list (rule 3): the room id names the create event.
  let create: Pdu | undefined;
  if (rules.roomIdFromCreateEvent) {
    // Not at hand counts as not a create event, as ruma's v12 tests expect (and the spec's rule 2
    // reads: "is not an event ID for an accepted m.room.create event").
    create = byId.get(impliedCreateEventId(event.room_id));
    if (create === undefined || create.type !== 'm.room.create' || create.state_key !== '') return denyNoCreate(event, rules, trace);
    const refused = checkRoomIdIsCreate(event, create, trace);
    if (refused !== undefined) return refused;
  }

  // Every cited auth event must be at hand before any rule can be applied; otherwise the outcome is
  // undecided (not a denial: the spec has no such rule, a server would fetch them).
  const listed: Pdu[] = [];
  const missing: string[] = [];
  for (const id of event.auth_events) {
    const e = byId.get(id);
    if (e === undefined) missing.push(id);
    else listed.push(e);
  }
  if (missing.length > 0) return undecided(missing, trace);
  trace.push(PASS['auth-events.missing']);

  // At most a handful of auth events: pairwise scans beat building string keys on this hot path.
  for (let i = 0; i < listed.length; i++) {
    const e = listed[i]!;
    if (e.state_key === undefined) continue; // not state: refused as an unexpected kind below
    for (let j = 0; j < i; j++) {
      const other = listed[j]!;
      if (other.type === e.type && other.state_key === e.state_key) {
        return deny('auth-events.duplicate', `auth events ${other.event_id} and ${e.event_id} are both (${e.type}, ${JSON.stringify(e.state_key)})`, trace);
      }
    }
  }
  trace.push(PASS['auth-events.duplicate']);

  const expected = authTypesForEvent(event, rules);
  for (const e of listed) {
    if (rules.roomIdFromCreateEvent && e.type === 'm.room.create') {
      return deny('auth-events.create-listed', `auth event ${e.event_id} is the m.room.create event, which this room version implies and must not be listed`, trace);
    }
    if (e.state_key === undefined || !expected.some(([t, k]) => t === e.type && k === e.state_key)) {
      const what = e.state_key === undefined ? `${e.type}, not a state event` : `${e.type}, ${JSON.stringify(e.state_key)}`;
      return deny('auth-events.unexpected', `auth event ${e.event_id} (${what}) is not one the auth events selection picks for this event`, trace);
    }
  }
  if (rules.roomIdFromCreateEvent) trace.push(PASS['auth-events.create-listed']);
  trace.push(PASS['auth-events.unexpected']);

  for (const e of listed) {
    if (e.rejected) {
      return deny('auth-events.rejected', `auth event ${e.event_id} (${e.type}) was itself rejected`, trace);
    }
  }
  trace.push(PASS['auth-events.rejected']);

  // v1–v11 rule 2.4 (in v12 the create event was found above and is not listed)
  if (!rules.roomIdFromCreateEvent) {
    for (const e of listed) if (e.type === 'm.room.create' && e.state_key === '') create = e;
  }
  if (create === undefined) return denyNoCreate(event, rules, trace);
  if (!rules.roomIdFromCreateEvent) trace.push(PASS['auth-events.no-create']);

  for (const e of listed) {
    if (e.room_id !== event.room_id) {
      return deny('auth-events.wrong-room', `auth event ${e.event_id} (${e.type}) belongs to ${e.room_id}, not ${event.room_id}`, trace);
    }
  }
  trace.push(PASS['auth-events.wrong-room']);

  const map = new Map<string, Pdu>();
  for (const e of listed) map.set(stateKeyOfPdu(e as Pdu & { state_key: string }), e);
  if (rules.roomIdFromCreateEvent) map.set(CREATE_KEY, create);
  return runAuthRules(event, map, rules, trace, create);
}

/**
 * Step 5 (and step 6 with the current state): picks the auth events from `state` (keyed by
 * stateKeyOf) as the auth events selection says, plus the create event, and runs the rules.
 */
export function checkAgainstState(event: Pdu, state: ReadonlyMap<string, Pdu>, rules: RoomVersionRules): AuthResult {
  const map = new Map<string, Pdu>();
  if (event.type !== 'm.room.create') {
    const create = state.get(CREATE_KEY);
    if (create !== undefined) map.set(CREATE_KEY, create);
    for (const [t, k] of authTypesForEvent(event, rules)) {
      const key = stateKeyOf(t, k);
      const e = state.get(key);
      if (e !== undefined) map.set(key, e);
    }
  }
  return checkAuthRules(event, map, rules);
}
