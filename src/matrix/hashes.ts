/**
 * Content hashes and reference hashes of events.
 * Server-Server API, "Calculating the content hash for an event":
 * https://spec.matrix.org/v1.16/server-server-api/#calculating-the-content-hash-for-an-event
 * and "Calculating the reference hash for an event":
 * https://spec.matrix.org/v1.16/server-server-api/#calculating-the-reference-hash-for-an-event
 */
import { createHash } from 'node:crypto';
import { decodeBase64, encodeBase64 } from './base64.js';
import { canonicalJson } from './canonical-json.js';
import { MatrixFormatError } from './matrix-format-error.js';
import type { JsonObject } from './pdu.js';
import { redactEvent } from './redaction.js';
import type { RoomVersionRules } from './room-versions.js';

/** SHA-256 of a string's UTF-8 bytes. */
export function sha256(text: string | Uint8Array): Uint8Array {
  const digest = createHash('sha256').update(text).digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

function requireObject(event: JsonObject): void {
  if (event === null || typeof event !== 'object' || Array.isArray(event)) {
    throw new MatrixFormatError('an event must be a JSON object');
  }
}

/** Shallow copy without the listed top-level keys. */
function without(event: JsonObject, keys: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const k of Object.keys(event)) if (!keys.includes(k)) out[k] = event[k]!;
  return out;
}

/**
 * The raw SHA-256 content hash: canonical JSON of the event without `unsigned`, `signatures` and
 * `hashes`. https://spec.matrix.org/v1.16/server-server-api/#calculating-the-content-hash-for-an-event
 *
 * `strictIntegers` defaults to false: the hash of a stored event must be computable even when it
 * carries integers outside the canonical range (room versions 1–5).
 */
export function computeContentHashBytes(event: JsonObject, options: { strictIntegers?: boolean } = {}): Uint8Array {
  requireObject(event);
  const stripped = without(event, ['unsigned', 'signatures', 'hashes']);
  return sha256(canonicalJson(stripped, { strictIntegers: options.strictIntegers ?? false }));
}

/**
 * The content hash as unpadded standard Base64, the form stored in `hashes.sha256`.
 * https://spec.matrix.org/v1.16/server-server-api/#calculating-the-content-hash-for-an-event
 */
export function computeContentHash(event: JsonObject, options: { strictIntegers?: boolean } = {}): string {
  return encodeBase64(computeContentHashBytes(event, options));
}

/**
 * Compares the event's `hashes.sha256` with its recomputed content hash. A mismatch means the event
 * was redacted (or tampered with); the receiver then uses the redacted form.
 * https://spec.matrix.org/v1.16/server-server-api/#validating-hashes-and-signatures-on-received-events
 *
 * `expected` is the stored hash normalised to unpadded standard Base64 (undefined when missing or
 * not Base64), so padded or URL-safe spellings of the same bytes compare equal.
 */
export function checkContentHash(event: JsonObject): { computed: string; expected: string | undefined; ok: boolean } {
  const computed = computeContentHash(event);
  const hashes = event.hashes;
  let expected: string | undefined;
  if (hashes !== null && typeof hashes === 'object' && !Array.isArray(hashes) && typeof hashes.sha256 === 'string') {
    expected = normaliseBase64(hashes.sha256);
  }
  return { computed, expected, ok: expected === computed };
}

function normaliseBase64(text: string): string | undefined {
  if (text.length === 43 && /^[A-Za-z0-9+/]*[AEIMQUYcgkosw048]$/.test(text)) return text; // canonical already
  try {
    return encodeBase64(decodeBase64(text)); // Synapse compares the decoded bytes
  } catch {
    return undefined;
  }
}

/**
 * The reference hash: SHA-256 of the canonical JSON of the redacted event without `signatures` and
 * `unsigned` (and a top-level `age_ts`, which Synapse also removes; redaction drops it anyway).
 * https://spec.matrix.org/v1.16/server-server-api/#calculating-the-reference-hash-for-an-event
 *
 * Integers outside the canonical range are accepted (Synapse hashes stored events with its relaxed
 * serializer in every room version); floats are refused.
 */
export function computeReferenceHash(event: JsonObject, rules: RoomVersionRules): Uint8Array {
  const redacted = redactEvent(event, rules);
  delete redacted.signatures;
  delete redacted.unsigned;
  delete redacted.age_ts;
  return sha256(canonicalJson(redacted, { strictIntegers: false }));
}
