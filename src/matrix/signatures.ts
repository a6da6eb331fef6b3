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
import { domainOf } from './ids.js';
import { isJsonObject, type JsonObject, type JsonValue } from './pdu.js';
import { redactEvent } from './redaction.js';
import type { RoomVersionRules } from './room-versions.js';
import { privateKeyObject, publicKeyObject, type SigningKey } from './signing-key.js';


function requireObject(obj: JsonObject, what: string): void {
  if (!isJsonObject(obj)) throw new MatrixFormatError(`${what} must be a JSON object`);
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
  const existing = isJsonObject(obj.signatures) ? obj.signatures : {};
  const mine = isJsonObject(existing[key.serverName]) ? (existing[key.serverName] as JsonObject) : {};
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
  if (!isJsonObject(sigs) || !isJsonObject(sigs[serverName])) return false;
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
  const hashes = isJsonObject(event.hashes) ? event.hashes : {};
  const hashed: JsonObject = { ...event, hashes: { ...hashes, sha256: computeContentHash(event) } };
  const signed = signJson(redactEvent(hashed, rules), key);
  return { ...hashed, signatures: signed.signatures! };
}

// --- Verifying received events -------------------------------------------------------------------

/** Known server keys: server → key id → unpadded Base64 public key and its validity. */
export type KeyRing = Record<string, Record<string, { key: string; valid_until_ts?: number }>>;

/**
 * What checking one signature found. Only `valid` and `invalid` are verdicts; the others mean the
 * signature could not be checked and is skipped, as Synapse skips it (it neither counts for nor
 * against the signer):
 * - `valid`: it verifies with a usable key;
 * - `invalid`: a usable key, and the signature does not verify (or is not a string, not Base64, not 64 bytes);
 * - `unknown-key`: the key ring has no key of that id for that server;
 * - `expired-key`: the key's validity ends before the time it must cover (v5+ events: the event's
 *   `origin_server_ts`; objects: the `minimum_valid_until_ts` asked for);
 * - `unsupported-algorithm`: the key id's algorithm is not `ed25519`;
 * - `malformed-key`: the key ring's key for that id is not a 32-byte Ed25519 public key in Base64.
 */
export type SignatureStatus = 'valid' | 'invalid' | 'unknown-key' | 'expired-key' | 'unsupported-algorithm' | 'malformed-key';

export const SIGNATURE_STATUSES: readonly SignatureStatus[] = Object.freeze(['valid', 'invalid', 'unknown-key', 'expired-key', 'unsupported-algorithm', 'malformed-key']);

/** True for the statuses that are no verdict: the signature was skipped. */
export function isSkippedSignature(status: SignatureStatus): boolean {
  return status !== 'valid' && status !== 'invalid';
}

/** One signature on an object or event, checked or skipped. `reason` is for people; decide on `status`. */
export interface SignatureCheck {
  server: string;
  key_id: string;
  /** status === 'valid'. */
  ok: boolean;
  status: SignatureStatus;
  reason: string;
}

export interface EventSignatureReport {
  /** Every server that must have signed did, and no signature from a usable key of theirs failed. */
  ok: boolean;
  /** One entry per signature on the event (servers that need not sign are checked but only reported). */
  signatures: SignatureCheck[];
  /** The servers whose signatures the event needs (requiredSignatureServers). */
  required: string[];
  /** Servers that must have signed but have no verified signature. */
  missing: string[];
}

function requiredDomainOf(id: JsonValue | undefined, field: string): string {
  const domain = typeof id === 'string' ? domainOf(id) : undefined;
  if (domain === undefined) throw new MatrixFormatError(`${field} must be an identifier with a server name`);
  return domain;
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
  const content = isJsonObject(event.content) ? event.content : {};
  const member = event.type === 'm.room.member';
  if (!(member && content.membership === 'invite' && Object.hasOwn(content, 'third_party_invite'))) {
    servers.add(requiredDomainOf(event.sender, 'sender'));
  }
  // format 1: an absent event_id is left to the PDU parser (computeEventId refuses it)
  if (rules.eventFormat === 1 && event.event_id !== undefined) servers.add(requiredDomainOf(event.event_id, 'event_id'));
  if (rules.restrictedJoinRule && member && Object.hasOwn(content, 'join_authorised_via_users_server')) {
    servers.add(requiredDomainOf(content.join_authorised_via_users_server, 'content.join_authorised_via_users_server'));
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

/** A key's entry in a KeyRing, or undefined (own properties only: hostile names such as `__proto__` stay data). */
function knownKey(keys: KeyRing, server: string, keyId: string): KeyRing[string][string] | undefined {
  const byId = Object.hasOwn(keys, server) ? keys[server] : undefined;
  return byId && Object.hasOwn(byId, keyId) ? byId[keyId] : undefined;
}

/** A millisecond timestamp from JSON: numbers as they are, exact big integers (parseJson) as numbers. */
function timestamp(value: JsonValue | undefined): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'bigint') return Number(value);
  return undefined;
}

