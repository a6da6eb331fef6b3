/**
 * `pdu check-hash`: recomputes an event's content hash and compares it with `hashes.sha256`.
 * https://spec.matrix.org/v1.16/server-server-api/#calculating-the-content-hash-for-an-event
 */
import { checkContentHash } from '../matrix/hashes.js';
import { asInput, parseObject, rulesFor } from './json-text.js';

export interface CheckHashResult {
  computed: string;
  /** The event's `hashes.sha256`, or null when it has none. */
  expected: string | null;
  ok: boolean;
}

/** The room version is optional: the content hash is the same in every version (it is validated). */
export function pduCheckHash(text: string, roomVersion?: string): CheckHashResult {
  if (roomVersion !== undefined) rulesFor(roomVersion);
  const event = parseObject(text, 'event');
  const r = asInput('event', () => checkContentHash(event));
  return { computed: r.computed, expected: r.expected ?? null, ok: r.ok };
}
