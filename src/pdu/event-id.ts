/**
 * `pdu event-id`: the id of an event in a room version (reference hash for v3+, the event's own
 * `event_id` for v1/v2). https://spec.matrix.org/v1.16/server-server-api/#calculating-the-reference-hash-for-an-event
 */
import { computeEventId } from '../matrix/event-id.js';
import { checkEventFormat } from '../matrix/event-format.js';
import { asInput, parseObject, printable, rulesFor } from './json-text.js';

export interface EventIdResult {
  event_id: string;
  /**
   * Set when the event is not valid on receipt in its room version (v6+: an integer beyond
   * canonical JSON's range). The id is still computed, as Synapse computes the ids of stored events
   * with its relaxed serializer in every room version (its test
   * `test_calculate_event_id_big_int_is_relaxed`, element-hq/synapse#19816).
   */
  invalid?: string;
}

export function pduEventId(text: string, roomVersion: string): EventIdResult {
  const rules = rulesFor(roomVersion);
  const event = parseObject(text, 'event');
  const format = checkEventFormat(event, rules);
  const eventId = asInput('event', () => computeEventId(event, rules));
  return format.valid ? { event_id: eventId } : { event_id: eventId, invalid: printable(format.reason) };
}
