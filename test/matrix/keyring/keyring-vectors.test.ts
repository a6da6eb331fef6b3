/**
 * Key ring vectors: server key responses → KeyRing (keyRingFromServerKeys), key validity windows
 * (verifyJsonForServer with a minimum_valid_until_ts) and room-version key validity on events
 * (verifyEventSignatures, and `pdu verify --keys … --room-version … --json` through the built CLI).
 * Vectors: test/vectors/keyring/*.json (each names its source).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JsonObject } from '../../../src/matrix/pdu.js';
import { roomVersionRules } from '../../../src/matrix/room-versions.js';
import { keyRingFromServerKeys, signJson, verifyEventSignatures, verifyJsonForServer, type KeyRing } from '../../../src/matrix/signatures.js';
import { publicKeyBase64, signingKeyFromString } from '../../../src/matrix/signing-key.js';
import { parseKeyRing } from '../../../src/pdu/verify.js';
import { runCli, stackLines } from '../../cli/run-cli.js';
import { loadVector } from '../vectors.js';

interface JsonCase { name: string; object: JsonObject; server: string; key_ring: KeyRing; minimum_valid_until_ts: number; ok: boolean }
interface ResponseCase { name: string; responses: JsonObject[]; key_ring: KeyRing }
interface EventCase { name: string; room_version: string; event: JsonObject; keys: JsonObject; ok: boolean; reasons: string[] }

const synapse = loadVector<{ json_cases: JsonCase[]; response_cases: ResponseCase[] }>('keyring/synapse-test-keyring.json');
const events = loadVector<{ event_cases: EventCase[] }>('keyring/event-key-validity.json');
const gmsl = loadVector<{
  server_key_response: JsonObject;
  key_ring_from_response: KeyRing;
  key_database: KeyRing;
  verify_cases: { name: string; server: string; at_ts: number; strict: boolean; ok: boolean }[];
  expired_ts_cases: { name: string; expired_ts: number; at_ts: number; ok: boolean }[];
  seven_day_cases: { fetched_at: number; valid_until_ts: number; cases: { name: string; at_ts: number; ok: boolean }[] };
}>('keyring/gomatrixserverlib-keyring.json');

/** Plain objects for comparison (the ring is built on null-prototype maps). */
const plain = (ring: KeyRing): unknown => JSON.parse(JSON.stringify(ring));

describe('Synapse tests/crypto/test_keyring.py: key validity windows', () => {
  for (const c of synapse.json_cases) {
    it(c.name, () => {
      const r = verifyJsonForServer(c.object, c.server, c.key_ring, c.minimum_valid_until_ts);
      expect(r.ok).toBe(c.ok);
    });
  }
});

describe('Synapse tests/crypto/test_keyring.py: server key responses', () => {
  for (const c of synapse.response_cases) {
    it(c.name, () => {
      expect(plain(keyRingFromServerKeys(c.responses))).toEqual(c.key_ring);
    });
  }
  it('a response whose signature was made by another key than its verify_keys is left out', () => {
    const mine = signingKeyFromString('s.example', 'ed25519:a', 'keyring test a');
    const other = signingKeyFromString('s.example', 'ed25519:b', 'keyring test b');
    const body = { server_name: 's.example', valid_until_ts: 10, verify_keys: { 'ed25519:a': { key: publicKeyBase64(mine) } } };
    expect(plain(keyRingFromServerKeys([signJson(body, other)]))).toEqual({});
    expect(plain(keyRingFromServerKeys([signJson(body, other)], { verifySelfSignature: false }))).toEqual({
      's.example': { 'ed25519:a': { key: publicKeyBase64(mine), valid_until_ts: 10 } },
    });
    // a tampered key list breaks the signature
    const signed = signJson(body, mine);
    const tampered = { ...signed, verify_keys: { ...body.verify_keys, 'ed25519:b': { key: publicKeyBase64(other) } } };
    expect(plain(keyRingFromServerKeys([tampered]))).toEqual({});
  });
  it('refuses malformed responses with one message, and never lets __proto__ reach a prototype', () => {
    const k = signingKeyFromString('__proto__', 'ed25519:a', 'keyring proto');
    const ok = { server_name: '__proto__', valid_until_ts: 5, verify_keys: { 'ed25519:a': { key: publicKeyBase64(k) } } };
    const ring = keyRingFromServerKeys([signJson(ok, k)]);
    expect(Object.hasOwn(ring, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>)['ed25519:a']).toBeUndefined();
    for (const bad of [
      { ...ok, server_name: 5 },
      { ...ok, valid_until_ts: 'soon' },
      { server_name: 'x', valid_until_ts: 5 },
      { ...ok, verify_keys: { 'ed25519:a': { nokey: 1 } } },
      { ...ok, old_verify_keys: { 'ed25519:o': { key: 'AAAA' } } },
      { ...ok, old_verify_keys: [] },
    ] as JsonObject[]) {
      expect(() => keyRingFromServerKeys([bad], { verifySelfSignature: false })).toThrow(/^server key response \[0\]: /);
    }
  });
  it('reads valid_until_ts and expired_ts given as exact big integers', () => {
    const k = signingKeyFromString('big.example', 'ed25519:a', 'keyring big');
    const r = { server_name: 'big.example', valid_until_ts: 2n ** 60n, verify_keys: { 'ed25519:a': { key: publicKeyBase64(k) } },
      old_verify_keys: { 'ed25519:o': { key: publicKeyBase64(k), expired_ts: -(2n ** 60n) } } } as unknown as JsonObject;
    const ring = keyRingFromServerKeys([signJson(r, k)]);
    expect(ring['big.example']!['ed25519:a']!.valid_until_ts).toBe(2 ** 60);
    expect(ring['big.example']!['ed25519:o']!.valid_until_ts).toBe(-(2 ** 60));
  });
});

