// Signing, verification, content hashes and required signers: vectors from ruma-signatures,
// gomatrixserverlib and the spec, through the library and (a sample) through the built CLI.
import { describe, expect, it } from 'vitest';
import { decodeBase64 } from '../../../src/matrix/base64.js';
import { checkContentHash } from '../../../src/matrix/hashes.js';
import type { JsonObject } from '../../../src/matrix/pdu.js';
import { roomVersionRules } from '../../../src/matrix/room-versions.js';
import {
  requiredSignatureServers,
  signEvent,
  signJson,
  verifyEventSignatures,
  verifyJsonSignature,
  type KeyRing,
} from '../../../src/matrix/signatures.js';
import { signingKeyFromSeed } from '../../../src/matrix/signing-key.js';
import { runCli } from '../../cli/run-cli.js';
import { loadExternal } from './load.js';

type KeyName = 'spec' | 'ruma';
interface Vectors {
  keys: Record<KeyName, { seed: string; public_key: string }>;
  sign_json: { name: string; key: KeyName; input: JsonObject; signed: JsonObject }[];
  verify_json: { name: string; key?: KeyName; server?: string; public_key?: string; object: JsonObject; ok: boolean }[];
  sign_event: { name: string; key: KeyName; room_version: string; input: JsonObject; signed: JsonObject }[];
  content_hash: { name: string; event: JsonObject; sha256: string }[];
  verify_event: {
    name: string;
    room_version: string;
    keyring: Record<string, Record<string, string | { key: string; valid_until_ts: number }>>;
    event: JsonObject;
    ok: boolean;
    hash_ok: boolean;
    missing?: string[];
  }[];
  required_servers: { name: string; event: JsonObject; required: Record<string, string[]> }[];
}
const v = loadExternal<Vectors>('signing.json');
const key = (name: KeyName) => signingKeyFromSeed('domain', 'ed25519:1', decodeBase64(v.keys[name].seed));

/** Key names in the vector keyrings ("ruma", "ruma=" for the padded spelling) → Base64 keys. */
function keyText(ref: string): string {
  const padded = ref.endsWith('=');
  const k = v.keys[ref.replace(/=$/, '') as KeyName].public_key;
  return padded ? k + '=' : k;
}
function ring(spec: Vectors['verify_event'][number]['keyring']): KeyRing {
  const out: KeyRing = {};
  for (const [server, byId] of Object.entries(spec)) {
    out[server] = {};
    for (const [id, e] of Object.entries(byId)) {
      out[server][id] = typeof e === 'string' ? { key: keyText(e) } : { key: keyText(e.key), valid_until_ts: e.valid_until_ts };
    }
  }
  return out;
}

describe('signing keys from other implementations', () => {
  it('derives the published public keys from the seeds', () => {
    for (const name of ['spec', 'ruma'] as const) {
      expect(Buffer.from(key(name).publicKey).toString('base64').replace(/=+$/, '')).toBe(v.keys[name].public_key);
    }
  });
});

describe('signing JSON: external vectors', () => {
  for (const c of v.sign_json) {
    it(c.name, () => expect(signJson(c.input, key(c.key))).toStrictEqual(c.signed));
  }
  for (const c of v.verify_json) {
    it(c.name, () => {
      const publicKey = c.key ? key(c.key).publicKey : decodeBase64(c.public_key!);
      expect(verifyJsonSignature(c.object, c.server ?? 'domain', 'ed25519:1', publicKey)).toBe(c.ok);
    });
  }
});

describe('signing events and content hashes: external vectors', () => {
  for (const c of v.sign_event) {
    it(c.name, () => {
      expect(signEvent(c.input, key(c.key), roomVersionRules(c.room_version))).toStrictEqual(c.signed);
      expect(checkContentHash(c.signed)).toStrictEqual({ computed: (c.signed.hashes as JsonObject).sha256, expected: (c.signed.hashes as JsonObject).sha256, ok: true });
    });
  }
  for (const c of v.content_hash) {
    it(c.name, () => expect(checkContentHash({ ...c.event, hashes: { sha256: c.sha256 } }).ok).toBe(true));
  }
});

