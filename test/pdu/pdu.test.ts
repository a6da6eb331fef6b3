import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { SynapseDoctorError } from '../../src/errors.js';
import { formatSigningKeyFile, signingKeyFromSeed, publicKeyBase64 } from '../../src/matrix/signing-key.js';
import { decodeBase64, encodeBase64 } from '../../src/matrix/base64.js';
import {
  pduAuth,
  pduCanonical,
  pduCheckHash,
  pduEventId,
  pduRedact,
  pduResolve,
  pduSign,
  pduVerify,
  looksLikePdu,
  mergeKeyRings,
  parseKeyRing,
  stringifyJson,
} from '../../src/pdu/index.js';
import { miniRoom, SPEC_SEED } from './fixtures.js';

const j = (v: unknown): string => JSON.stringify(v);
const specKey = signingKeyFromSeed('domain', 'ed25519:1', decodeBase64(SPEC_SEED));
const specKeys = j({ domain: { 'ed25519:1': publicKeyBase64(specKey) } });
const sign = { seed: SPEC_SEED, server: 'domain', keyId: 'ed25519:1' };

function errorOf(fn: () => unknown): SynapseDoctorError {
  try {
    fn();
  } catch (e) {
    if (e instanceof SynapseDoctorError) return e;
    throw e;
  }
  throw new Error('expected an error');
}

describe('pdu canonical', () => {
  it('matches the spec appendix examples', () => {
    expect(pduCanonical('{"b":"2","a":"1"}')).toBe('{"a":"1","b":"2"}');
    expect(pduCanonical('{ "one": 1, "two": "Two" }')).toBe('{"one":1,"two":"Two"}');
    expect(pduCanonical('{"a": "日本語"}')).toBe('{"a":"日本語"}');
    expect(pduCanonical('{"a": "\\u0000"}')).toBe('{"a":"\\u0000"}');
  });
  it('refuses values canonical JSON cannot carry as malformed input', () => {
    expect(errorOf(() => pduCanonical('{"a": 1.5}')).code).toBe('BAD_EVENT_JSON');
    expect(errorOf(() => pduCanonical('{"a": 9007199254740992}')).code).toBe('BAD_EVENT_JSON');
    expect(errorOf(() => pduCanonical('{"a": ')).code).toBe('BAD_EVENT_JSON');
    expect(errorOf(() => pduCanonical('')).code).toBe('BAD_EVENT_JSON');
  });
});

