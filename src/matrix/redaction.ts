/**
 * The redaction algorithm: which parts of an event survive a redaction, and therefore which parts
 * event signatures and reference hashes (event ids) cover.
 *
 * Spec, per room version: https://spec.matrix.org/v1.16/rooms/v1/#redactions (v1–v5),
 * https://spec.matrix.org/v1.16/rooms/v6/#redactions (v6–v7, no `aliases`),
 * https://spec.matrix.org/v1.16/rooms/v8/#redactions (join_rules `allow`),
 * https://spec.matrix.org/v1.16/rooms/v9/#redactions (`join_authorised_via_users_server`),
 * https://spec.matrix.org/v1.16/rooms/v11/#redactions (MSC2176, MSC3821, MSC3989; also v12).
 * Client-Server API "Redactions": https://spec.matrix.org/v1.16/client-server-api/#redactions
 *
 * `unsigned` is dropped entirely, as the spec's key lists say. (Synapse's `redact` keeps
 * `unsigned.age_ts` and `unsigned.replaces_state`, but it removes `unsigned` again before hashing or
 * signing, so hashes, ids and signatures are the same either way.)
 *
 * One Synapse behaviour the spec text leaves implicit is followed: in versions whose room id is
 * derived from the create event (v12), a create event's `room_id` is not kept.
 */
import { MatrixFormatError } from './matrix-format-error.js';
import { isJsonObject, type JsonObject, type JsonValue } from './pdu.js';
import type { RoomVersionRules } from './room-versions.js';

const KEPT_TOP_LEVEL = [
  'event_id',
  'type',
  'room_id',
  'sender',
  'state_key',
  'content',
  'hashes',
  'signatures',
  'depth',
  'prev_events',
  'auth_events',
  'origin_server_ts',
] as const;
/** Kept before the v11 rules (MSC2176 and MSC3989 stopped protecting them). */
const KEPT_TOP_LEVEL_BEFORE_V11 = ['prev_state', 'origin', 'membership'] as const;

const POWER_LEVEL_KEYS = ['ban', 'events', 'events_default', 'kick', 'redact', 'state_default', 'users', 'users_default'];


/** The content keys that survive redaction for an event type under these rules. */
function redactContent(type: string, content: JsonValue, rules: RoomVersionRules): JsonObject {
  const out: JsonObject = {};
  if (!isJsonObject(content)) return out; // nothing to keep (Synapse behaves the same way)
  const keep = (...keys: string[]): void => {
    for (const k of keys) if (Object.hasOwn(content, k)) out[k] = content[k]!;
  };
  const v11 = rules.updatedRedactionRules;
  switch (type) {
    case 'm.room.member':
      keep('membership');
      if (rules.redactionKeepsJoinAuthorisedVia) keep('join_authorised_via_users_server');
      if (v11 && isJsonObject(content.third_party_invite)) {
        // MSC3821: only `signed` survives; an invite object without it becomes `{}` (as Synapse).
        const tpi = content.third_party_invite;
        out.third_party_invite = Object.hasOwn(tpi, 'signed') ? { signed: tpi.signed! } : {};
      }
      break;
    case 'm.room.create':
      if (v11) keep(...Object.keys(content));
      else keep('creator');
      break;
    case 'm.room.join_rules':
      keep('join_rule');
      if (rules.redactionKeepsJoinRulesAllow) keep('allow');
      break;
    case 'm.room.power_levels':
      keep(...POWER_LEVEL_KEYS);
      if (v11) keep('invite');
      break;
    case 'm.room.aliases':
      if (rules.redactionKeepsAliases) keep('aliases');
      break;
    case 'm.room.history_visibility':
      keep('history_visibility');
      break;
    case 'm.room.redaction':
      if (v11) keep('redacts');
      break;
  }
  return out;
}

/**
 * Returns the redacted copy of an event under the given room version's rules (the input is not
 * modified; kept values are shared, not cloned). https://spec.matrix.org/v1.16/client-server-api/#redactions
 * and the per-version "Redactions" sections, e.g. https://spec.matrix.org/v1.16/rooms/v11/#redactions
 *
 * Throws MatrixFormatError when the event is not an object or lacks a string `type` or a `content`.
 */
export function redactEvent(event: JsonObject, rules: RoomVersionRules): JsonObject {
  if (!isJsonObject(event)) throw new MatrixFormatError('an event must be a JSON object');
  const type = event.type;
  if (typeof type !== 'string') throw new MatrixFormatError('event field type must be a string');
  if (!Object.hasOwn(event, 'content')) throw new MatrixFormatError('event field content is missing');
  const out: JsonObject = {};
  const copy = (k: string): void => {
    if (Object.hasOwn(event, k)) out[k] = event[k]!;
  };
  for (const k of KEPT_TOP_LEVEL) copy(k);
  if (!rules.updatedRedactionRules) for (const k of KEPT_TOP_LEVEL_BEFORE_V11) copy(k);
  if (rules.roomIdFromCreateEvent && type === 'm.room.create') delete out.room_id;
  out.content = redactContent(type, event.content!, rules);
  return out;
}
