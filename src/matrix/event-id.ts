/**
 * Event ids per event format.
 * Room versions 1–2: the id is chosen by the sending server and carried in the event,
 * https://spec.matrix.org/v1.16/rooms/v1/#event-ids
 * Room version 3: `$` + unpadded standard Base64 of the reference hash,
 * https://spec.matrix.org/v1.16/rooms/v3/#event-ids
 * Room versions 4+: the same in URL-safe unpadded Base64, https://spec.matrix.org/v1.16/rooms/v4/#event-ids
 * Room version 12: the room id is `!` + the create event's reference hash,
 * https://spec.matrix.org/v1.16/appendices/#room-ids (and /rooms/v12/#event-format)
 */
import { encodeBase64, encodeBase64Url } from './base64.js';
import { computeReferenceHash } from './hashes.js';
import { roomIdOfCreateEventId } from './ids.js';
import { MatrixFormatError } from './matrix-format-error.js';
import { toPdu, type JsonObject, type Pdu } from './pdu.js';
import type { RoomVersionRules } from './room-versions.js';

/**
 * The event id of an event in a room of the given version: the event's own `event_id` for
 * format 1 (MatrixFormatError when absent), otherwise `$` + the reference hash in standard
 * (format 2, v3) or URL-safe (formats 3/4, v4+) unpadded Base64. For formats 2+ any `event_id`
 * field in the JSON is ignored (redaction keeps it, so it is hashed if present).
 * https://spec.matrix.org/v1.16/server-server-api/#calculating-the-reference-hash-for-an-event
 */
export function computeEventId(event: JsonObject, rules: RoomVersionRules): string {
  if (rules.eventFormat === 1) {
    if (event === null || typeof event !== 'object' || Array.isArray(event)) {
      throw new MatrixFormatError('an event must be a JSON object');
    }
    if (typeof event.event_id !== 'string') {
      throw new MatrixFormatError(`event_id is missing: room version ${rules.id} events carry their own id`);
    }
    return event.event_id;
  }
  const hash = computeReferenceHash(event, rules);
  return '$' + (rules.eventFormat === 2 ? encodeBase64(hash) : encodeBase64Url(hash));
}

/**
 * Parses raw PDU JSON into the normalised view, computing its id for this room version.
 * https://spec.matrix.org/v1.16/server-server-api/#pdus
 */
export function pduFromJson(
  raw: JsonObject,
  rules: RoomVersionRules,
  options: { rejected?: boolean; roomId?: string } = {},
): Pdu {
  return toPdu(raw, rules, computeEventId(raw, rules), options);
}

/**
 * The room id a create event defines in room versions whose room id derives from it (v12,
 * `rules.roomIdFromCreateEvent`): `!` + the create event's id without its `$`.
 * MatrixFormatError for other room versions or non-create events.
 * https://spec.matrix.org/v1.16/appendices/#room-ids (and /rooms/v12/#event-format)
 */
export function roomIdForCreateEvent(createEvent: JsonObject, rules: RoomVersionRules): string {
  if (!rules.roomIdFromCreateEvent) {
    throw new MatrixFormatError(`room version ${rules.id} does not derive room ids from the create event`);
  }
  if (createEvent?.type !== 'm.room.create') throw new MatrixFormatError('not an m.room.create event');
  return roomIdOfCreateEventId(computeEventId(createEvent, rules));
}
