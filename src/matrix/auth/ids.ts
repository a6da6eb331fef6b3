/**
 * Small helpers on identifiers used by the authorization rules. The identifier grammar itself
 * (domainOf, user id and server name validation) lives in ../ids.ts, re-exported here.
 */
import type { Pdu } from '../pdu.js';
import { stateKeyOf } from '../pdu.js';
import { own } from './power-levels.js';

export { domainOf, isValidServerName, isValidUserId, isValidUserIdWithServerName } from '../ids.js';

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
