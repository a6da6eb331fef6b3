import { describe, it, expect } from 'vitest';
import { decodeBase64, encodeBase64 } from '../../src/matrix/base64.js';
import { checkContentHash } from '../../src/matrix/hashes.js';
import type { JsonObject } from '../../src/matrix/pdu.js';
import { redactEvent } from '../../src/matrix/redaction.js';
import { roomVersionRules } from '../../src/matrix/room-versions.js';
import {
  keyRingFromServerKeys,
  requiredSignatureServers,
  isSkippedSignature,
  SIGNATURE_STATUSES,
  signEvent,
  signJson,
  verifyEventSignatures,
  verifyJsonSignature,
  verifyJsonSignatures,
  type KeyRing,
  type SignatureStatus,
} from '../../src/matrix/signatures.js';
import { signingKeyFromSeed } from '../../src/matrix/signing-key.js';
import { loadVector } from './vectors.js';

type SpecVectors = {
  seed: string;
  server_name: string;
  key_id: string;
  public_key: string;
  json_signing: { input: JsonObject; signed: JsonObject }[];
  event_signing: { room_version: string; input: JsonObject; signed: JsonObject }[];
};
type SynapseVectors = {
  seed: string;
  server_name: string;
  key_id: string;
  event_signing: { room_version: string; input: JsonObject; hash: string; signature: string }[];
};

const spec = loadVector<SpecVectors>('signing/spec-appendix.json');
const key = signingKeyFromSeed(spec.server_name, spec.key_id, decodeBase64(spec.seed));
const ring: KeyRing = { domain: { 'ed25519:1': { key: spec.public_key } } };

describe('spec appendix "Cryptographic Test Vectors"', () => {
  it('derives the public key from the seed', () => {
    expect(encodeBase64(key.publicKey)).toBe(spec.public_key);
  });
  for (const [i, v] of spec.json_signing.entries()) {
    it(`JSON signing #${i}`, () => {
      expect(signJson(v.input, key)).toEqual(v.signed);
      expect(verifyJsonSignature(v.signed, 'domain', 'ed25519:1', key.publicKey)).toBe(true);
    });
  }
  for (const [i, v] of spec.event_signing.entries()) {
    it(`event signing #${i} (room v${v.room_version})`, () => {
      const rules = roomVersionRules(v.room_version);
      const before = structuredClone(v.input);
      expect(signEvent(v.input, key, rules)).toEqual(v.signed);
      expect(v.input).toEqual(before); // not mutated
      expect(verifyEventSignatures(v.signed, rules, ring)).toMatchObject({ ok: true, missing: [] });
      expect(checkContentHash(v.signed).ok).toBe(true);
    });
  }
});

describe('Synapse tests/crypto/test_event_signing.py vectors', () => {
  const syn = loadVector<SynapseVectors>('signing/synapse-test-event-signing.json');
  const synKey = signingKeyFromSeed(syn.server_name, syn.key_id, decodeBase64(syn.seed));
  for (const [i, v] of syn.event_signing.entries()) {
    it(`event #${i}`, () => {
      const signed = signEvent(v.input, synKey, roomVersionRules(v.room_version));
      expect((signed.hashes as JsonObject).sha256).toBe(v.hash);
      expect(((signed.signatures as JsonObject).domain as JsonObject)['ed25519:1']).toBe(v.signature);
    });
  }
});

