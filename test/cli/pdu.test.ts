import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeBase64 } from '../../src/matrix/base64.js';
import { formatSigningKeyFile, publicKeyBase64, signingKeyFromSeed } from '../../src/matrix/signing-key.js';
import { miniRoom, SPEC_SEED } from '../pdu/fixtures.js';
import { expectOneErrorLine, runCli } from './run-cli.js';

const j = (v: unknown): string => JSON.stringify(v);
const signArgs = ['--seed', SPEC_SEED, '--server', 'domain', '--key-id', 'ed25519:1'];
const specPublic = publicKeyBase64(signingKeyFromSeed('domain', 'ed25519:1', decodeBase64(SPEC_SEED)));
const minimalEvent = {
  room_id: '!x:domain', sender: '@a:domain', origin: 'domain', origin_server_ts: 1000000, signatures: {}, hashes: {},
  type: 'X', content: {}, prev_events: [], auth_events: [], depth: 3, unsigned: { age_ts: 1000000 },
};

let dir: string;
const file = async (name: string, value: unknown): Promise<string> => {
  const path = join(dir, name);
  await writeFile(path, typeof value === 'string' ? value : j(value));
  return path;
};
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'synapse-doctor-pdu-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('cli: pdu canonical, event-id, redact, check-hash', () => {
  it('prints canonical JSON from a file and from stdin', async () => {
    const f = await file('obj.json', '{"b":"2","a":"1"}');
    expect(await runCli(['pdu', 'canonical', f])).toMatchObject({ code: 0, stdout: '{"a":"1","b":"2"}\n', stderr: '' });
    expect(await runCli(['pdu', 'canonical'], { input: '{ "one": 1, "two": "Two" }' })).toMatchObject({ code: 0, stdout: '{"one":1,"two":"Two"}\n' });
    expect(await runCli(['pdu', 'canonical', '-'], { input: '{}' })).toMatchObject({ code: 0, stdout: '{}\n' });
  });

  it('exits 2 with one line when the value cannot be canonical or is not JSON', async () => {
    for (const input of ['{"a": 1.5}', '{"a": 9007199254740993}', '{"a":', '']) {
      const r = await runCli(['pdu', 'canonical'], { input });
      expect(r.code).toBe(2);
      expectOneErrorLine(r.stderr);
      expect(r.stdout).toBe('');
    }
  });

  it('prints the event id, plain or as {"event_id"}', async () => {
    const room = miniRoom('10');
    const event = room.event({ type: 'm.room.message', sender: '@alice:a.test', content: { body: 'x' } });
    const plain = await runCli(['pdu', 'event-id', '--room-version', '10'], { input: j(event) });
    expect(plain).toMatchObject({ code: 0, stdout: room.idOf(event) + '\n' });
    const json = await runCli(['pdu', 'event-id', '--room-version', '10', '--json'], { input: j(event) });
    expect(JSON.parse(json.stdout)).toEqual({ event_id: room.idOf(event) });
  });

  it('exits 2 for malformed events, unknown room versions and a missing --room-version', async () => {
    const cases: [string[], string][] = [
      [['pdu', 'event-id', '--room-version', '10'], '[1, 2]'],
      [['pdu', 'event-id', '--room-version', '10'], '"text"'],
      [['pdu', 'event-id', '--room-version', '2'], j({ type: 'm.room.message', content: {} })],
      [['pdu', 'event-id', '--room-version', '42'], j(minimalEvent)],
      [['pdu', 'event-id'], j(minimalEvent)],
      [['pdu', 'redact', '--room-version', '10'], j({ type: 5, content: 'no' })],
    ];
    for (const [args, input] of cases) {
      const r = await runCli([...args, '--json'], { input });
      expect(r.code, `${args.join(' ')} <<< ${input}`).toBe(2);
      expectOneErrorLine(r.stderr);
      expect(JSON.parse(r.stdout).error.code).toMatch(/^(BAD_EVENT_JSON|USAGE)$/);
    }
  });

  it('exits 3 when the input file does not exist', async () => {
    const r = await runCli(['pdu', 'canonical', join(dir, 'nope.json')]);
    expect(r.code).toBe(3);
    expectOneErrorLine(r.stderr);
  });

  it('redacts an event as JSON', async () => {
    const event = { ...minimalEvent, type: 'm.room.power_levels', state_key: '', content: { ban: 50, invite: 0, extra: 1 } };
    const r10 = await runCli(['pdu', 'redact', '--room-version', '10'], { input: j(event) });
    expect(r10.code).toBe(0);
    expect(JSON.parse(r10.stdout).content).toEqual({ ban: 50 });
    const r11 = await runCli(['pdu', 'redact', '--room-version', '11', '--json'], { input: j(event) });
    expect(JSON.parse(r11.stdout).content).toEqual({ ban: 50, invite: 0 });
    expect(JSON.parse(r11.stdout)).not.toHaveProperty('origin');
  });

  it('checks the content hash: exit 0 on match, 1 on mismatch, exact JSON shape', async () => {
    const withHash = { ...minimalEvent, hashes: { sha256: '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos' } };
    const ok = await runCli(['pdu', 'check-hash', '--json'], { input: j(withHash) });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual({ computed: '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos', expected: '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos', ok: true });
    const bad = await runCli(['pdu', 'check-hash', '--room-version', '1', '--json'], { input: j({ ...withHash, depth: 4 }) });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({ expected: '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos', ok: false });
    const text = await runCli(['pdu', 'check-hash'], { input: j({ ...withHash, depth: 4 }) });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^mismatch/);
  });
});

