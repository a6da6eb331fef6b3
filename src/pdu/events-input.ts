/**
 * Event lists given to `pdu auth` and `pdu resolve`: JSON arrays whose entries are events, or
 * `{"event": {...}, "rejected": true}` for an event the local server rejected. Ids are computed for
 * room versions 3+ (the reference hash) and read from `event_id` for v1/v2.
 */
import { pduFromJson } from '../matrix/event-id.js';
import type { JsonValue, Pdu } from '../matrix/pdu.js';
import type { RoomVersionRules } from '../matrix/room-versions.js';
import { asInput, isObject, kindOf, malformed } from './json-text.js';

/** One entry of an event list; `where` names it in errors ("auth events[2]"). */
export function eventEntry(entry: JsonValue, rules: RoomVersionRules, where: string): Pdu {
  if (!isObject(entry)) throw malformed(`${where}: expected an event object, got ${kindOf(entry)}`);
  const wrapped = isObject(entry.event) && !('type' in entry);
  const raw = wrapped ? (entry.event as Record<string, JsonValue>) : entry;
  const rejectedField = wrapped ? entry.rejected : undefined;
  if (rejectedField !== undefined && typeof rejectedField !== 'boolean') throw malformed(`${where}: "rejected" must be true or false`);
  return asInput(where, () => pduFromJson(raw, rules, { rejected: rejectedField === true }));
}

export function eventList(entries: readonly JsonValue[], rules: RoomVersionRules, what: string): Pdu[] {
  return entries.map((entry, i) => eventEntry(entry, rules, `${what}[${i}]`));
}