describe('signJson / verifyJsonSignature', () => {
  it('keeps unsigned and other signatures, and they do not affect the signature', () => {
    const signed = signJson({ a: 1, unsigned: { x: 1 }, signatures: { other: { 'ed25519:z': 'sig' } } }, key);
    expect(signed.unsigned).toEqual({ x: 1 });
    expect((signed.signatures as JsonObject).other).toEqual({ 'ed25519:z': 'sig' });
    expect(((signed.signatures as JsonObject).domain as JsonObject)['ed25519:1']).toBe(
      ((signJson({ a: 1 }, key).signatures as JsonObject).domain as JsonObject)['ed25519:1'],
    );
    expect(verifyJsonSignature({ ...signed, unsigned: { changed: true } }, 'domain', 'ed25519:1', key.publicKey)).toBe(true);
  });
  it('fails on tampering, a missing or malformed signature, or the wrong key', () => {
    const signed = signJson({ a: 1 }, key);
    expect(verifyJsonSignature({ ...signed, a: 2 }, 'domain', 'ed25519:1', key.publicKey)).toBe(false);
    expect(verifyJsonSignature(signed, 'domain', 'ed25519:2', key.publicKey)).toBe(false);
    expect(verifyJsonSignature(signed, 'other', 'ed25519:1', key.publicKey)).toBe(false);
    expect(verifyJsonSignature({ ...signed, signatures: { domain: { 'ed25519:1': '!!' } } }, 'domain', 'ed25519:1', key.publicKey)).toBe(false);
    expect(verifyJsonSignature({ ...signed, signatures: { domain: { 'ed25519:1': 'AAAA' } } }, 'domain', 'ed25519:1', key.publicKey)).toBe(false);
    const other = signingKeyFromSeed('domain', 'ed25519:1', new Uint8Array(32));
    expect(verifyJsonSignature(signed, 'domain', 'ed25519:1', other.publicKey)).toBe(false);
  });
});

const message = (overrides: JsonObject = {}): JsonObject => ({
  type: 'm.room.message',
  room_id: '!r:domain',
  sender: '@u:domain',
  content: { body: 'secret', msgtype: 'm.text' },
  depth: 10,
  origin_server_ts: 1_700_000_000_000,
  prev_events: ['$p'],
  auth_events: ['$a'],
  ...overrides,
});