describe('cli: pdu sign and verify (spec appendix vectors)', () => {
  it('signs the empty object and the object with data values', async () => {
    const empty = await runCli(['pdu', 'sign', ...signArgs], { input: '{}' });
    expect(empty.code).toBe(0);
    expect(JSON.parse(empty.stdout)).toEqual({
      signatures: { domain: { 'ed25519:1': 'K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ' } },
    });
    const data = await runCli(['pdu', 'sign', ...signArgs, await file('data.json', { one: 1, two: 'Two' })]);
    expect(JSON.parse(data.stdout).signatures.domain['ed25519:1']).toBe('KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw');
  });

  it('hashes and signs the minimal event with --room-version', async () => {
    const r = await runCli(['pdu', 'sign', ...signArgs, '--room-version', '1'], { input: j(minimalEvent) });
    const signed = JSON.parse(r.stdout);
    expect(signed.hashes).toEqual({ sha256: '5jM4wQpv6lnBo7CLIghJuHdW+s2CMBJPUOGOC89ncos' });
    expect(signed.signatures.domain['ed25519:1']).toBe('KxwGjPSDEtvnFgU00fwFz+l6d2pJM6XBIaMEn81SXPTRl16AqLAYqfIReFGZlHi5KLjAWbOoMszkwsQma+lYAg');
  });

  it('verifies with both keys-file forms; exit 0 valid, 1 invalid; exact JSON shape', async () => {
    const signed = JSON.parse((await runCli(['pdu', 'sign', ...signArgs, '--room-version', '10'], { input: j(minimalEvent) })).stdout);
    const plainKeys = await file('keys1.json', { domain: { 'ed25519:1': specPublic } });
    const richKeys = await file('keys2.json', { domain: { 'ed25519:1': { key: specPublic, valid_until_ts: 2_000_000 } } });
    for (const keys of [plainKeys, richKeys]) {
      const r = await runCli(['pdu', 'verify', '--keys', keys, '--room-version', '10', '--json'], { input: j(signed) });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toEqual({ ok: true, signatures: [{ server: 'domain', key_id: 'ed25519:1', ok: true, status: 'valid', reason: 'verified' }] });
    }
    const forged = { ...signed, signatures: { domain: { 'ed25519:1': signed.signatures.domain['ed25519:1'].replace(/^./, (c: string) => (c === 'A' ? 'B' : 'A')) } } };
    const bad = await runCli(['pdu', 'verify', '--keys', plainKeys, '--room-version', '10', '--json'], { input: j(forged) });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toEqual({ ok: false, signatures: [{ server: 'domain', key_id: 'ed25519:1', ok: false, status: 'invalid', reason: 'invalid signature' }] });
    const text = await runCli(['pdu', 'verify', '--keys', plainKeys, '--room-version', '10'], { input: j(signed) });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^SERVER\s+KEY\s+STATUS\s+RESULT$/m);
    expect(text.stdout).toMatch(/^domain\s+ed25519:1\s+valid\s+verified$/m);
    const plain = await runCli(['pdu', 'verify', '--keys', plainKeys], { input: (await runCli(['pdu', 'sign', ...signArgs], { input: '{"one":1}' })).stdout });
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('ok: signatures verified');
  });

  it('an event without --room-version: exit 2, one line saying to pass it (not "invalid signature")', async () => {
    const signed = (await runCli(['pdu', 'sign', ...signArgs, '--room-version', '10'], { input: j(minimalEvent) })).stdout;
    const keys = await file('keys-ev.json', { domain: { 'ed25519:1': specPublic } });
    for (const extra of [[], ['--json']]) {
      const r = await runCli(['pdu', 'verify', '--keys', keys, ...extra], { input: signed });
      expect(r.code).toBe(2);
      const { message, hint } = expectOneErrorLine(r.stderr);
      expect(message).toMatch(/^synapse-doctor: the input is an event .*pass --room-version V/);
      expect(hint).toBeUndefined();
      if (extra.length > 0) expect(JSON.parse(r.stdout).error.code).toBe('USAGE');
      else expect(r.stdout).toBe('');
    }
  });

  it('reads a server key response and a list of them as --keys', async () => {
    const signed = (await runCli(['pdu', 'sign', ...signArgs, '--room-version', '10'], { input: j(minimalEvent) })).stdout;
    const response = JSON.parse((await runCli(['pdu', 'sign', ...signArgs], { input: j({ server_name: 'domain', valid_until_ts: 2_000_000, verify_keys: { 'ed25519:1': { key: specPublic } }, old_verify_keys: {} }) })).stdout);
    for (const keys of [await file('resp.json', response), await file('resps.json', [response])]) {
      const r = await runCli(['pdu', 'verify', '--keys', keys, '--room-version', '10', '--json'], { input: signed });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout).signatures[0]).toEqual({ server: 'domain', key_id: 'ed25519:1', ok: true, status: 'valid', reason: 'verified' });
    }
    // a response whose self-signature is gone is refused, not silently dropped
    const unsigned = await file('resp-unsigned.json', { ...response, signatures: {} });
    const r = await runCli(['pdu', 'verify', '--keys', unsigned, '--room-version', '10'], { input: signed });
    expect(r.code).toBe(2);
    expect(expectOneErrorLine(r.stderr).message).toMatch(/server key response \[0\]: not signed by its server "domain"/);
  });

  it('needs --keys or --keys-from-db (exit 2); a missing --keys-from-db file exits 3', async () => {
    const none = await runCli(['pdu', 'verify'], { input: '{}' });
    expect(none.code).toBe(2);
    expect(expectOneErrorLine(none.stderr).message).toMatch(/--keys FILE, --keys-from-db DB/);
    const missing = await runCli(['pdu', 'verify', '--keys-from-db', join(dir, 'no.db')], { input: '{}' });
    expect(missing.code).toBe(3);
    expectOneErrorLine(missing.stderr);
    const notDb = await runCli(['pdu', 'verify', '--keys-from-db', await file('not-a-db.db', 'hello')], { input: '{}' });
    expect(notDb.code).toBe(3);
    expectOneErrorLine(notDb.stderr);
  });

  it("signs with Synapse's signing.key (--signing-key), the first key or the one --key-id names", async () => {
    const other = signingKeyFromSeed('domain', 'ed25519:2', new Uint8Array(32).fill(2));
    const keyFile = await file('signing.key', formatSigningKeyFile([signingKeyFromSeed('domain', 'ed25519:1', decodeBase64(SPEC_SEED)), other]));
    const first = await runCli(['pdu', 'sign', '--signing-key', keyFile, '--server', 'domain'], { input: '{}' });
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({ signatures: { domain: { 'ed25519:1': 'K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ' } } });
    const second = await runCli(['pdu', 'sign', '--signing-key', keyFile, '--server', 'domain', '--key-id', 'ed25519:2', '--room-version', '10'], { input: j(minimalEvent) });
    expect(Object.keys(JSON.parse(second.stdout).signatures.domain)).toEqual(['ed25519:2']);
    // signed with a signing.key, verified with the matching key
    const verified = await runCli(['pdu', 'verify', '--keys', await file('k2.json', { domain: { 'ed25519:2': publicKeyBase64(other) } }), '--room-version', '10'], { input: second.stdout });
    expect(verified.code).toBe(0);
  });

  it('refuses bad key options with exit 2 and one line; a bad signing.key never has its seed echoed; a missing one exits 3', async () => {
    const keyFile = await file('signing2.key', `ed25519 1 ${SPEC_SEED}\n`);
    const cases: string[][] = [
      ['--signing-key', keyFile, '--seed', SPEC_SEED, '--server', 'domain'],
      ['--server', 'domain'],
      ['--seed', SPEC_SEED, '--server', 'domain'],
      ['--signing-key', keyFile, '--server', 'domain', '--key-id', 'ed25519:9'],
      ['--signing-key', await file('bad.key', `ed25519 1 ${SPEC_SEED} trailing\n`), '--server', 'domain'],
      ['--signing-key', await file('pem.key', '-----BEGIN MATRIX PRIVATE KEY-----\nKey-ID: ed25519:1\n\nAAAA\n-----END MATRIX PRIVATE KEY-----\n'), '--server', 'domain'],
    ];
    for (const args of cases) {
      const r = await runCli(['pdu', 'sign', ...args], { input: '{}' });
      expect(r.code, args.join(' ')).toBe(2);
      expectOneErrorLine(r.stderr);
      expect(r.stderr).not.toContain(SPEC_SEED);
      expect(r.stdout).toBe('');
    }
    const missing = await runCli(['pdu', 'sign', '--signing-key', join(dir, 'absent.key'), '--server', 'domain'], { input: '{}' });
    expect(missing.code).toBe(3);
    expectOneErrorLine(missing.stderr);
  });

  it('exits 2 for a malformed keys file and 3 for a missing one', async () => {
    const r = await runCli(['pdu', 'verify', '--keys', await file('badkeys.json', '[1]')], { input: '{}' });
    expect(r.code).toBe(2);
    const missing = await runCli(['pdu', 'verify', '--keys', join(dir, 'none.json')], { input: '{}' });
    expect(missing.code).toBe(3);
  });
});

