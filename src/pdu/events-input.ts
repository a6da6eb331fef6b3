/**
 * Event lists given to `pdu auth` and `pdu resolve`: JSON arrays whose entries are events, or
 * `{"event": {...}, "rejected": true}` for an event the local server rejected. Ids are read from
 * `event_id` for v1/v2. For room versions 3+ a PDU carries no id and we compute it (the reference
 * hash); when an entry does carry a string `event_id` (client-format events, the admin API, other
 * implementations' state-resolution fixtures with made-up ids) that id is used as given, because the
 * other documents (auth_events, state sets) refer to the events by it.
 */
import { pduFromJson } from '../matrix/event-id.js';
import { isJsonObject, toPdu } from '../matrix/pdu.js';
import type { JsonValue, Pdu } from '../matrix/pdu.js';
import type { RoomVersionRules } from '../matrix/room-versions.js';
import { asInput, kindOf, malformed } from './json-text.js';

/** One entry of an event list; `where` names it in errors ("auth events[2]"). */
export function eventEntry(entry: JsonValue, rules: RoomVersionRules, where: string): Pdu {
  if (!isJsonObject(entry)) throw malformed(`${where}: expected an event object, got ${kindOf(entry)}`);
  const wrapped = isJsonObject(entry.event) && !('type' in entry);
  const raw = wrapped ? (entry.event as Record<string, JsonValue>) : entry;
  const rejectedField = wrapped ? entry.rejected : undefined;
  if (rejectedField !== undefined && typeof rejectedField !== 'boolean') throw malformed(`${where}: "rejected" must be true or false`);
  const options = { rejected: rejectedField === true };
  return asInput(where, () =>
    typeof raw.event_id === 'string' ? toPdu(raw, rules, raw.event_id, options) : pduFromJson(raw, rules, options),
  );
}

export function eventList(entries: readonly JsonValue[], rules: RoomVersionRules, what: string): Pdu[] {
  return entries.map((entry, i) => eventEntry(entry, rules, `${what}[${i}]`));
}