describe('verifyEventSignatures', () => {
  for (const v of ['1', '3', '6', '9', '10', '11', '12']) {
    it(`room v${v}: redaction-only changes verify, tampering with essential fields fails`, () => {
      const rules = roomVersionRules(v);
      const base = v === '1' ? message({ event_id: '$e:domain' }) : message();
      const signed = signEvent(base, key, rules);
      expect(verifyEventSignatures(signed, rules, ring).ok).toBe(true);
      // the redacted copy verifies too, but its content hash no longer matches
      const redacted = redactEvent(signed, rules);
      expect(verifyEventSignatures(redacted, rules, ring).ok).toBe(true);
      expect(checkContentHash(redacted).ok).toBe(false);
      // tampered body: signature still fine (covers the redacted form), content hash catches it
      const tamperedBody = { ...signed, content: { body: 'forged', msgtype: 'm.text' } };
      expect(verifyEventSignatures(tamperedBody, rules, ring).ok).toBe(true);
      expect(checkContentHash(tamperedBody).ok).toBe(false);
      // tampered essential field: signature fails
      const tampered = { ...signed, depth: 11 };
      const report = verifyEventSignatures(tampered, rules, ring);
      expect(report.ok).toBe(false);
      expect(report.signatures).toEqual([{ server: 'domain', key_id: 'ed25519:1', ok: false, status: 'invalid', reason: 'invalid signature' }]);
      expect(report.missing).toEqual(['domain']);
    });
  }

  it('reports unknown keys and unsupported algorithms as skipped and the server as missing', () => {
    const rules = roomVersionRules('10');
    const signed = signEvent(message(), key, rules);
    const sigs = signed.signatures as JsonObject;
    const withExtra = { ...signed, signatures: { domain: { ...(sigs.domain as JsonObject), 'curve:9': 'x' } } };
    const r = verifyEventSignatures(withExtra, rules, {});
    expect(r.ok).toBe(false);
    expect(r.missing).toEqual(['domain']);
    expect(r.signatures.map((s) => s.reason)).toEqual(['skipped: unknown key', 'skipped: unsupported algorithm']);
    expect(r.signatures.map((s) => s.status)).toEqual(['unknown-key', 'unsupported-algorithm']);
    expect(verifyEventSignatures({ ...signed, signatures: {} }, rules, ring)).toEqual({ ok: false, signatures: [], required: ['domain'], missing: ['domain'] });
  });

  it('a bad signature from a usable key of a required server fails even if another key verifies', () => {
    const rules = roomVersionRules('10');
    const key2 = signingKeyFromSeed('domain', 'ed25519:2', new Uint8Array(32).fill(7));
    const signed = signEvent(signEvent(message(), key, rules), key2, rules);
    const both: KeyRing = { domain: { ...ring.domain, 'ed25519:2': { key: encodeBase64(key2.publicKey) } } };
    expect(verifyEventSignatures(signed, rules, both).ok).toBe(true);
    const sigs = signed.signatures as Record<string, Record<string, string>>;
    const broken = { ...signed, signatures: { domain: { ...sigs.domain, 'ed25519:2': sigs.domain!['ed25519:1']! } } };
    const r = verifyEventSignatures(broken, rules, both);
    expect(r.ok).toBe(false);
    expect(r.missing).toEqual([]);
  });

  it('enforces key validity at origin_server_ts from v5 (rules.enforceKeyValidity)', () => {
    const expired: KeyRing = { domain: { 'ed25519:1': { key: spec.public_key, valid_until_ts: 1_600_000_000_000 } } };
    const v4 = roomVersionRules('4');
    const v5 = roomVersionRules('5');
    expect(verifyEventSignatures(signEvent(message(), key, v4), v4, expired).ok).toBe(true);
    const r = verifyEventSignatures(signEvent(message(), key, v5), v5, expired);
    expect(r.ok).toBe(false);
    expect(r.signatures[0]!.reason).toMatch(/^skipped: key valid until 1600000000000, before origin_server_ts/);
    expect(r.signatures[0]!.status).toBe('expired-key');
    const exact: KeyRing = { domain: { 'ed25519:1': { key: spec.public_key, valid_until_ts: 1_700_000_000_000 } } };
    expect(verifyEventSignatures(signEvent(message(), key, v5), v5, exact).ok).toBe(true);
  });

  it('requires the event id server in format 1 and the authorising server of restricted joins', () => {
    const join = message({
      type: 'm.room.member',
      state_key: '@u:domain',
      content: { membership: 'join', join_authorised_via_users_server: '@admin:resident.example' },
    });
    expect(requiredSignatureServers(join, roomVersionRules('7'))).toEqual(['domain']);
    expect(requiredSignatureServers(join, roomVersionRules('8'))).toEqual(['domain', 'resident.example']);
    const v8 = roomVersionRules('8');
    const r = verifyEventSignatures(signEvent(join, key, v8), v8, ring);
    expect(r).toMatchObject({ ok: false, missing: ['resident.example'] });
    const resident = signingKeyFromSeed('resident.example', 'ed25519:r', new Uint8Array(32).fill(3));
    const both = signEvent(signEvent(join, key, v8), resident, v8);
    expect(verifyEventSignatures(both, v8, { ...ring, 'resident.example': { 'ed25519:r': { key: encodeBase64(resident.publicKey) } } }).ok).toBe(true);

    const v1 = message({ event_id: '$x:other.example' });
    expect(requiredSignatureServers(v1, roomVersionRules('1'))).toEqual(['domain', 'other.example']);
    expect(requiredSignatureServers(v1, roomVersionRules('3'))).toEqual(['domain']);
  });

  it('does not require the sender server for invites from third-party invites', () => {
    const invite = message({
      type: 'm.room.member',
      state_key: '@bob:elsewhere',
      content: { membership: 'invite', third_party_invite: { signed: {} } },
    });
    expect(requiredSignatureServers(invite, roomVersionRules('10'))).toEqual([]);
  });
});

