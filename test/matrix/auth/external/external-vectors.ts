/**
 * Shapes of the authorization vectors ported from other Matrix implementations
 * (test/vectors/auth/external/*.json), and the code that feeds one case through our rules.
 *
 * Check kinds:
 * - 'state': `state` is the room state before the event (receipt step 5): checkAgainstState.
 * - 'auth-events': `auth_events` is the pool the event's `auth_events` ids refer to (receipt step
 *   4): checkAuthEvents; `rejected` names pool events that were themselves rejected.
 * - 'selection': the auth events selection (authTypesForEvent) of each case's event.
 * - 'levels': userPowerLevel of each case's user in `state`.
 */
import { checkAgainstState, checkAuthEvents, authTypesForEvent, userPowerLevel } from '../../../../src/matrix/auth/index.js';
import type { AuthResult } from '../../../../src/matrix/auth/index.js';
import { stateKeyOf, toPdu } from '../../../../src/matrix/pdu.js';
import type { JsonObject, Pdu } from '../../../../src/matrix/pdu.js';
import type { RoomVersionRules } from '../../../../src/matrix/room-versions.js';

export interface DecisionCase {
  event: JsonObject;
  allowed: boolean;
  /** Our rule id deciding the case (asserted when present). */
  rule?: string;
  /** The reason the source gives, verbatim, when it gives one. */
  source_reason?: string;
  /** Rules the event must pass on the way (e.g. the auth-events list rules when the source only ran those). */
  passes?: string[];
  /** Why our expectation differs from the source's, or how the case was adapted. */
  note?: string;
}
export interface SelectionCase {
  event: JsonObject;
  expected: Array<[string, string]>;
  note?: string;
}
export interface LevelCase {
  user: string;
  /** A number, or "creator" for the unlimited power of v12 creators. */
  level: number | 'creator';
}
interface GroupBase {
  name: string;
  room_version: string;
  /** Where in the source file the ported test starts. */
  source_test?: string;
  note?: string;
}
export type ExternalGroup =
  | (GroupBase & { check: 'state'; state: JsonObject[]; cases: DecisionCase[] })
  | (GroupBase & { check: 'auth-events'; auth_events: JsonObject[]; rejected?: string[]; cases: DecisionCase[] })
  | (GroupBase & { check: 'selection'; cases: SelectionCase[] })
  | (GroupBase & { check: 'levels'; state: JsonObject[]; cases: LevelCase[] });

export interface ExternalVectorFile {
  /** "owner/repo path @ commit" of the tests ported. */
  source: string;
  repo: string;
  path: string | string[];
  commit: string;
  /** How the source's tests were turned into these vectors. */
  method: string;
  groups: ExternalGroup[];
}

let counter = 0;
export function pduOf(raw: JsonObject, rules: RoomVersionRules, rejected = false): Pdu {
  const id = typeof raw.event_id === 'string' ? raw.event_id : `$external-${++counter}`;
  return toPdu(raw, rules, id, { rejected });
}

export function stateMap(events: readonly JsonObject[], rules: RoomVersionRules): Map<string, Pdu> {
  const map = new Map<string, Pdu>();
  for (const raw of events) {
    const e = pduOf(raw, rules);
    if (e.state_key !== undefined) map.set(stateKeyOf(e.type, e.state_key), e);
  }
  return map;
}

export function decide(
  group: Extract<ExternalGroup, { check: 'state' | 'auth-events' }>,
  c: DecisionCase,
  rules: RoomVersionRules,
): AuthResult {
  const event = pduOf(c.event, rules);
  if (group.check === 'state') return checkAgainstState(event, stateMap(group.state, rules), rules);
  const rejected = new Set(group.rejected ?? []);
  const pool = group.auth_events.map((e) => pduOf(e, rules, rejected.has(e.event_id as string)));
  return checkAuthEvents(event, pool, rules);
}

export function select(c: SelectionCase, rules: RoomVersionRules): Array<[string, string]> {
  const e = c.event;
  return authTypesForEvent(
    { type: e.type as string, sender: e.sender as string, content: (e.content ?? {}) as JsonObject, ...(typeof e.state_key === 'string' ? { state_key: e.state_key } : {}) },
    rules,
  );
}

export function levelOf(state: readonly JsonObject[], user: string, rules: RoomVersionRules): number {
  return userPowerLevel(user, stateMap(state, rules), rules);
}
