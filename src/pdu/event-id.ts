/**
 * `pdu event-id`: the id of an event in a room version (reference hash for v3+, the event's own
 * `event_id` for v1/v2). https://spec.matrix.org/v1.16/server-server-api/#calculating-the-reference-hash-for-an-event
 */
import { computeEventId } from '../matrix/event-id.js';
import { checkEventFormat } from '../matrix/event-format.js';
import { asInput, malformed, parseObject, rulesFor } from './json-text.js';

export interface EventIdResult {
  event_id: string;
}

export function pduEventId(text: string, roomVersion: string): EventIdResult {
  const rules = rulesFor(roomVersion);
  const event = parseObject(text, 'event');
  // A v6+ event with an integer out of range is not a valid event: it has no id to compute.
  const format = checkEventFormat(event, rules);
  if (!format.valid) throw malformed(`event: ${format.reason}`);
  return { event_id: asInput('event', () => computeEventId(event, rules)) };
}
