/**
 * Auth events selection: which (type, state_key) pairs an event's `auth_events` may cite.
 * https://spec.matrix.org/v1.16/server-server-api/#auth-events-selection
 *
 * Synapse: `auth_types_for_event` in synapse/event_auth.py. Synapse always includes the create event
 * in the set (its v12 events carry the create event implicitly); here v12 (roomIdFromCreateEvent)
 * leaves it out, as the spec says it must not be selected.
 */
import type { JsonObject } from '../pdu.js';
import type { RoomVersionRules } from '../room-versions.js';
import { isJsonObject, own } from './power-levels.js';

export type AuthEventsSelectionInput = { type: string; state_key?: string; sender: string; content: JsonObject };

export function authTypesForEvent(
  event: AuthEventsSelectionInput,
  rules: RoomVersionRules,
): Array<[type: string, stateKey: string]> {
  if (event.type === 'm.room.create') return [];
  const out: Array<[string, string]> = [];
  if (!rules.roomIdFromCreateEvent) out.push(['m.room.create', '']);
  out.push(['m.room.power_levels', '']);
  out.push(['m.room.member', event.sender]);
  if (event.type !== 'm.room.member') return out;

  const content = event.content;
  const membership = own(content, 'membership');
  const addMember = (userId: string): void => {
    for (const [t, k] of out) if (t === 'm.room.member' && k === userId) return;
    out.push(['m.room.member', userId]);
  };
  if (event.state_key !== undefined) addMember(event.state_key);
  if (membership === 'join' || membership === 'invite' || membership === 'knock') {
    out.push(['m.room.join_rules', '']);
  }
  if (membership === 'invite') {
    const tpi = own(content, 'third_party_invite');
    const signed = isJsonObject(tpi) ? own(tpi, 'signed') : undefined;
    const token = isJsonObject(signed) ? own(signed, 'token') : undefined;
    if (typeof token === 'string') out.push(['m.room.third_party_invite', token]);
  }
  if (rules.restrictedJoinRule && membership === 'join') {
    const via = own(content, 'join_authorised_via_users_server');
    if (typeof via === 'string') addMember(via);
  }
  return out;
}