describe('pdu sign and verify with the spec appendix vectors', () => {
  it('signs the empty object', () => {
    expect(pduSign('{}', sign)).toEqual({
      signatures: { domain: { 'ed25519:1': 'K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ' } },
    });
  });
  it('signs an object with data values', () => {
    expect(pduSign(j({ one: 1, two: 'Two' }), sign)).toEqual({
      one: 1,
      two: 'Two',
      signatures: { domain: { 'ed25519:1': 'KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw' } },
    });
  });
  it('hashes and signs the minimal event', () => {
    const event = {
      room_id: '!x:domain', sender: '@a:domain', origin: 'domain', origin_server_ts: 1000000, signatures: {}, hashes: {},
      type: 'X', content: {}, prev_events: [], auth_events: [], depth: 3, unsigned: { age_ts: 1000000 },
    };
    const signed = pduSign(j(event), { ...sign, roomVersion: '1' });
    expect(signed.hashes).toEqual({ sha256: '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos' });
    expect(signed.signatures).toEqual({
      domain: { 'ed25519:1': 'KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg' },
    });
    expect(signed.unsigned).toEqual({ age_ts: 1000000 });
  });
  it('hashes and signs the event with redactable content', () => {
    const event = {
      content: { body: 'Here is the message content' }, event_id: '$0:domain', origin: 'domain', origin_server_ts: 1000000,
      type: 'm.room.message', room_id: '!r:domain', sender: '@u:domain', signatures: {}, unsigned: { age_ts: 1000000 },
    };
    const signed = pduSign(j(event), { ...sign, roomVersion: '1' });
    expect(signed.hashes).toEqual({ sha256: 'onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g' });
    expect(signed.signatures).toEqual({
      domain: { 'ed25519:1': 'Wm+VzmOUOz08Ds+0NTWb1d4CZrVsJSikkeRxh6aCcUwu6pNC78FunoD7KNWzqFn241eYHYMGCA5McEiVPdhzBA' },
    });
    // the signature covers the redacted form: changing the body keeps it valid, the hash does not
    const edited = { ...signed, content: { body: 'edited' } };
    expect(pduVerify(j(edited), specKeys, '1').ok).toBe(true);
    expect(pduCheckHash(j(edited)).ok).toBe(false);
  });
  it('verifies what it signed, and rejects a tampered object', () => {
    const signed = pduSign(j({ one: 1 }), sign);
    expect(pduVerify(j(signed), specKeys)).toEqual({
      ok: true,
      signatures: [{ server: 'domain', key_id: 'ed25519:1', ok: true, status: 'valid', reason: 'verified' }],
      missing: [],
    });
    const tampered = pduVerify(j({ ...signed, one: 2 }), specKeys);
    expect(tampered.ok).toBe(false);
    expect(tampered.signatures[0]).toMatchObject({ ok: false, status: 'invalid', reason: 'invalid signature' });
  });
  it('accepts keys with validity and skips a key that expired before the event (v5+)', () => {
    const room = miniRoom('10', '!r:domain');
    const event = room.event({ type: 'm.room.message', sender: '@u:domain', content: { body: 'hi' } });
    const signed = pduSign(j(event), { ...sign, roomVersion: '10' });
    const valid = j({ domain: { 'ed25519:1': { key: publicKeyBase64(specKey), valid_until_ts: 9_999_999_999_999 } } });
    const expired = j({ domain: { 'ed25519:1': { key: publicKeyBase64(specKey), valid_until_ts: 1 } } });
    expect(pduVerify(j(signed), valid, '10').ok).toBe(true);
    const r = pduVerify(j(signed), expired, '10');
    expect(r.ok).toBe(false);
    expect(r.missing).toEqual(['domain']);
    expect(r.signatures[0]!.status).toBe('expired-key');
  });
  it('requires the sender server to sign an event', () => {
    const room = miniRoom('10', '!r:other');
    const event = room.event({ type: 'm.room.message', sender: '@u:other', content: {} });
    const r = pduVerify(j(pduSign(j(event), { ...sign, roomVersion: '10' })), specKeys, '10');
    expect(r.ok).toBe(false);
    expect(r.missing).toEqual(['other']);
  });
  it('treats a bad seed or key id as a usage error and a bad keys file as malformed', () => {
    expect(errorOf(() => pduSign('{}', { ...sign, seed: 'AAAA' })).code).toBe('USAGE');
    expect(errorOf(() => pduSign('{}', { ...sign, keyId: 'rsa:1' })).code).toBe('USAGE');
    expect(errorOf(() => pduVerify('{}', '[1]')).code).toBe('BAD_EVENT_JSON');
    expect(errorOf(() => pduVerify('{}', '"keys"')).code).toBe('BAD_EVENT_JSON');
    expect(errorOf(() => pduVerify('{}', j({ domain: { 'ed25519:1': 5 } }))).code).toBe('BAD_EVENT_JSON');
    expect(errorOf(() => pduVerify('{}', j({ server_keys: {} }))).code).toBe('BAD_EVENT_JSON');
  });
});

describe('pdu verify: an event without a room version', () => {
  const room = miniRoom('10', '!r:domain');
  const event = pduSign(j(room.event({ type: 'm.room.message', sender: '@u:domain', content: { body: 'hi' } })), { ...sign, roomVersion: '10' });
  it('is refused as a usage error saying to pass --room-version (its signature covers the redacted event)', () => {
    const e = errorOf(() => pduVerify(j(event), specKeys));
    expect(e.code).toBe('USAGE');
    expect(e.message).toMatch(/the input is an event .*pass --room-version/);
    expect(e.message).not.toMatch(/\n/);
    // the same event verifies with its room version
    expect(pduVerify(j(event), specKeys, '10').ok).toBe(true);
  });
  it('recognises events by room_id and type with an event field; other objects are plain JSON', () => {
    expect(looksLikePdu({ room_id: '!r:x', type: 'm.room.message', auth_events: [] })).toBe(true);
    expect(looksLikePdu({ room_id: '!r:x', type: 'm.room.message', prev_events: [] })).toBe(true);
    expect(looksLikePdu({ room_id: '!r:x', type: 'm.room.message', hashes: {} })).toBe(true);
    expect(looksLikePdu({ room_id: '!r:x', type: 'x' })).toBe(false); // a signed object may name a room
    expect(looksLikePdu({ type: 'm.room.message', auth_events: [] })).toBe(false);
    expect(looksLikePdu({ room_id: 5, type: 'm.room.message', auth_events: [] })).toBe(false);
    const plain = pduSign(j({ room_id: '!r:x', type: 'x', body: 1 }), sign);
    expect(pduVerify(j(plain), specKeys).ok).toBe(true);
  });
});

