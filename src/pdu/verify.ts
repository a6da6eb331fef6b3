/**
 * `pdu verify`: checks the signatures on a JSON object, or (with a room version) on an event, where
 * every server the spec requires must have a verified signature.
 * https://spec.matrix.org/v1.16/appendices/#checking-for-a-signature
 * https://spec.matrix.org/v1.16/server-server-api/#validating-hashes-and-signatures-on-received-events
 */
import { decodeBase64 } from '../matrix/base64.js';
import { isJsonObject, type JsonObject } from '../matrix/pdu.js';
import { verifyEventSignatures, verifyJsonSignature, type KeyRing } from '../matrix/signatures.js';
import { asInput, kindOf, malformed, parseObject, rulesFor } from './json-text.js';

export interface SignatureCheck {
  server: string;
  key_id: string;
  ok: boolean;
  reason: string;
}

export interface VerifyResult {
  ok: boolean;
  signatures: SignatureCheck[];
  /** Servers whose signature was required but not verified (events only; not in the JSON output). */
  missing: string[];
}

/**
 * Parses a keys file: `{"server": {"ed25519:id": "base64"}}` or
 * `{"server": {"ed25519:id": {"key": "base64", "valid_until_ts": N}}}`.
 */
export function parseKeyRing(text: string): KeyRing {
  const doc = parseObject(text, 'keys file');
  const ring: KeyRing = Object.create(null) as KeyRing; // hostile names such as __proto__ stay data
  for (const [server, keys] of Object.entries(doc)) {
    if (!isJsonObject(keys)) throw malformed(`keys file: ${JSON.stringify(server)} must map key ids to keys, got ${kindOf(keys)}`);
    const byId: KeyRing[string] = Object.create(null) as KeyRing[string];
    for (const [keyId, entry] of Object.entries(keys)) {
      const where = `keys file: ${server} ${keyId}`;
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

/** Plain JSON objects: every signature with a known ed25519 key must verify, and at least one must. */
function verifyObject(obj: JsonObject, keys: KeyRing): VerifyResult {
  const signatures: SignatureCheck[] = [];
  const sigs = isJsonObject(obj.signatures) ? obj.signatures : {};
  for (const server of Object.keys(sigs)) {
    const byKey = sigs[server];
    if (!isJsonObject(byKey)) continue;
    for (const keyId of Object.keys(byKey)) {
      const known = keys[server]?.[keyId];
      const check: SignatureCheck = { server, key_id: keyId, ok: false, reason: '' };
      signatures.push(check);
      let publicKey: Uint8Array | undefined;
      try {
        publicKey = known ? decodeBase64(known.key) : undefined;
      } catch {
        publicKey = undefined;
      }
      if (!keyId.startsWith('ed25519:')) check.reason = 'skipped: unsupported algorithm';
      else if (!known) check.reason = 'skipped: unknown key';
      else if (!publicKey || publicKey.length !== 32) check.reason = 'skipped: known key is not a valid ed25519 public key';
      else {
        check.ok = verifyJsonSignature(obj, server, keyId, publicKey);
        check.reason = check.ok ? 'verified' : 'invalid signature';
      }
    }
  }
  const verified = signatures.some((s) => s.ok);
  const failed = signatures.some((s) => !s.ok && s.reason === 'invalid signature');
  return { ok: verified && !failed, signatures, missing: [] };
}

export function pduVerify(text: string, keysText: string, roomVersion?: string): VerifyResult {
  const rules = roomVersion === undefined ? undefined : rulesFor(roomVersion);
  const keys = parseKeyRing(keysText);
  const obj = parseObject(text, rules ? 'event' : 'input');
  if (!rules) return asInput('input', () => verifyObject(obj, keys));
  const report = asInput('event', () => verifyEventSignatures(obj, rules, keys));
  return { ok: report.ok, signatures: report.signatures, missing: report.missing };
}