/**
 * Checks one signature with the key ring, the one place a signature's status is decided: unsupported
 * algorithms, unknown keys and keys whose validity ends before `minValid.ts` are skipped (Synapse
 * `Keyring.process_request`: `valid_until_ts < minimum_valid_until_ts` skips, so a key valid exactly
 * until the timestamp is usable).
 */
function checkOne(
  server: string,
  keyId: string,
  sig: JsonValue | undefined,
  keys: KeyRing,
  minValid: { ts: number; what: string },
  bytes: () => Buffer,
): SignatureCheck {
  const result = (status: SignatureStatus, reason: string): SignatureCheck => ({ server, key_id: keyId, ok: status === 'valid', status, reason });
  if (!keyId.startsWith('ed25519:')) return result('unsupported-algorithm', 'skipped: unsupported algorithm');
  const known = knownKey(keys, server, keyId);
  if (!known) return result('unknown-key', 'skipped: unknown key');
  const publicKey = typeof known.key === 'string' ? publicKeyFromBase64(known.key) : null;
  if (!publicKey) return result('malformed-key', 'skipped: known key is not a valid ed25519 public key');
  const validUntil = known.valid_until_ts ?? Number.POSITIVE_INFINITY;
  if (validUntil < minValid.ts) return result('expired-key', `skipped: key valid until ${validUntil}, before ${minValid.what} ${minValid.ts}`);
  if (typeof sig !== 'string') return result('invalid', 'invalid: signature is not a string');
  return checkSignature(bytes(), sig, publicKey) ? result('valid', 'verified') : result('invalid', 'invalid signature');
}

/** Every signature of an object, server by server, in the object's order. */
function checkAll(obj: JsonObject, keys: KeyRing, minValid: { ts: number; what: string }, bytes: () => Buffer, only?: string): SignatureCheck[] {
  const sigs = isJsonObject(obj.signatures) ? obj.signatures : {};
  const out: SignatureCheck[] = [];
  for (const server of only === undefined ? Object.keys(sigs) : Object.hasOwn(sigs, only) ? [only] : []) {
    const byKey = sigs[server];
    if (!isJsonObject(byKey)) continue;
    for (const keyId of Object.keys(byKey)) out.push(checkOne(server, keyId, byKey[keyId], keys, minValid, bytes));
  }
  return out;
}

/**
 * Verifies the signatures on a received event against known keys: the redacted event is checked
 * (so a redacted copy verifies as well as the full event), unknown keys and non-ed25519 algorithms
 * are skipped, and with `rules.enforceKeyValidity` (v5+) a key whose `valid_until_ts` is before the
 * event's `origin_server_ts` is skipped (a key valid exactly until then is used, as in Synapse and the
 * spec's "expired prior to the event's origin_server_ts"). As in Synapse, each required server needs
 * at least one verified signature, and a failing signature from a usable key of a required server
 * fails the event.
 * https://spec.matrix.org/v1.16/server-server-api/#validating-hashes-and-signatures-on-received-events
 * https://spec.matrix.org/v1.16/rooms/v5/#signing-key-validity-period (v5+)
 *
 * Before v5 every known key is used whatever its validity, old keys included, as Synapse does
 * (minimum_valid_until_ts 0); gomatrixserverlib refuses an old key at or after its `expired_ts`
 * in every room version. The "lesser of valid_until_ts and 7 days into the future" rule depends on
 * when the keys were fetched: `keyRingFromServerKeys(…, { fetchedAt })` applies it.
 * The content hash is checked separately (checkContentHash).
 */
