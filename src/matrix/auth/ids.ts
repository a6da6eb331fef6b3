/**
 * Small helpers on identifiers used by the authorization rules.
 * Appendices, "Identifier Grammar": https://spec.matrix.org/v1.16/appendices/#identifier-grammar
 */
import type { Pdu } from '../pdu.js';
import { stateKeyOf } from '../pdu.js';
import { own } from './power-levels.js';

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

const MEMBER_KEYS = new Map<string, string>();
const MEMBER_KEYS_MAX = 65_536;

/**
 * stateKeyOf('m.room.member', userId), memoised: building and hashing the key string was most of
 * the cost of a check (the cached string keeps its hash). The cache is emptied when it grows large.
 */
export function memberKey(userId: string): string {
  let key = MEMBER_KEYS.get(userId);
  if (key === undefined) {
    if (MEMBER_KEYS.size >= MEMBER_KEYS_MAX) MEMBER_KEYS.clear();
    key = stateKeyOf('m.room.member', userId);
    MEMBER_KEYS.set(userId, key);
  }
  return key;
}

/** A user's membership in the given auth events, or undefined (no member event or no string membership). */
export function membershipIn(authEvents: ReadonlyMap<string, Pdu>, userId: string): string | undefined {
  const ev = authEvents.get(memberKey(userId));
  if (ev === undefined) return undefined;
  const m = own(ev.content, 'membership');
  return typeof m === 'string' ? m : undefined;
}

/** How a membership reads in a message. */
export function describeMembership(m: string | undefined): string {
  return m === undefined ? "no membership" : `membership ${show(m)}`;
}

/** A JSON value shown in a message, cut short (content is hostile and may be huge). */
export function show(value: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(value) ?? String(value);
  } catch {
    s = String(value);
  }
  return s.length > 80 ? s.slice(0, 77) + '…' : s;
}