describe('gomatrixserverlib keyring_test.go', () => {
  it('testKeys: the Synapse-made server key response verifies its own signature', () => {
    expect(plain(keyRingFromServerKeys([gmsl.server_key_response]))).toEqual(gmsl.key_ring_from_response);
    const forged = { ...gmsl.server_key_response, valid_until_ts: 1493142432965 };
    expect(plain(keyRingFromServerKeys([forged]))).toEqual({});
  });
  for (const c of gmsl.verify_cases) {
    it(c.name, () => {
      const r = verifyJsonForServer(gmsl.server_key_response, c.server, gmsl.key_database, c.strict ? c.at_ts : 0);
      expect(r.ok).toBe(c.ok);
    });
  }
  const cur = signingKeyFromString('gmsl.example', 'ed25519:cur', 'gmsl current');
  const old = signingKeyFromString('gmsl.example', 'ed25519:old', 'gmsl old');
  for (const c of gmsl.expired_ts_cases) {
    it(c.name, () => {
      const response = signJson({
        server_name: 'gmsl.example', valid_until_ts: 10 ** 13, verify_keys: { 'ed25519:cur': { key: publicKeyBase64(cur) } },
        old_verify_keys: { 'ed25519:old': { key: publicKeyBase64(old), expired_ts: c.expired_ts } },
      }, cur);
      const ring = keyRingFromServerKeys([response]);
      expect(verifyJsonForServer(signJson({ at: c.at_ts }, old), 'gmsl.example', ring, c.at_ts).ok).toBe(c.ok);
    });
  }
  for (const c of gmsl.seven_day_cases.cases) {
    it(`TestStrictCheckingKeyValidity: ${c.name}`, () => {
      const { fetched_at, valid_until_ts } = gmsl.seven_day_cases;
      const response = signJson({ server_name: 'gmsl.example', valid_until_ts, verify_keys: { 'ed25519:cur': { key: publicKeyBase64(cur) } } }, cur);
      const capped = keyRingFromServerKeys([response], { fetchedAt: fetched_at });
      const object = signJson({ at: c.at_ts }, cur);
      expect(verifyJsonForServer(object, 'gmsl.example', capped, c.at_ts).ok).toBe(c.ok);
      // without a fetch time the response's own valid_until_ts (14 days) applies
      expect(verifyJsonForServer(object, 'gmsl.example', keyRingFromServerKeys([response]), c.at_ts).ok).toBe(true);
    });
  }
});

describe('room-version key validity on events (library)', () => {
  for (const c of events.event_cases) {
    it(c.name, () => {
      const r = verifyEventSignatures(c.event, roomVersionRules(c.room_version), parseKeyRing(JSON.stringify(c.keys)));
      expect(r.ok).toBe(c.ok);
      expect(r.signatures.map((s) => s.reason)).toEqual(c.reasons);
    });
  }
});

describe('room-version key validity on events (pdu verify --keys --room-version --json, built CLI)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'synapse-doctor-keyring-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });
  events.event_cases.forEach((c, i) => {
    it(c.name, async () => {
      const keys = join(dir, `keys-${i}.json`);
      const event = join(dir, `event-${i}.json`);
      await writeFile(keys, JSON.stringify(c.keys));
      await writeFile(event, JSON.stringify(c.event));
      const run = await runCli(['pdu', 'verify', '--keys', keys, '--room-version', c.room_version, '--json', event]);
      expect(stackLines(run.stderr)).toEqual([]);
      expect(run.code).toBe(c.ok ? 0 : 1);
      const out = JSON.parse(run.stdout) as { ok: boolean; signatures: { reason: string }[] };
      expect(out.ok).toBe(c.ok);
      expect(out.signatures.map((s) => s.reason)).toEqual(c.reasons);
    });
  });
  it('both KEYS forms in one file', async () => {
    const c = events.event_cases.find((e) => e.name.startsWith('v10: two keys, the expired one'))!;
    const mixed = { 'origin.example': { ...(c.keys['origin.example'] as JsonObject), 'ed25519:cur': (c.keys['origin.example'] as Record<string, { key: string }>)['ed25519:cur']!.key } };
    const keys = join(dir, 'mixed.json');
    await writeFile(keys, JSON.stringify(mixed));
    const run = await runCli(['pdu', 'verify', '--keys', keys, '--room-version', '10', '--json', '-'], { input: JSON.stringify(c.event) });
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ ok: true });
  });
});