describe("pdu verify keys: Synapse's own formats", () => {
  const serverKey = signingKeyFromSeed('domain', 'ed25519:new', new Uint8Array(32).fill(5));
  const response = (fields: Record<string, unknown> = {}): Record<string, unknown> => ({
    server_name: 'domain',
    valid_until_ts: 2_000_000,
    verify_keys: { 'ed25519:new': { key: publicKeyBase64(serverKey) } },
    old_verify_keys: { 'ed25519:1': { key: publicKeyBase64(specKey), expired_ts: 1_500_000 } },
    ...fields,
  });
  const served = pduSign(j(response()), { seed: encodeBase64(serverKey.seed), server: 'domain', keyId: 'ed25519:new' });
  const event = (ts: number, key: 'spec' | 'new') => {
    const room = miniRoom('10', '!r:domain');
    const raw = room.event({ type: 'm.room.message', sender: '@u:domain', content: {}, origin_server_ts: ts });
    return key === 'spec' ? pduSign(j(raw), { ...sign, roomVersion: '10' }) : pduSign(j(raw), { seed: encodeBase64(serverKey.seed), server: 'domain', keyId: 'ed25519:new', roomVersion: '10' });
  };

  it('reads a server key response (/_matrix/key/v2/server, server_keys_json.key_json): verify_keys and old_verify_keys with their validity', () => {
    expect(JSON.parse(j(parseKeyRing(j(served))))).toEqual({
      domain: {
        'ed25519:new': { key: publicKeyBase64(serverKey), valid_until_ts: 2_000_000 },
        'ed25519:1': { key: publicKeyBase64(specKey), valid_until_ts: 1_500_000 },
      },
    });
    expect(pduVerify(j(event(1_900_000, 'new')), j(served), '10')).toMatchObject({ ok: true, signatures: [{ status: 'valid' }] });
    // the old key is used for events up to its expired_ts (v5+)
    expect(pduVerify(j(event(1_500_000, 'spec')), j(served), '10').ok).toBe(true);
    expect(pduVerify(j(event(1_500_001, 'spec')), j(served), '10')).toMatchObject({ ok: false, signatures: [{ status: 'expired-key' }], missing: ['domain'] });
  });

  it('reads a list of responses and a notary answer {"server_keys": [...]}', () => {
    const other = signingKeyFromSeed('other.example', 'ed25519:o', new Uint8Array(32).fill(6));
    const otherResponse = pduSign(j({ server_name: 'other.example', valid_until_ts: 7, verify_keys: { 'ed25519:o': { key: publicKeyBase64(other) } } }), { seed: encodeBase64(other.seed), server: 'other.example', keyId: 'ed25519:o' });
    for (const text of [j([served, otherResponse]), j({ server_keys: [served, otherResponse] })]) {
      expect(Object.keys(parseKeyRing(text)).sort()).toEqual(['domain', 'other.example']);
    }
    expect(JSON.parse(j(parseKeyRing('[]')))).toEqual({});
  });

  it('refuses a response not signed by its own server, and malformed responses, as malformed input', () => {
    expect(errorOf(() => parseKeyRing(j(response()))).message).toMatch(/^keys file: server key response \[0\]: not signed by its server "domain"/);
    const tampered = { ...served, valid_until_ts: 9_999_999 };
    expect(errorOf(() => parseKeyRing(j([served, tampered]))).message).toMatch(/server key response \[1\]: not signed/);
    for (const bad of [
      { ...served, valid_until_ts: 'soon' },
      { ...served, verify_keys: [] },
      { ...served, old_verify_keys: { 'ed25519:x': { key: 'AAAA' } } },
      { verify_keys: {} },
    ]) {
      expect(errorOf(() => parseKeyRing(j(bad))).code).toBe('BAD_EVENT_JSON');
    }
    expect(errorOf(() => parseKeyRing(j([served, 5]))).message).toMatch(/server key response \[1\]: expected an object, got a number/);
  });

  it('merges two key rings, the first winning on the same key id', () => {
    const a = parseKeyRing(j({ s: { 'ed25519:1': 'AAAA', 'ed25519:2': 'BBBB' } }));
    const b = parseKeyRing(j({ s: { 'ed25519:1': 'CCCC' }, t: { 'ed25519:9': 'DDDD' } }));
    expect(JSON.parse(j(mergeKeyRings(a, b)))).toEqual({ s: { 'ed25519:1': { key: 'AAAA' }, 'ed25519:2': { key: 'BBBB' } }, t: { 'ed25519:9': { key: 'DDDD' } } });
  });
});