describe('cli: pdu auth and resolve', () => {
  const room = miniRoom('10');
  const aliceAuth = [room.ids.create, room.ids.powerLevels, room.ids.aliceJoin];

  it('allows and denies with the spec rule number; exact JSON shape; exit 0/1', async () => {
    const authEvents = await file('auth.json', [room.create, room.aliceJoin, room.powerLevels]);
    const ok = room.event({ type: 'm.room.message', sender: '@alice:a.test', content: {}, auth_events: aliceAuth });
    const allowed = await runCli(['pdu', 'auth', '--room-version', '10', '--event', await file('ok.json', ok), '--auth-events', authEvents, '--json']);
    expect(allowed.code).toBe(0);
    const a = JSON.parse(allowed.stdout);
    expect(Object.keys(a)).toEqual(['allowed', 'rule', 'reason']);
    expect(a.allowed).toBe(true);

    const state = await file('state.json', [room.create, room.aliceJoin, room.powerLevels, room.joinRules]);
    const stranger = room.event({ type: 'm.room.message', sender: '@eve:e.test', content: {} });
    const denied = await runCli(['pdu', 'auth', '--room-version', '10', '--event', '-', '--state', state, '--json'], { input: j(stranger) });
    expect(denied.code).toBe(1);
    const d = JSON.parse(denied.stdout);
    expect(d.allowed).toBe(false);
    expect(d.rule).toMatch(/^\d+(\.\d+)*$/);
    const text = await runCli(['pdu', 'auth', '--room-version', '10', '--event', '-', '--state', state], { input: j(stranger) });
    expect(text.stdout).toMatch(/^denied by rule \d+(\.\d+)* \([a-z0-9.-]+\): /);
  });

  it('denies an event whose auth event was rejected (rule 2.3 in v10)', async () => {
    const msg = room.event({ type: 'm.room.message', sender: '@alice:a.test', content: {}, auth_events: aliceAuth });
    const list = await file('rej.json', [room.create, { event: room.aliceJoin, rejected: true }, room.powerLevels]);
    const r = await runCli(['pdu', 'auth', '--room-version', '10', '--event', await file('m.json', msg), '--auth-events', list, '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ allowed: false, rule: '2.3' });
  });

  it('needs exactly one of --auth-events and --state (exit 2)', async () => {
    const ev = await file('ev.json', room.create);
    expect((await runCli(['pdu', 'auth', '--room-version', '10', '--event', ev])).code).toBe(2);
    expect((await runCli(['pdu', 'auth', '--room-version', '10', '--event', ev, '--state', ev, '--auth-events', ev])).code).toBe(2);
  });

  it('resolves state sets to {"type|state_key": event_id}', async () => {
    const topic = (t: string, ts: number) =>
      room.event({ type: 'm.room.topic', state_key: '', sender: '@alice:a.test', content: { topic: t }, auth_events: aliceAuth, origin_server_ts: ts });
    const t1 = topic('one', 1_800_000_000_000);
    const t2 = topic('two', 1_800_000_001_000);
    const base = [room.ids.create, room.ids.aliceJoin, room.ids.powerLevels, room.ids.joinRules];
    const sets = await file('sets.json', [[...base, room.idOf(t1)], { 'm.room.topic|': room.idOf(t2), 'm.room.create|': room.ids.create }]);
    const events = await file('events.json', [room.create, room.aliceJoin, room.powerLevels, room.joinRules, t1, t2]);
    const r = await runCli(['pdu', 'resolve', '--room-version', '10', '--state-sets', sets, '--events', events, '--json']);
    expect(r.code).toBe(0);
    const state = JSON.parse(r.stdout);
    expect(state['m.room.topic|']).toBe(room.idOf(t2));
    expect(state['m.room.create|']).toBe(room.ids.create);
    expect(state['m.room.member|@alice:a.test']).toBe(room.ids.aliceJoin);
    const text = await runCli(['pdu', 'resolve', '--room-version', '10', '--state-sets', sets, '--events', events]);
    expect(text.stdout).toMatch(/^TYPE\s+STATE_KEY\s+EVENT_ID$/m);
    const bad = await runCli(['pdu', 'resolve', '--room-version', '10', '--state-sets', await file('badsets.json', { not: 'an array' }), '--events', events]);
    expect(bad.code).toBe(2);
  });
});
