/**
 * Signing and verifying JSON objects and events with Ed25519.
 * Appendices, "Signing JSON" and "Checking for a Signature":
 * https://spec.matrix.org/v1.16/appendices/#signing-json,
 * https://spec.matrix.org/v1.16/appendices/#checking-for-a-signature
 * Server-Server API, "Signing Events": https://spec.matrix.org/v1.16/server-server-api/#signing-events
 *
 * All canonical JSON here is relaxed about integer range (stored events of room versions 1–5 may
 * carry large integers and Synapse verifies them the same way); floats are always refused.
 */
import { sign, verify } from 'node:crypto';
import { decodeBase64, encodeBase64 } from './base64.js';
import { canonicalJson } from './canonical-json.js';
import { computeContentHash } from './hashes.js';
import { MatrixFormatError } from './matrix-format-error.js';
import type { JsonObject, JsonValue } from './pdu.js';
import { redactEvent } from './redaction.js';
import type { RoomVersionRules } from './room-versions.js';
import { privateKeyObject, publicKeyObject, type SigningKey } from './signing-key.js';

function isObject(v: JsonValue | undefined): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function requireObject(obj: JsonObject, what: string): void {
  if (!isObject(obj)) throw new MatrixFormatError(`${what} must be a JSON object`);
}

/** The signed bytes: canonical JSON without `signatures` and `unsigned`. */
function signedBytes(obj: JsonObject): Buffer {
  const body: JsonObject = {};
  for (const k of Object.keys(obj)) if (k !== 'signatures' && k !== 'unsigned') body[k] = obj[k]!;
  return Buffer.from(canonicalJson(body, { strictIntegers: false }), 'utf8');
}

/**
 * Returns a copy of `obj` signed by `key`: the signature over the canonical JSON without
 * `signatures` and `unsigned` is added under `signatures[serverName][keyId]`; existing signatures
 * and `unsigned` are kept. https://spec.matrix.org/v1.16/appendices/#signing-details
 */
export function signJson(obj: JsonObject, key: SigningKey): JsonObject {
  requireObject(obj, 'a signed object');
  const signature = encodeBase64(sign(null, signedBytes(obj), privateKeyObject(key.seed)));
  const existing = isObject(obj.signatures) ? obj.signatures : {};
  const mine = isObject(existing[key.serverName]) ? (existing[key.serverName] as JsonObject) : {};
  return { ...obj, signatures: { ...existing, [key.serverName]: { ...mine, [key.keyId]: signature } } };
}

/**
 * True when `obj.signatures[serverName][keyId]` is a valid Ed25519 signature by `publicKey` over
 * the object's canonical JSON without `signatures` and `unsigned`; false when it is missing, not
 * Base64, or does not verify. https://spec.matrix.org/v1.16/appendices/#checking-for-a-signature
 * Throws MatrixFormatError only when the object cannot be encoded as canonical JSON.
 */
export function verifyJsonSignature(obj: JsonObject, serverName: string, keyId: string, publicKey: Uint8Array): boolean {
  requireObject(obj, 'a signed object');
  const sigs = obj.signatures;
  if (!isObject(sigs) || !isObject(sigs[serverName])) return false;
  const sig = (sigs[serverName] as JsonObject)[keyId];
  if (typeof sig !== 'string') return false;
  return checkSignature(signedBytes(obj), sig, publicKey);
}

function checkSignature(bytes: Buffer, signatureB64: string, publicKey: Uint8Array): boolean {
  let sig: Uint8Array;
  try {
    sig = decodeBase64(signatureB64);
  } catch {
    return false;
  }
  if (sig.length !== 64) return false;
  return verify(null, bytes, publicKeyObject(publicKey), sig);
}

/**
 * Hashes and signs an event: `hashes.sha256` is set to the content hash, the redacted event is
 * signed, and the signature is copied onto (a copy of) the full event.
 * https://spec.matrix.org/v1.16/server-server-api/#adding-hashes-and-signatures-to-outgoing-events
 */
