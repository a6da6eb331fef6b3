/**
 * Iterative auth checks, https://spec.matrix.org/v1.16/rooms/v2/#definitions ("Iterative auth
 * checks"): apply each state event of a sorted list to a room state when the authorization rules
 * allow it against that state.
 */
import { authTypesForEvent } from '../auth/auth-events-selection.js';
import { checkAuthRules } from '../auth/check-auth-rules.js';
import { stateKeyOf, type Pdu } from '../pdu.js';
import type { RoomVersionRules } from '../room-versions.js';
import type { EventAccess } from './event-access.js';
import { authEventsMap } from './power.js';

export interface AuthCheckOutcome {
  readonly eventId: string;
  /** True when the event entered the state. */
  readonly applied: boolean;
  /** Why it did not: the failed rule's reason, or that the event was already rejected. */
  readonly reason?: string;
}

/**
 * The auth events an event is checked against during resolution. For each key the authorization
 * rules may need (the auth events selection), the event in `state` is used; when the key is absent
 * from `state` the event's own auth event of that key is used. Rejected events are never used
 * (spec: "Rejected auth events are deliberately excluded from use in the iterative auth checks").
 * Like Synapse (`_iterative_auth_checks`), a rejected event in `state` counts as absent, and the
 * event's own auth events of other keys stay in the map. From room version 12 the room's create
 * event is implied and always included (see `authEdges`).
 */
export function authMapForResolution(
  pdu: Pdu,
  state: ReadonlyMap<string, string>,
  access: EventAccess,
  rules: RoomVersionRules,
): Map<string, Pdu> {
  const map = authEventsMap(pdu, access, true);
  for (const [type, stateKey] of authTypesForEvent(pdu, rules)) {
    const key = stateKeyOf(type, stateKey);
    const stateId = state.get(key);
    if (stateId === undefined) continue;
    const stateEvent = access.need(stateId, `state event ${key} to authorise ${pdu.event_id}`);
    if (!stateEvent.rejected) map.set(key, stateEvent);
  }
  return map;
}

/**
 * Runs the iterative auth checks from `base` over `eventIds` (in order) and returns the new state.
 *
 * An event already marked rejected is never admitted. The spec says events rejected against the
 * state before them are "handled as usual"; Synapse keeps them out (its TODO in
 * `_iterative_auth_checks`, synapse#13797) and so do we, because the stored rejection cannot
 * tell which kind of rejection it was and Synapse's databases are what we read.
 */
export function iterativeAuthChecks(
  eventIds: readonly string[],
  base: ReadonlyMap<string, string>,
  access: EventAccess,
  rules: RoomVersionRules,
  onOutcome?: (outcome: AuthCheckOutcome) => void,
): Map<string, string> {
  const state = new Map(base);
  for (const eventId of eventIds) {
    const pdu = access.need(eventId, 'in the full conflicted set');
    if (pdu.state_key === undefined) {
      onOutcome?.({ eventId, applied: false, reason: 'not a state event' });
      continue;
    }
    if (pdu.rejected) {
      onOutcome?.({ eventId, applied: false, reason: 'rejected' });
      continue;
    }
    const result = checkAuthRules(pdu, authMapForResolution(pdu, state, access, rules), rules);
    if (result.allowed) state.set(stateKeyOf(pdu.type, pdu.state_key), eventId);
    onOutcome?.(
      result.allowed ? { eventId, applied: true } : { eventId, applied: false, reason: result.reason ?? String(result.rule) },
    );
  }
  return state;
}
