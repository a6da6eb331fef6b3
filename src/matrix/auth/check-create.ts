/**
 * Rule 1 of every room version: the `m.room.create` event.
 * https://spec.matrix.org/v1.16/rooms/v12/#authorization-rules (and …/v11/, …/v10/, …/v1/)
 *
 * Synapse: `_check_create` in synapse/event_auth.py. Synapse also applies `room_version` "1" as
 * the default when the property is absent, which is the same as skipping the check.
 */
import type { Pdu } from '../pdu.js';
import { ROOM_VERSIONS } from '../room-versions.js';
import type { RoomVersionRules } from '../room-versions.js';
import type { AuthResult, AuthStep } from './auth-result.js';
import { allow, deny } from './auth-result.js';
import { domainOf, isValidUserIdWithServerName } from '../ids.js';
import { show } from './ids.js';
import { PASS } from './pass-steps.js';
import { own } from './power-levels.js';

export function checkCreateEvent(event: Pdu, rules: RoomVersionRules, trace: AuthStep[]): AuthResult {
  if (event.prev_events.length > 0) {
    return deny('create.has-prev-events', `the create event ${event.event_id} has ${event.prev_events.length} prev_events; it must have none`, trace);
  }
  trace.push(PASS['create.has-prev-events']);

  if (rules.roomIdFromCreateEvent) {
    if (Object.hasOwn(event.raw, 'room_id')) {
      return deny('create.has-room-id', `the create event has a room_id (${show(event.raw.room_id)}); in this room version the room id is derived from the create event's id`, trace);
    }
    trace.push(PASS['create.has-room-id']);
  } else {
    const roomDomain = domainOf(event.room_id);
    const senderDomain = domainOf(event.sender);
    if (roomDomain === undefined || roomDomain !== senderDomain) {
      return deny('create.room-id-domain', `the room id ${event.room_id} is not on the sender's server (${senderDomain ?? 'sender has no server name'})`, trace);
    }
    trace.push(PASS['create.room-id-domain']);
  }

  if (Object.hasOwn(event.content, 'room_version')) {
    const v = event.content.room_version;
    if (typeof v !== 'string' || !ROOM_VERSIONS.has(v)) {
      return deny('create.room-version', `content.room_version ${show(v)} is not a recognised room version`, trace);
    }
  }
  trace.push(PASS['create.room-version']);

  if (!rules.implicitRoomCreator) {
    if (!Object.hasOwn(event.content, 'creator')) {
      return deny('create.no-creator', 'the create event has no content.creator, which this room version requires', trace);
    }
    trace.push(PASS['create.no-creator']);
  }

  if (rules.privilegedCreators) {
    if (Object.hasOwn(event.content, 'additional_creators')) {
      const extra = own(event.content, 'additional_creators');
      if (!Array.isArray(extra)) {
        return deny('create.additional-creators', 'content.additional_creators is not an array', trace);
      }
      for (const entry of extra) {
        if (!isValidUserIdWithServerName(entry)) {
          return deny('create.additional-creators', `content.additional_creators contains ${show(entry)}, which is not a valid user id`, trace);
        }
      }
    }
    trace.push(PASS['create.additional-creators']);
  }

  return allow('create.allow', `a valid create event from ${event.sender}`, trace);
}
