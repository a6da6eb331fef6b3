/**
 * Identifiers of the protocol: server names, user ids, and the v12 link between a room id and its
 * create event's id.
 * Appendices, "Identifier Grammar": https://spec.matrix.org/v1.16/appendices/#identifier-grammar
 */

/** The server part of a user, room (pre-v12) or v1/v2 event id: everything after the first ':'. */
export function domainOf(id: string): string | undefined {
  const i = id.indexOf(':');
  return i < 0 ? undefined : id.slice(i + 1);
}

/**
 * A user id as the authorization rules validate it: `@`, a localpart, `:`, a non-empty server name,
 * at most 255 bytes. Historical localparts are accepted (appendices, "Historical User IDs"), as
 * Synapse's `UserID.is_valid` does.
 */
export function isValidUserId(value: unknown): value is string {
  if (typeof value !== 'string' || value.length < 3 || value.charCodeAt(0) !== 0x40) return false;
  const colon = value.indexOf(':');
  if (colon < 1 || colon === value.length - 1) return false;
  return Buffer.byteLength(value, 'utf8') <= 255;
}

const HOSTNAME = /^[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*$/;
const IPV6_LITERAL = /^\[[0-9A-Fa-f:.]+\]$/;
const PORT = /^[0-9]{1,5}$/;

/**
 * A server name as the grammar allows (appendices, "Server Name"): a DNS name or IPv4 address, or
 * an IPv6 literal in brackets, optionally followed by ":" and a port of 1–5 digits.
 */
export function isValidServerName(name: string): boolean {
  if (name.endsWith(']')) return IPV6_LITERAL.test(name);
  const colon = name.lastIndexOf(':');
  const host = colon < 0 ? name : name.slice(0, colon);
  if (colon >= 0 && !PORT.test(name.slice(colon + 1))) return false;
  return host.endsWith(']') ? IPV6_LITERAL.test(host) : HOSTNAME.test(host);
}

/**
 * isValidUserId plus a valid server name: the "user ID validation" v12 applies to
 * `additional_creators` (rooms/v12 rule 1.4). Synapse: `UserID.is_valid`, which runs
 * `parse_and_validate_server_name` on the part after the first ':'.
 */
export function isValidUserIdWithServerName(value: unknown): value is string {
  return isValidUserId(value) && isValidServerName(value.slice(value.indexOf(':') + 1));
}

/**
 * The id of the room's create event in room versions whose room id is derived from it (v12,
 * MSC4291): `$` + the room id without its `!` sigil.
 * https://spec.matrix.org/v1.16/rooms/v12/#event-format
 */
export function impliedCreateEventId(roomId: string): string {
  return '$' + roomId.slice(1);
}

/**
 * The inverse of impliedCreateEventId: the room id a v12 create event defines, `!` + its event id
 * without the `$`. https://spec.matrix.org/v1.16/appendices/#room-ids
 */
export function roomIdOfCreateEventId(createEventId: string): string {
  return '!' + createEventId.slice(1);
}