export function verifyEventSignatures(event: JsonObject, rules: RoomVersionRules, keys: KeyRing): EventSignatureReport {
  requireObject(event, 'an event');
  const required = requiredSignatureServers(event, rules);
  const redacted = redactEvent(event, rules);
  const ts = timestamp(event.origin_server_ts) ?? 0;
  const minValid = { ts: rules.enforceKeyValidity ? ts : 0, what: 'origin_server_ts' };
  let bytes: Buffer | undefined;
  const signatures = checkAll(redacted, keys, minValid, () => (bytes ??= signedBytes(redacted)));
  const verified = new Set(signatures.filter((s) => s.status === 'valid').map((s) => s.server));
  const failed = new Set(signatures.filter((s) => s.status === 'invalid').map((s) => s.server));
  const missing = required.filter((s) => !verified.has(s));
  const ok = missing.length === 0 && !required.some((s) => failed.has(s));
  return { ok, signatures, required, missing };
}

export interface ServerSignatureReport {
  /** At least one signature verified with a usable key and none failed. */
  ok: boolean;
  /** The signatures checked, each with its status. */
  signatures: SignatureCheck[];
}

/** At least one `valid` and no `invalid`: skipped signatures count neither way. */
function verdict(signatures: readonly SignatureCheck[]): boolean {
  return signatures.some((s) => s.status === 'valid') && !signatures.some((s) => s.status === 'invalid');
}

/**
 * Checks an object's signatures by one server, as Synapse's `Keyring.verify_json_for_server`: every
 * ed25519 signature with a known key valid until at least `minimumValidUntilTs` (0: any validity)
 * must verify, and at least one must. https://spec.matrix.org/v1.16/appendices/#checking-for-a-signature
 */
export function verifyJsonForServer(obj: JsonObject, serverName: string, keys: KeyRing, minimumValidUntilTs = 0): ServerSignatureReport {
  requireObject(obj, 'a signed object');
  let bytes: Buffer | undefined;
  const signatures = checkAll(obj, keys, { ts: minimumValidUntilTs, what: 'minimum_valid_until_ts' }, () => (bytes ??= signedBytes(obj)), serverName);
  return { ok: verdict(signatures), signatures };
}

/**
 * Checks every signature on a plain JSON object (not an event: no redaction, no required servers):
 * each ed25519 signature with a known key valid until at least `minimumValidUntilTs` must verify,
 * and at least one must. https://spec.matrix.org/v1.16/appendices/#checking-for-a-signature
 */
export function verifyJsonSignatures(obj: JsonObject, keys: KeyRing, minimumValidUntilTs = 0): ServerSignatureReport {
  requireObject(obj, 'a signed object');
  let bytes: Buffer | undefined;
  const signatures = checkAll(obj, keys, { ts: minimumValidUntilTs, what: 'minimum_valid_until_ts' }, () => (bytes ??= signedBytes(obj)));
  return { ok: verdict(signatures), signatures };
}

/** Seven days in milliseconds: the longest a key may be trusted after it was fetched (v5+). */
export const MAX_KEY_VALIDITY_MS = 7 * 24 * 60 * 60 * 1000;

export interface ServerKeysOptions {
  /**
   * Check that each response is signed by its `server_name` with one of its `verify_keys` and leave
   * out responses that are not (Synapse `BaseV2KeyFetcher.process_v2_response`). Default true; turn it
   * off only for responses whose signatures were checked already.
   */
  verifySelfSignature?: boolean;
  /**
   * What to do with a response that is not self-signed (when `verifySelfSignature` is on): 'skip' it
   * (the default, as Synapse does with what a server or notary sends), or 'refuse' the lot with a
   * MatrixFormatError naming it (for responses a person handed over, where a silent drop would hide
   * the mistake).
   */
  onUnsigned?: 'skip' | 'refuse';
  /**
   * When the responses were fetched (ms). When given, `verify_keys` are valid until the lesser of the
   * response's `valid_until_ts` and `fetchedAt` + 7 days (https://spec.matrix.org/v1.16/rooms/v5/#signing-key-validity-period,
   * as gomatrixserverlib applies it at fetch time; Synapse does not cap). Old keys keep `expired_ts`.
   */
  fetchedAt?: number;
}

function malformedResponse(i: number, what: string): MatrixFormatError {
  return new MatrixFormatError(`server key response [${i}]: ${what}`);
}

