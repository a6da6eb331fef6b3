/**
 * A fast path for canonical JSON (https://spec.matrix.org/v1.16/appendices/#canonical-json) used
 * where millions of stored events are hashed (fsck): the value is re-built with sorted keys and
 * handed to JSON.stringify, which writes exactly the canonical form for safe integers and
 * well-formed strings. Anything else (a key made of digits, which JavaScript objects order first, a bigint, a fraction, a lone surrogate, a key at or above
 * U+D800 whose UTF-16 order may differ from code-point order, a non-plain object, deep nesting)
 * returns undefined: the caller then uses `canonicalJson`, which is exact and says what is wrong.
 */
import crypto from 'node:crypto';
import type { JsonObject } from './pdu.js';
import { redactEvent } from './redaction.js';
import type { RoomVersionRules } from './room-versions.js';

const HIGH_CHAR = /[\ud800-\uffff]/;
/** Keys JavaScript orders numerically before all others (array-index-like), whatever their insertion order. */
const INDEX_LIKE = /^\d+$/;
const MAX_DEPTH = 100;

function sorted(v: unknown, depth: number): unknown {
  switch (typeof v) {
    case 'string':
      if (!(v as string & { isWellFormed(): boolean }).isWellFormed()) throw FALLBACK;
      return v;
    case 'number':
      if (!Number.isSafeInteger(v) || Object.is(v, -0)) throw FALLBACK;
      return v;
    case 'boolean':
      return v;
    case 'object':
      break;
    default:
      throw FALLBACK;
  }
  if (v === null) return null;
  if (depth > MAX_DEPTH) throw FALLBACK;
  if (Array.isArray(v)) {
    const out = new Array<unknown>(v.length);
    for (let i = 0; i < v.length; i++) out[i] = sorted(v[i], depth + 1);
    return out;
  }
  if (Object.getPrototypeOf(v) !== Object.prototype) throw FALLBACK;
  const keys = Object.keys(v as object).sort();
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    if (HIGH_CHAR.test(k) || INDEX_LIKE.test(k) || k === '__proto__') throw FALLBACK;
    out[k] = sorted((v as Record<string, unknown>)[k], depth + 1);
  }
  return out;
}

const FALLBACK = new Error('canonical-fast: fallback');

/** Canonical JSON of `value` when the fast path is exact, else undefined. */
export function canonicalJsonIfSimple(value: unknown): string | undefined {
  try {
    return JSON.stringify(sorted(value, 0));
  } catch (e) {
    if (e === FALLBACK) return undefined;
    throw e;
  }
}

/** The value re-built with sorted keys (what JSON.stringify then writes canonically), or undefined. */
export function sortedIfSimple(value: unknown): unknown {
  try {
    return sorted(value, 0);
  } catch (e) {
    if (e === FALLBACK) return undefined;
    throw e;
  }
}

type HashFn = (algorithm: string, data: string, encoding: 'base64') => string;
const oneShot = (crypto as unknown as { hash?: HashFn }).hash;

/** SHA-256 of a string's UTF-8 bytes in unpadded standard Base64. */
function sha256Base64(text: string): string {
  const b64 = oneShot ? oneShot('sha256', text, 'base64') : crypto.createHash('sha256').update(text).digest('base64');
  return b64.replace(/=+$/, '');
}

/**
 * The content hash (as Synapse computes it: synapse/crypto/event_signing.py `compute_content_hash`,
 * which also drops a top-level age_ts, outlier and destinations) and, for event formats 2+, the
 * event id (the reference hash) of a stored event, on the fast path; undefined where the event is
 * not simple (the caller then uses src/matrix/hashes.ts and event-id.ts, which are exact).
 */
export function fastEventHashes(raw: JsonObject, rules: RoomVersionRules): { contentHash: string; eventId: string | undefined } | undefined {
  const s = sortedIfSimple(raw) as JsonObject | undefined;
  if (s === undefined) return undefined;
  // Every value of `s` is sorted and checked already: the two hashed forms only pick top-level keys
  // (in sorted order, on a fresh object: JSON.stringify writes one built by `delete` slowly).
  const contentHash = sha256Base64(JSON.stringify(pick(s, Object.keys(s), CONTENT_HASH_OMITS)));
  if (rules.eventFormat === 1) return { contentHash, eventId: undefined };
  let redacted: JsonObject;
  try {
    redacted = redactEvent(s, rules);
  } catch {
    return undefined;
  }
  // the pruned content is a new object in redaction's key order: sorted again (it is small)
  const content = sortedIfSimple(redacted.content);
  if (content === undefined) return undefined;
  redacted.content = content as JsonObject;
  const b64 = sha256Base64(JSON.stringify(pick(redacted, Object.keys(redacted).sort(), REFERENCE_HASH_OMITS)));
  return { contentHash, eventId: '$' + (rules.eventFormat === 2 ? b64 : b64.replace(/\+/g, '-').replace(/\//g, '_')) };
}

/** Top-level keys Synapse leaves out of the content hash (event_signing.py `compute_content_hash`). */
const CONTENT_HASH_OMITS: ReadonlySet<string> = new Set(['unsigned', 'signatures', 'hashes', 'age_ts', 'outlier', 'destinations']);
/** Left out of the redacted event for the reference hash (event_signing.py `compute_event_reference_hash`). */
const REFERENCE_HASH_OMITS: ReadonlySet<string> = new Set(['signatures', 'unsigned', 'age_ts']);

/** A new object with `keys` of `o` (in that order) but those in `omit`. */
function pick(o: JsonObject, keys: readonly string[], omit: ReadonlySet<string>): JsonObject {
  const out: JsonObject = {};
  for (const k of keys) if (!omit.has(k)) out[k] = o[k]!;
  return out;
}