describe('signature statuses: one per signature, decided in one place', () => {
  const rules = roomVersionRules('10');
  const signed = signEvent(message(), key, rules);
  const sig = ((signed.signatures as JsonObject).domain as JsonObject)['ed25519:1'] as string;
  const withSigs = (sigs: JsonObject): JsonObject => ({ ...signed, signatures: { domain: sigs } });
  const cases: { name: string; event: JsonObject; keys: KeyRing; status: SignatureStatus; reason: string }[] = [
    { name: 'verified', event: signed, keys: ring, status: 'valid', reason: 'verified' },
    { name: 'tampered', event: { ...signed, depth: 99 }, keys: ring, status: 'invalid', reason: 'invalid signature' },
    { name: 'not Base64', event: withSigs({ 'ed25519:1': '!!!' }), keys: ring, status: 'invalid', reason: 'invalid signature' },
    { name: 'not 64 bytes', event: withSigs({ 'ed25519:1': 'AAAA' }), keys: ring, status: 'invalid', reason: 'invalid signature' },
    { name: 'not a string', event: withSigs({ 'ed25519:1': 5 }), keys: ring, status: 'invalid', reason: 'invalid: signature is not a string' },
    { name: 'unknown key', event: withSigs({ 'ed25519:2': sig }), keys: ring, status: 'unknown-key', reason: 'skipped: unknown key' },
    { name: 'other algorithm', event: withSigs({ 'curve25519:1': sig }), keys: ring, status: 'unsupported-algorithm', reason: 'skipped: unsupported algorithm' },
    { name: 'known key not 32 bytes', event: signed, keys: { domain: { 'ed25519:1': { key: 'AAAA' } } }, status: 'malformed-key', reason: 'skipped: known key is not a valid ed25519 public key' },
    { name: 'known key not Base64', event: signed, keys: { domain: { 'ed25519:1': { key: '%%' } } }, status: 'malformed-key', reason: 'skipped: known key is not a valid ed25519 public key' },
    {
      name: 'expired before the event', event: signed, keys: { domain: { 'ed25519:1': { key: spec.public_key, valid_until_ts: 1 } } },
      status: 'expired-key', reason: 'skipped: key valid until 1, before origin_server_ts 1700000000000',
    },
  ];
  for (const c of cases) {
    it(`${c.name}: ${c.status}`, () => {
      const [entry] = verifyEventSignatures(c.event, rules, c.keys).signatures;
      expect(entry).toEqual({ server: 'domain', key_id: expect.any(String), ok: c.status === 'valid', status: c.status, reason: c.reason });
      expect(SIGNATURE_STATUSES).toContain(entry!.status);
      expect(isSkippedSignature(entry!.status)).toBe(c.status !== 'valid' && c.status !== 'invalid');
    });
  }

  it('lists the required servers; a bad signature of a server that need not sign does not fail the event', () => {
    const stranger = signingKeyFromSeed('stranger.example', 'ed25519:s', new Uint8Array(32).fill(9));
    const sigs = signed.signatures as Record<string, JsonObject>;
    const event = { ...signed, signatures: { ...sigs, 'stranger.example': { 'ed25519:s': sig } } };
    const keys: KeyRing = { ...ring, 'stranger.example': { 'ed25519:s': { key: encodeBase64(stranger.publicKey) } } };
    const r = verifyEventSignatures(event, rules, keys);
    expect(r).toMatchObject({ ok: true, required: ['domain'], missing: [] });
    expect(r.signatures.map((s) => [s.server, s.status])).toEqual([['domain', 'valid'], ['stranger.example', 'invalid']]);
  });

  it('verifyJsonSignatures: every server of a plain object, at least one valid and none invalid', () => {
    const other = signingKeyFromSeed('other', 'ed25519:o', new Uint8Array(32).fill(4));
    const both = signJson(signJson({ a: 1 }, key), other);
    const keys: KeyRing = { ...ring, other: { 'ed25519:o': { key: encodeBase64(other.publicKey) } } };
    expect(verifyJsonSignatures(both, keys)).toEqual({
      ok: true,
      signatures: [
        { server: 'domain', key_id: 'ed25519:1', ok: true, status: 'valid', reason: 'verified' },
        { server: 'other', key_id: 'ed25519:o', ok: true, status: 'valid', reason: 'verified' },
      ],
    });
    // skipped signatures count neither way
    expect(verifyJsonSignatures(both, ring).signatures.map((s) => s.status)).toEqual(['valid', 'unknown-key']);
    expect(verifyJsonSignatures(both, ring).ok).toBe(true);
    expect(verifyJsonSignatures(both, {}).ok).toBe(false);
    expect(verifyJsonSignatures({ ...both, a: 2 }, keys).signatures.map((s) => s.status)).toEqual(['invalid', 'invalid']);
    // a key that expired before the asked-for time is skipped
    const expiring: KeyRing = { domain: { 'ed25519:1': { key: spec.public_key, valid_until_ts: 10 } } };
    expect(verifyJsonSignatures(signJson({ a: 1 }, key), expiring, 11).signatures[0]!.status).toBe('expired-key');
    expect(verifyJsonSignatures(signJson({ a: 1 }, key), expiring, 10).ok).toBe(true);
  });

  it('hostile server names stay data', () => {
    // JSON.parse makes "__proto__" an own key, as parseJson does for input documents
    const event = JSON.parse(JSON.stringify({ ...signed, signatures: {} }).replace('"signatures":{}', `"signatures":{"__proto__":{"ed25519:1":"${sig}"},"constructor":{"ed25519:1":"${sig}"}}`)) as JsonObject;
    const r = verifyJsonSignatures(event, ring);
    expect(r.signatures.map((s) => [s.server, s.status])).toEqual([['__proto__', 'unknown-key'], ['constructor', 'unknown-key']]);
    expect(r.ok).toBe(false);
    expect(verifyEventSignatures(event, rules, ring)).toMatchObject({ ok: false, missing: ['domain'] });
  });
});