/** The supported keys of one response, `verify_keys` and `old_verify_keys` (refusing malformed shapes). */
function keysOf(response: JsonObject, i: number, options: ServerKeysOptions): { server: string; current: KeyRing[string]; old: KeyRing[string] } {
  requireObject(response, 'a server key response');
  if (typeof response.server_name !== 'string') throw malformedResponse(i, 'lacks server_name');
  const validUntil = timestamp(response.valid_until_ts);
  if (validUntil === undefined) throw malformedResponse(i, 'valid_until_ts must be an integer');
  if (!isJsonObject(response.verify_keys)) throw malformedResponse(i, 'verify_keys must be an object');
  const until = options.fetchedAt === undefined ? validUntil : Math.min(validUntil, options.fetchedAt + MAX_KEY_VALIDITY_MS);
  const current: KeyRing[string] = Object.create(null) as KeyRing[string];
  const old: KeyRing[string] = Object.create(null) as KeyRing[string];
  for (const [keyId, entry] of Object.entries(response.verify_keys)) {
    if (!keyId.startsWith('ed25519:')) continue; // unsupported algorithms are ignored, as Synapse
    if (!isJsonObject(entry) || typeof entry.key !== 'string') throw malformedResponse(i, `verify_keys.${keyId} lacks key`);
    current[keyId] = { key: entry.key, valid_until_ts: until };
  }
  const oldKeys = response.old_verify_keys ?? {};
  if (!isJsonObject(oldKeys)) throw malformedResponse(i, 'old_verify_keys must be an object');
  for (const [keyId, entry] of Object.entries(oldKeys)) {
    if (!keyId.startsWith('ed25519:')) continue;
    const expired = isJsonObject(entry) ? timestamp(entry.expired_ts) : undefined;
    if (!isJsonObject(entry) || typeof entry.key !== 'string' || expired === undefined) {
      throw malformedResponse(i, `old_verify_keys.${keyId} needs key and expired_ts`);
    }
    old[keyId] = { key: entry.key, valid_until_ts: expired };
  }
  return { server: response.server_name, current, old };
}

/** Synapse checks the first signature by the origin server made with one of the response's verify_keys. */
function selfSigned(response: JsonObject, server: string, current: KeyRing[string]): boolean {
  const sigs = isJsonObject(response.signatures) && Object.hasOwn(response.signatures, server) ? response.signatures[server] : undefined;
  if (!isJsonObject(sigs)) return false;
  const keyId = Object.keys(sigs).find((id) => Object.hasOwn(current, id));
  if (keyId === undefined) return false;
  const publicKey = publicKeyFromBase64(current[keyId]!.key);
  const sig = sigs[keyId];
  return publicKey !== null && typeof sig === 'string' && checkSignature(signedBytes(response), sig, publicKey);
}

/**
 * Builds a KeyRing from server key responses (`GET /_matrix/key/v2/server` or the `server_keys` of a
 * notary's `/query`): `verify_keys` are valid until the response's `valid_until_ts`, `old_verify_keys`
 * until their `expired_ts`; only ed25519 keys are taken. A response not signed by its own server with
 * one of its `verify_keys` is left out (unless `verifySelfSignature: false`; `onUnsigned: 'refuse'`
 * throws instead); a notary's signature is
 * not checked. When a key appears more than once, the longest validity wins (as Synapse).
 * https://spec.matrix.org/v1.16/server-server-api/#publishing-keys
 * Throws MatrixFormatError for a malformed response (missing `server_name`, `valid_until_ts`,
 * `verify_keys`, a key without `key`, an old key without `expired_ts`), which Synapse refuses too.
 */
export function keyRingFromServerKeys(responses: JsonObject[], options: ServerKeysOptions = {}): KeyRing {
  if (!Array.isArray(responses)) throw new MatrixFormatError('server key responses must be a list');
  const ring: KeyRing = Object.create(null) as KeyRing;
  responses.forEach((response, i) => {
    const { server, current, old } = keysOf(response, i, options);
    if ((options.verifySelfSignature ?? true) && !selfSigned(response, server, current)) {
      if (options.onUnsigned === 'refuse') throw malformedResponse(i, `not signed by its server ${JSON.stringify(server)} with one of its verify_keys`);
      return;
    }
    const byKey = Object.hasOwn(ring, server) ? ring[server]! : (ring[server] = Object.create(null) as KeyRing[string]);
    for (const [keyId, entry] of [...Object.entries(current), ...Object.entries(old)]) {
      const prev = Object.hasOwn(byKey, keyId) ? byKey[keyId] : undefined;
      if (prev && prev.valid_until_ts! >= entry.valid_until_ts!) continue;
      byKey[keyId] = entry;
    }
  });
  return ring;
}