export function signEvent(event: JsonObject, key: SigningKey, rules: RoomVersionRules): JsonObject {
  requireObject(event, 'an event');
  const hashes = isObject(event.hashes) ? event.hashes : {};
  const hashed: JsonObject = { ...event, hashes: { ...hashes, sha256: computeContentHash(event) } };
  const signed = signJson(redactEvent(hashed, rules), key);
  return { ...hashed, signatures: signed.signatures! };
}

// --- Verifying received events -------------------------------------------------------------------

/** Known server keys: server → key id → unpadded Base64 public key and its validity. */
export type KeyRing = Record<string, Record<string, { key: string; valid_until_ts?: number }>>;

export interface EventSignatureReport {
  /** Every server that must have signed did, and no signature from a usable key of theirs failed. */
  ok: boolean;
  /** One entry per signature on the event (servers that need not sign are checked but only reported). */
  signatures: { server: string; key_id: string; ok: boolean; reason: string }[];
  /** Servers that must have signed but have no verified signature. */
  missing: string[];
}

function domainOf(id: JsonValue | undefined, field: string): string {
  const i = typeof id === 'string' ? id.indexOf(':') : -1;
  if (i < 0) throw new MatrixFormatError(`${field} must be an identifier with a server name`);
  return (id as string).slice(i + 1);
}

/**
 * The servers whose signatures an event needs.
 * https://spec.matrix.org/v1.16/server-server-api/#validating-hashes-and-signatures-on-received-events
 * - the sender's server, except for an invite made from a third-party invite (its sender matches
 *   the 3pid invite, but another server may have sent it);
 * - event format 1 (v1, v2): the server of the event id, if different (when the event has one);
 * - v8+: for an `m.room.member` event whose content has `join_authorised_via_users_server`, the
 *   server of that user (auth rule 4.2, https://spec.matrix.org/v1.16/rooms/v8/#authorisation-rules:
 *   "If content has a join_authorised_via_users_server property: if the event is not validly signed
 *   by the homeserver of the user ID denoted by the key, reject"). The rule names no membership, so
 *   it is applied to every membership, as the auth rules in src/matrix/auth do. Divergences: Synapse
 *   (`_check_sigs_on_pdu`) checks joins only; ruma-signatures checks any event type carrying the key.
 * The content inspected is the event's own (full) content, as Synapse does.
 */
export function requiredSignatureServers(event: JsonObject, rules: RoomVersionRules): string[] {
  const servers = new Set<string>();
  const content = isObject(event.content) ? event.content : {};
  const member = event.type === 'm.room.member';
  if (!(member && content.membership === 'invite' && Object.hasOwn(content, 'third_party_invite'))) {
    servers.add(domainOf(event.sender, 'sender'));
  }
  // format 1: an absent event_id is left to the PDU parser (computeEventId refuses it)
  if (rules.eventFormat === 1 && event.event_id !== undefined) servers.add(domainOf(event.event_id, 'event_id'));
  if (rules.restrictedJoinRule && member && Object.hasOwn(content, 'join_authorised_via_users_server')) {
    servers.add(domainOf(content.join_authorised_via_users_server, 'content.join_authorised_via_users_server'));
  }
  return [...servers];
}

const decodedKeys = new Map<string, Uint8Array | null>();

function publicKeyFromBase64(b64: string): Uint8Array | null {
  let key = decodedKeys.get(b64);
  if (key === undefined) {
    try {
      key = decodeBase64(b64);
      if (key.length !== 32) key = null;
    } catch {
      key = null;
    }
    if (decodedKeys.size > 10_000) decodedKeys.clear();
    decodedKeys.set(b64, key);
  }
  return key;
}

/**
 * Verifies the signatures on a received event against known keys: the redacted event is checked
 * (so a redacted copy verifies as well as the full event), unknown keys and non-ed25519 algorithms
 * are skipped, and with `rules.enforceKeyValidity` (v5+) a key whose `valid_until_ts` is before the
 * event's `origin_server_ts` is skipped. As in Synapse, each required server needs at least one
 * verified signature, and a failing signature from a usable key of a required server fails the event.
 * https://spec.matrix.org/v1.16/server-server-api/#validating-hashes-and-signatures-on-received-events
 * https://spec.matrix.org/v1.16/rooms/v5/#signing-key-validity-period (v5+)
 *
 * The "lesser of valid_until_ts and 7 days into the future" rule depends on when keys were fetched
 * and is left to whoever builds the KeyRing. The content hash is checked separately (checkContentHash).
 */