describe("pdu sign with Synapse's signing.key", () => {
  const file = formatSigningKeyFile([specKey, signingKeyFromSeed('domain', 'ed25519:2', new Uint8Array(32).fill(2))]);
  const EMPTY_SIGNATURE = 'K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ';
  it('signs with the first key, as Synapse does, or the one --key-id names', () => {
    expect(pduSign('{}', { server: 'domain', signingKeyFile: file })).toEqual({ signatures: { domain: { 'ed25519:1': EMPTY_SIGNATURE } } });
    expect(pduSign('{}', { server: 'domain', signingKeyFile: file, keyId: 'ed25519:1' })).toEqual(pduSign('{}', sign));
    expect(Object.keys((pduSign('{}', { server: 'domain', signingKeyFile: file, keyId: 'ed25519:2' }).signatures as Record<string, object>).domain!)).toEqual(['ed25519:2']);
  });
  it('refuses conflicting or missing key options as usage errors, a bad file as malformed, never quoting the seed', () => {
    expect(errorOf(() => pduSign('{}', { server: 'domain', signingKeyFile: file, keyId: 'ed25519:3' })).message).toMatch(/holds ed25519:1, ed25519:2/);
    expect(errorOf(() => pduSign('{}', { ...sign, signingKeyFile: file })).code).toBe('USAGE');
    expect(errorOf(() => pduSign('{}', { server: 'domain' })).code).toBe('USAGE');
    expect(errorOf(() => pduSign('{}', { server: 'domain', seed: SPEC_SEED })).code).toBe('USAGE');
    const bad = errorOf(() => pduSign('{}', { server: 'domain', signingKeyFile: `ed25519 1 ${SPEC_SEED} x` }));
    expect(bad.code).toBe('BAD_EVENT_JSON');
    expect(bad.message).toMatch(/^signing key file: line 1: /);
    expect(bad.message).not.toContain(SPEC_SEED);
  });
});

