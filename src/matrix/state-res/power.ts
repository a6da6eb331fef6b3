/**
 * Power events and the sender power level used by the reverse topological power ordering.
 * https://spec.matrix.org/v1.16/rooms/v2/#definitions
 */
import { userPowerLevel } from '../auth/power-levels.js';
import { stateKeyOf, type Pdu } from '../pdu.js';
import type { RoomVersionRules } from '../room-versions.js';
import { authEdges, type EventAccess } from './event-access.js';

/**
 * Spec "Power events": a state event of type `m.room.power_levels` or `m.room.join_rules`, or an
 * `m.room.member` state event whose membership is `leave` or `ban` and whose sender is not its
 * state key (a kick or a ban).
 *
 * Differences from Synapse (`_is_power_event`, synapse/state/v2.py), where we follow the spec:
 * Synapse also counts `m.room.create`, and requires an empty state key for power levels and join
 * rules. A conflicted create event or a power-levels event with a non-empty state key does not occur
 * in a well-formed room.
 */
export function isPowerEvent(pdu: Pdu): boolean {
  if (pdu.state_key === undefined) return false;
  if (pdu.type === 'm.room.power_levels' || pdu.type === 'm.room.join_rules') return true;
  if (pdu.type !== 'm.room.member') return false;
  const membership = pdu.content.membership;
  return (membership === 'leave' || membership === 'ban') && pdu.sender !== pdu.state_key;
}

/**
 * The auth events of `pdu` keyed by `stateKeyOf(type, state_key)` (later entries win, as in
 * Synapse's dict), including the implied create event of room version 12. Unknown auth events are
 * left out. `skipRejected` drops rejected auth events (iterative auth checks).
 */
export function authEventsMap(pdu: Pdu, access: EventAccess, skipRejected: boolean): Map<string, Pdu> {
  const map = new Map<string, Pdu>();
  for (const id of authEdges(pdu, access.rules)) {
    const authEvent = access.get(id);
    if (!authEvent || authEvent.state_key === undefined) continue;
    if (skipRejected && authEvent.rejected) continue;
    map.set(stateKeyOf(authEvent.type, authEvent.state_key), authEvent);
  }
  return map;
}

/**
 * Power level of the event's sender "when looking at their respective auth_events" (spec,
 * reverse topological power ordering): the authorization rules' power level computed from the
 * event's own auth events (creators of a v12 room have infinite power).
 */
export function senderPowerLevel(pdu: Pdu, access: EventAccess, rules: RoomVersionRules): number {
  return userPowerLevel(pdu.sender, authEventsMap(pdu, access, false), rules);
}
