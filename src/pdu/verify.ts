/**
 * `pdu verify`: checks the signatures on a JSON object, or (with a room version) on an event, where
 * every server the spec requires must have a verified signature. The checking itself is
 * src/matrix/signatures.ts; this reads the keys and the document.
 * https://spec.matrix.org/v1.16/appendices/#checking-for-a-signature
 * https://spec.matrix.org/v1.16/server-server-api/#validating-hashes-and-signatures-on-received-events
 *
 * Keys come in three forms (parseKeyRing): our own `{"server": {"ed25519:id": "b64" | {"key",
 * "valid_until_ts"}}}`; a server key response as `GET /_matrix/key/v2/server` serves it and
 * Synapse stores it in `server_keys_json.key_json` (`{"server_name", "verify_keys", "old_verify_keys",
 * "valid_until_ts", "signatures"}`); or a list of those (or a notary's `{"server_keys": [...]}`).
 */
import { SynapseDoctorError } from '../errors.js';
import { isJsonObject, type JsonObject, type JsonValue } from '../matrix/pdu.js';
import { keyRingFromServerKeys, verifyEventSignatures, verifyJsonSignatures, type KeyRing, type SignatureCheck } from '../matrix/signatures.js';
import { asInput, kindOf, malformed, parseDocument, parseObject, rulesFor } from './json-text.js';

export type { SignatureCheck, SignatureStatus } from '../matrix/signatures.js';

export interface VerifyResult {
  ok: boolean;
  signatures: SignatureCheck[];
  /** Servers whose signature was required but not verified (events only; not in the JSON output). */
  missing: string[];
}

const WHAT = 'keys file';

function isServerKeyResponse(doc: JsonObject): boolean {
  return Object.hasOwn(doc, 'server_name') || Object.hasOwn(doc, 'verify_keys');
}

/** Server key responses (self-signatures checked: an unsigned one is refused, not dropped). */
function ringFromResponses(responses: JsonValue[]): KeyRing {
  responses.forEach((r, i) => {
    if (!isJsonObject(r)) throw malformed(`${WHAT}: server key response [${i}]: expected an object, got ${kindOf(r)}`);
  });
  return asInput(WHAT, () => keyRingFromServerKeys(responses as JsonObject[], { onUnsigned: 'refuse' }));
}

/** Our own form: server → key id → Base64 key, or {"key", "valid_until_ts"}. */
function ringFromMap(doc: JsonObject): KeyRing {
  const ring: KeyRing = Object.create(null) as KeyRing; // hostile names such as __proto__ stay data
  for (const [server, keys] of Object.entries(doc)) {
    if (!isJsonObject(keys)) throw malformed(`${WHAT}: ${JSON.stringify(server)} must map key ids to keys, got ${kindOf(keys)}`);
    const byId: KeyRing[string] = Object.create(null) as KeyRing[string];
    for (const [keyId, entry] of Object.entries(keys)) {
      const where = `${WHAT}: ${server} ${keyId}`;
      if (typeof entry === 'string') {
        byId[keyId] = { key: entry };
      } else if (isJsonObject(entry) && typeof entry.key === 'string') {
        const until = entry.valid_until_ts;
        if (until !== undefined && typeof until !== 'number' && typeof until !== 'bigint') {
          throw malformed(`${where}: valid_until_ts must be a number`);
        }
        byId[keyId] = until === undefined ? { key: entry.key } : { key: entry.key, valid_until_ts: Number(until) };
      } else {
        throw malformed(`${where}: expected a Base64 public key or {"key": …, "valid_until_ts": …}`);
      }
    }
    ring[server] = byId;
  }
  return ring;
}

/**
 * Parses a keys file in any of the three forms (see the header). A server key response must be
 * signed by its own server with one of its `verify_keys`; `verify_keys` are valid until the
 * response's `valid_until_ts`, `old_verify_keys` until their `expired_ts`.
 */
export function parseKeyRing(text: string): KeyRing {
  const doc = parseDocument(text, WHAT);
  if (Array.isArray(doc)) return ringFromResponses(doc);
  if (!isJsonObject(doc)) {
    throw malformed(`${WHAT}: expected {"server": {"ed25519:id": key}}, a server key response or a list of them, got ${kindOf(doc)}`);
  }
  if (Object.hasOwn(doc, 'server_keys')) {
    if (!Array.isArray(doc.server_keys)) throw malformed(`${WHAT}: server_keys must be a list of server key responses`);
    return ringFromResponses(doc.server_keys);
  }
  return isServerKeyResponse(doc) ? ringFromResponses([doc]) : ringFromMap(doc);
}

/** Both rings in one; where both hold a key id, `first`'s entry wins. */
export function mergeKeyRings(first: KeyRing, second: KeyRing): KeyRing {
  const ring: KeyRing = Object.create(null) as KeyRing;
  for (const source of [second, first]) {
    for (const server of Object.keys(source)) {
      const byId = Object.hasOwn(ring, server) ? ring[server]! : (ring[server] = Object.create(null) as KeyRing[string]);
      for (const keyId of Object.keys(source[server]!)) byId[keyId] = source[server]![keyId]!;
    }
  }
  return ring;
}

/**
 * A document that is an event (PDU): it names a room and a type and carries the fields only events
 * have. Its signatures cover its redacted form, which depends on the room version, so checking it
 * as a plain object would call a valid event's signature invalid.
 */
export function looksLikePdu(obj: JsonObject): boolean {
  return typeof obj.room_id === 'string' && typeof obj.type === 'string'
    && (Object.hasOwn(obj, 'auth_events') || Object.hasOwn(obj, 'prev_events') || Object.hasOwn(obj, 'hashes') || Object.hasOwn(obj, 'depth'));
}

/**
 * Verifies `text` with `keys` (keys file text, or a KeyRing already built, e.g. from a database).
 * Without a room version the document must be a plain signed object: an event is refused (USAGE)
 * with the advice to pass its room version.
 */
export function pduVerify(text: string, keys: string | KeyRing, roomVersion?: string): VerifyResult {
  const rules = roomVersion === undefined ? undefined : rulesFor(roomVersion);
  const ring = typeof keys === 'string' ? parseKeyRing(keys) : keys;
  const obj = parseObject(text, rules ? 'event' : 'input');
  if (!rules) {
    if (looksLikePdu(obj)) {
      throw new SynapseDoctorError('USAGE', 'the input is an event (it has room_id, type, auth_events…): pass --room-version V, its signatures cover the redacted event, which depends on the room version');
    }
    const report = asInput('input', () => verifyJsonSignatures(obj, ring));
    return { ok: report.ok, signatures: report.signatures, missing: [] };
  }
  const report = asInput('event', () => verifyEventSignatures(obj, rules, ring));
  return { ok: report.ok, signatures: report.signatures, missing: report.missing };
}