describe('keyRingFromServerKeys', () => {
  it("refuses a response that is not self-signed with onUnsigned: 'refuse' (and skips it by default)", () => {
    const unsigned: JsonObject = { server_name: 'domain', valid_until_ts: 5, verify_keys: { 'ed25519:1': { key: spec.public_key } } };
    expect(keyRingFromServerKeys([unsigned])).toEqual({});
    expect(() => keyRingFromServerKeys([unsigned], { onUnsigned: 'refuse' })).toThrow(/server key response \[0\]: not signed by its server "domain"/);
    const signedResponse = signJson(unsigned, key);
    expect(JSON.parse(JSON.stringify(keyRingFromServerKeys([signedResponse], { onUnsigned: 'refuse' })))).toEqual({ domain: { 'ed25519:1': { key: spec.public_key, valid_until_ts: 5 } } });
  });

  it('maps verify_keys to valid_until_ts and old_verify_keys to expired_ts, favouring the longest validity', () => {
    // response shape from gomatrixserverlib keyring_test.go ("testKeys taken from a copy of synapse")
    const response: JsonObject = {
      old_verify_keys: { 'ed25519:old': { expired_ts: 929059200, key: 'O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik' } },
      server_name: 'localhost:8800',
      valid_until_ts: 1493142432964,
      verify_keys: { 'ed25519:a_Obwu': { key: '2UwTWD4+tgTgENV7znGGNqhAOGY+BW1mRAnC6W6FBQg' } },
    };
    const later: JsonObject = { ...response, old_verify_keys: {}, valid_until_ts: 1593142432964 };
    // unsigned copies: this test is about the mapping; self-signatures are checked in test/matrix/keyring
    expect(keyRingFromServerKeys([later, response], { verifySelfSignature: false })).toEqual({
      'localhost:8800': {
        'ed25519:a_Obwu': { key: '2UwTWD4+tgTgENV7znGGNqhAOGY+BW1mRAnC6W6FBQg', valid_until_ts: 1593142432964 },
        'ed25519:old': { key: 'O2onvM62pC1io6jQKm8Nc2UyFXcd4kOmOsBIoYtZ2ik', valid_until_ts: 929059200 },
      },
    });
  });
});

describe('performance', () => {
  it('signs and verifies 5,000 events quickly (cached key objects)', () => {
    const rules = roomVersionRules('10');
    const t0 = performance.now();
    const signed: JsonObject[] = [];
    for (let i = 0; i < 5000; i++) signed.push(signEvent(message({ depth: i }), key, rules));
    const t1 = performance.now();
    for (const e of signed) expect(verifyEventSignatures(e, rules, ring).ok).toBe(true);
    const t2 = performance.now();
    console.log(`sign: ${((t1 - t0) / 5).toFixed(1)} µs/event, verify: ${((t2 - t1) / 5).toFixed(1)} µs/event`);
    expect(t2 - t0).toBeLessThan(20_000);
  });
});