export function verifyEventSignatures(event: JsonObject, rules: RoomVersionRules, keys: KeyRing): EventSignatureReport {
  requireObject(event, 'an event');
  const required = requiredSignatureServers(event, rules);
  const redacted = redactEvent(event, rules);
  const ts = typeof event.origin_server_ts === 'number' ? event.origin_server_ts : 0;
  const minValid = rules.enforceKeyValidity ? ts : 0;
  let bytes: Buffer | undefined;
  const signatures: EventSignatureReport['signatures'] = [];
  const verified = new Set<string>();
  const failed = new Set<string>();
  const sigs = isObject(redacted.signatures) ? redacted.signatures : {};
  for (const server of Object.keys(sigs)) {
    const byKey = sigs[server];
    if (!isObject(byKey)) continue;
    for (const keyId of Object.keys(byKey)) {
      const entry = { server, key_id: keyId, ok: false, reason: '' };
      signatures.push(entry);
      const known = keys[server]?.[keyId];
      const validUntil = known?.valid_until_ts ?? Number.POSITIVE_INFINITY;
      const publicKey = known ? publicKeyFromBase64(known.key) : null;
      if (!keyId.startsWith('ed25519:')) entry.reason = 'skipped: unsupported algorithm';
      else if (!known) entry.reason = 'skipped: unknown key';
      else if (!publicKey) entry.reason = 'skipped: known key is not a valid ed25519 public key';
      else if (validUntil < minValid) entry.reason = `skipped: key valid until ${validUntil}, before origin_server_ts ${ts}`;
      else if (typeof byKey[keyId] !== 'string') {
        entry.reason = 'invalid: signature is not a string';
        failed.add(server);
      } else {
        bytes ??= signedBytes(redacted);
        entry.ok = checkSignature(bytes, byKey[keyId] as string, publicKey);
        entry.reason = entry.ok ? 'verified' : 'invalid signature';
        (entry.ok ? verified : failed).add(server);
      }
    }
  }
  const missing = required.filter((s) => !verified.has(s));
  const ok = missing.length === 0 && !required.some((s) => failed.has(s));
  return { ok, signatures, missing };
}

/**
 * Builds a KeyRing from server key responses (`GET /_matrix/key/v2/server` or the `server_keys` of a
 * notary's `/query`): `verify_keys` are valid until the response's `valid_until_ts`, `old_verify_keys`
 * until their `expired_ts`. When a key appears more than once, the longest validity wins (as Synapse).
 * The responses' own signatures are not checked here. https://spec.matrix.org/v1.16/server-server-api/#publishing-keys
 */
export function keyRingFromServerKeys(responses: JsonObject[]): KeyRing {
  const ring: KeyRing = {};
  const add = (server: string, keyId: string, entry: JsonValue | undefined, validUntil: JsonValue | undefined): void => {
    if (!isObject(entry) || typeof entry.key !== 'string') return;
    const until = typeof validUntil === 'number' ? validUntil : undefined;
    const byKey = (ring[server] ??= {});
    const prev = byKey[keyId];
    if (prev && (prev.valid_until_ts ?? Number.POSITIVE_INFINITY) >= (until ?? Number.POSITIVE_INFINITY)) return;
    byKey[keyId] = until === undefined ? { key: entry.key } : { key: entry.key, valid_until_ts: until };
  };
  for (const response of responses) {
    requireObject(response, 'a server key response');
    if (typeof response.server_name !== 'string') throw new MatrixFormatError('server key response lacks server_name');
    const server = response.server_name;
    const current = isObject(response.verify_keys) ? response.verify_keys : {};
    for (const keyId of Object.keys(current)) add(server, keyId, current[keyId], response.valid_until_ts);
    const old = isObject(response.old_verify_keys) ? response.old_verify_keys : {};
    for (const keyId of Object.keys(old)) {
      const entry = old[keyId];
      // an old key without `expired_ts` is malformed; it is left out rather than trusted forever
      if (isObject(entry) && typeof entry.expired_ts === 'number') add(server, keyId, entry, entry.expired_ts);
    }
  }
  return ring;
}