describe('pdu event-id, redact, check-hash', () => {
  const message = {
    type: 'm.room.message', room_id: '!r:a.test', sender: '@a:a.test', origin_server_ts: 5, depth: 2,
    prev_events: [], auth_events: [], hashes: { sha256: 'x' }, content: { body: 'hello' },
  };
  it('computes v3 and v4+ ids as the reference hash in standard and URL-safe Base64', () => {
    // independent computation: a redacted message keeps no content; signatures/unsigned are left out
    const redacted = { ...message, content: {} };
    const canonical = JSON.stringify(Object.fromEntries(Object.entries(redacted).sort(([a], [b]) => (a < b ? -1 : 1))));
    const digest = createHash('sha256').update(canonical).digest('base64').replace(/=+$/, '');
    expect(pduEventId(j(message), '3')).toEqual({ event_id: '$' + digest });
    expect(pduEventId(j(message), '10')).toEqual({ event_id: '$' + digest.replace(/\+/g, '-').replace(/\//g, '_') });
  });
  it('takes the id from the event in v1 and v2 and refuses an event without one', () => {
    expect(pduEventId(j({ ...message, event_id: '$abc:a.test' }), '1')).toEqual({ event_id: '$abc:a.test' });
    expect(errorOf(() => pduEventId(j(message), '2')).code).toBe('BAD_EVENT_JSON');
  });
  it('refuses unknown room versions and non-objects', () => {
    expect(errorOf(() => pduEventId(j(message), '99')).code).toBe('USAGE');
    expect(errorOf(() => pduEventId('[1]', '10')).code).toBe('BAD_EVENT_JSON');
  });
  it('redacts per room version: power levels keep invite only from v11', () => {
    const pl = { ...message, type: 'm.room.power_levels', state_key: '', content: { ban: 50, invite: 0, foo: 1 } };
    expect(pduRedact(j(pl), '10').content).toEqual({ ban: 50 });
    expect(pduRedact(j(pl), '11').content).toEqual({ ban: 50, invite: 0 });
  });
  it('checks the content hash', () => {
    const signed = pduSign(j(message), { ...sign, roomVersion: '10' });
    const hash = (signed.hashes as { sha256: string }).sha256;
    expect(pduCheckHash(j(signed))).toEqual({ computed: hash, expected: hash, ok: true });
    expect(pduCheckHash(j({ ...signed, content: { body: 'other' } })).ok).toBe(false);
    expect(pduCheckHash(j(message))).toMatchObject({ expected: null, ok: false });
  });
  it('writes integers beyond 2^53 back digit for digit', () => {
    expect(stringifyJson({ a: 12345678901234567890n, b: [1, 'x'] }, 0)).toBe('{"a":12345678901234567890,"b":[1,"x"]}');
  });
});

describe('pdu auth', () => {
  const room = miniRoom('10');
  const authEvents = [room.create, room.aliceJoin, room.powerLevels, room.joinRules];
  it('allows a message from a joined member against its auth events', () => {
    const msg = room.event({ type: 'm.room.message', sender: '@alice:a.test', content: { body: 'hi' }, auth_events: [room.ids.create, room.ids.powerLevels, room.ids.aliceJoin] });
    const r = pduAuth(j(msg), j(authEvents), { roomVersion: '10', mode: 'auth-events' });
    expect(r.allowed).toBe(true);
  });
  it('denies a message from a user who is not in the room, naming the spec rule', () => {
    const msg = room.event({ type: 'm.room.message', sender: '@bob:b.test', content: { body: 'hi' } });
    const r = pduAuth(j(msg), j([room.create, room.aliceJoin, room.powerLevels, room.joinRules]), { roomVersion: '10', mode: 'state' });
    expect(r.allowed).toBe(false);
    expect(r.rule).toMatch(/^\d+(\.\d+)*$/);
    expect(r.reason).toContain('@bob:b.test');
  });
  it('denies an event citing a rejected auth event', () => {
    const msg = room.event({ type: 'm.room.message', sender: '@alice:a.test', content: {}, auth_events: [room.ids.create, room.ids.powerLevels, room.ids.aliceJoin] });
    const list = [room.create, { event: room.aliceJoin, rejected: true }, room.powerLevels];
    const r = pduAuth(j(msg), j(list), { roomVersion: '10', mode: 'auth-events' });
    expect(r).toMatchObject({ allowed: false, slug: 'auth-events.rejected' });
  });
  it('treats malformed lists as malformed input', () => {
    expect(errorOf(() => pduAuth(j(room.create), '{}', { roomVersion: '10', mode: 'state' })).code).toBe('BAD_EVENT_JSON');
    expect(errorOf(() => pduAuth(j(room.create), '[1]', { roomVersion: '10', mode: 'state' })).code).toBe('BAD_EVENT_JSON');
    expect(errorOf(() => pduAuth('{"type": 1}', '[]', { roomVersion: '10', mode: 'state' })).code).toBe('BAD_EVENT_JSON');
  });
});

describe('pdu resolve', () => {
  const room = miniRoom('10');
  const topicA = room.event({ type: 'm.room.topic', state_key: '', sender: '@alice:a.test', content: { topic: 'A' }, auth_events: [room.ids.create, room.ids.powerLevels, room.ids.aliceJoin], origin_server_ts: 1_800_000_000_000 });
  const topicB = room.event({ type: 'm.room.topic', state_key: '', sender: '@alice:a.test', content: { topic: 'B' }, auth_events: [room.ids.create, room.ids.powerLevels, room.ids.aliceJoin], origin_server_ts: 1_800_000_000_500 });
  const events = [room.create, room.aliceJoin, room.powerLevels, room.joinRules, topicA, topicB];
  const base = [room.ids.create, room.ids.aliceJoin, room.ids.powerLevels, room.ids.joinRules];
  it('keeps unconflicted state and resolves a conflicted topic by timestamp order', () => {
    const sets = [[...base, room.idOf(topicA)], [...base, room.idOf(topicB)]];
    expect(pduResolve(j(sets), j(events), '10')).toEqual({
      'm.room.create|': room.ids.create,
      'm.room.join_rules|': room.ids.joinRules,
      'm.room.member|@alice:a.test': room.ids.aliceJoin,
      'm.room.power_levels|': room.ids.powerLevels,
      'm.room.topic|': room.idOf(topicB),
    });
  });
  it('accepts state sets written as "type|state_key" maps', () => {
    const asMap = (topic: string) => ({
      'm.room.create|': room.ids.create,
      'm.room.member|@alice:a.test': room.ids.aliceJoin,
      'm.room.power_levels|': room.ids.powerLevels,
      'm.room.join_rules|': room.ids.joinRules,
      'm.room.topic|': topic,
    });
    const r = pduResolve(j([asMap(room.idOf(topicA)), asMap(room.idOf(topicB))]), j(events), '10');
    expect(r['m.room.topic|']).toBe(room.idOf(topicB));
  });
  it('refuses a state set naming an event it was not given', () => {
    expect(errorOf(() => pduResolve(j([['$nope']]), j(events), '10')).code).toBe('BAD_EVENT_JSON');
    expect(errorOf(() => pduResolve(j([{ 'no-bar': '$x' }]), j(events), '10')).code).toBe('BAD_EVENT_JSON');
  });
});