describe('verifying events: external vectors', () => {
  for (const c of v.verify_event) {
    it(`v${c.room_version}: ${c.name}`, () => {
      const report = verifyEventSignatures(c.event, roomVersionRules(c.room_version), ring(c.keyring));
      expect(report.ok).toBe(c.ok);
      if (c.missing) expect(report.missing).toStrictEqual(c.missing);
      expect(checkContentHash(c.event).ok).toBe(c.hash_ok);
    });
  }
  for (const c of v.required_servers) {
    for (const [version, servers] of Object.entries(c.required)) {
      it(`v${version}: ${c.name}`, () => {
        expect(requiredSignatureServers(c.event, roomVersionRules(version)).sort()).toStrictEqual(servers);
      });
    }
  }
});

describe('signing: external vectors through the CLI', () => {
  it('pdu sign (JSON and event) reproduces ruma and gomatrixserverlib signatures', async () => {
    const runs: { key: KeyName; room_version?: string; input: JsonObject; signed: JsonObject }[] = [v.sign_json[1]!, v.sign_event[0]!, v.sign_event[3]!];
    for (const c of runs) {
      const args = ['pdu', 'sign', '--seed', v.keys[c.key].seed, '--server', 'domain', '--key-id', 'ed25519:1', '--json'];
      if (c.room_version !== undefined) args.push('--room-version', c.room_version);
      const r = await runCli(args, { input: JSON.stringify(c.input) });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toStrictEqual(c.signed);
    }
  });
  it('pdu check-hash --json gives {computed, expected, ok}', async () => {
    const good = v.verify_event[0]!;
    const r = await runCli(['pdu', 'check-hash', '--json'], { input: JSON.stringify(good.event) });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toStrictEqual({ computed: 'onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g', expected: 'onLKD1bGljeBWQhWZ1kaP9SorVmRQNdN5aM2JYU2n/g', ok: true });
    const bad = v.verify_event[3]!;
    const r2 = await runCli(['pdu', 'check-hash', '--json'], { input: JSON.stringify(bad.event) });
    expect(r2.code).toBe(1);
    expect(JSON.parse(r2.stdout)).toMatchObject({ expected: 'adifferenthashvalueaP9SorVmRQNdN5aM2JYU2n/g', ok: false });
  });
  it('pdu verify --json gives {ok, signatures:[{server,key_id,ok,reason}]}', async () => {
    for (const c of v.verify_event) {
      const keys: Record<string, Record<string, string | { key: string; valid_until_ts: number }>> = {};
      const r0 = ring(c.keyring);
      for (const [s, byId] of Object.entries(r0)) keys[s] = Object.fromEntries(Object.entries(byId).map(([id, e]) => [id, e.valid_until_ts === undefined ? e.key : { key: e.key, valid_until_ts: e.valid_until_ts }]));
      const file = `/tmp/synapse-doctor-ext-keys-${process.pid}.json`;
      const { writeFileSync, rmSync } = await import('node:fs');
      writeFileSync(file, JSON.stringify(keys));
      try {
        const r = await runCli(['pdu', 'verify', '--room-version', c.room_version, '--keys', file, '--json'], { input: JSON.stringify(c.event) });
        expect(r.code, `${c.name}: ${r.stderr}`).toBe(c.ok ? 0 : 1);
        const out = JSON.parse(r.stdout) as { ok: boolean; signatures: { server: string; key_id: string; ok: boolean; reason: string }[] };
        expect(Object.keys(out).sort()).toStrictEqual(['ok', 'signatures']);
        expect(out.ok).toBe(c.ok);
        for (const s of out.signatures) expect(Object.keys(s).sort()).toStrictEqual(['key_id', 'ok', 'reason', 'server', 'status']);
      } finally {
        rmSync(file, { force: true });
      }
    }
  });
});
