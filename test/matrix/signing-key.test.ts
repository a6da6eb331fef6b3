import { describe, it, expect } from 'vitest';
import { encodeBase64 } from '../../src/matrix/base64.js';
import { MatrixFormatError } from '../../src/matrix/matrix-format-error.js';
import { signJson, verifyJsonSignature } from '../../src/matrix/signatures.js';
import { formatSigningKeyFile, generateSigningKey, parseSigningKeyFile, publicKeyBase64, signingKeyFromSeed, signingKeyFromString } from '../../src/matrix/signing-key.js';

describe('signing keys', () => {
  it('signingKeyFromString is deterministic per text and differs between texts', () => {
    const a = signingKeyFromString('a.example', 'ed25519:1', 'simulation seed a');
    const a2 = signingKeyFromString('a.example', 'ed25519:1', 'simulation seed a');
    const b = signingKeyFromString('a.example', 'ed25519:1', 'simulation seed b');
    expect(encodeBase64(a.publicKey)).toBe(encodeBase64(a2.publicKey));
    expect(encodeBase64(a.publicKey)).not.toBe(encodeBase64(b.publicKey));
    expect(a.seed).toHaveLength(32);
    expect(publicKeyBase64(a)).toMatch(/^[A-Za-z0-9+/]{43}$/);
  });
  it('generateSigningKey makes distinct keys with a Synapse-like default id', () => {
    const x = generateSigningKey('x.example');
    const y = generateSigningKey('x.example', 'ed25519:mine');
    expect(x.keyId).toMatch(/^ed25519:a_[A-Za-z]{4}$/);
    expect(y.keyId).toBe('ed25519:mine');
    expect(encodeBase64(x.seed)).not.toBe(encodeBase64(y.seed));
    const signed = signJson({ hello: 'world' }, x);
    expect(verifyJsonSignature(signed, 'x.example', x.keyId, x.publicKey)).toBe(true);
  });
  it('prefixes a bare key version and refuses other algorithms and bad seeds', () => {
    expect(signingKeyFromSeed('s', 'auto', new Uint8Array(32)).keyId).toBe('ed25519:auto');
    expect(() => signingKeyFromSeed('s', 'curve25519:1', new Uint8Array(32))).toThrow(MatrixFormatError);
    expect(() => signingKeyFromSeed('s', 'ed25519:1', new Uint8Array(31))).toThrow(MatrixFormatError);
  });
  it('copies the seed so later changes to the caller array do not alter the key', () => {
    const seed = new Uint8Array(32).fill(1);
    const k = signingKeyFromSeed('s', 'ed25519:1', seed);
    seed.fill(2);
    expect([...k.seed].every((b) => b === 1)).toBe(true);
  });
});

describe("Synapse's signing.key file", () => {
  // the spec's test key (appendices, "Cryptographic Test Vectors")
  const SEED = 'YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1';
  const PUBLIC = 'XGX0JRS2Af3be3knz2fBiRbApjm2Dh61gXDJA8kcJNI';
  it('reads "ed25519 VERSION SEED" lines, in order, for the given server', () => {
    const [k] = parseSigningKeyFile(`ed25519 1 ${SEED}\n`, 'domain');
    expect(k).toMatchObject({ serverName: 'domain', keyId: 'ed25519:1' });
    expect(publicKeyBase64(k!)).toBe(PUBLIC);
    const two = parseSigningKeyFile(`\r\n  ed25519   a_AbCd\t${SEED}  \r\n\ned25519 old_1 ${encodeBase64(new Uint8Array(32).fill(1))}`, 's');
    expect(two.map((x) => x.keyId)).toEqual(['ed25519:a_AbCd', 'ed25519:old_1']);
  });
  it('round-trips with formatSigningKeyFile (the form Synapse writes)', () => {
    const keys = [generateSigningKey('x.example'), generateSigningKey('x.example', 'ed25519:b_2')];
    const text = formatSigningKeyFile(keys);
    expect(text).toMatch(/^ed25519 a_[A-Za-z]{4} [A-Za-z0-9+/]{43}\ned25519 b_2 [A-Za-z0-9+/]{43}\n$/);
    expect(parseSigningKeyFile(text, 'x.example').map((k) => encodeBase64(k.seed))).toEqual(keys.map((k) => encodeBase64(k.seed)));
  });
  it('refuses malformed files naming the line, never quoting the seed', () => {
    const cases: [string, RegExp][] = [
      ['', /no key in the signing key file/],
      ['\n \n', /no key/],
      [`ed25519 ${SEED}`, /line 1: expected "ed25519 VERSION SEED" \(3 fields\), got 2/],
      [`ed25519 1 ${SEED} extra`, /got 4/],
      [`\ncurve25519 1 ${SEED}`, /line 2: unsupported algorithm "curve25519"/],
      [`ed25519 a:b ${SEED}`, /line 1: the key version must be letters, digits and _/],
      [`ed25519 1 ${SEED.slice(0, 20)}!`, /line 1: the seed is not Base64/],
      [`ed25519 1 ${SEED.slice(0, 20)}`, /line 1: the seed must decode to 32 bytes, got 15/],
      ['-----BEGIN MATRIX PRIVATE KEY-----\nKey-ID: ed25519:1\n\nAAAA\n-----END MATRIX PRIVATE KEY-----\n', /PEM file/],
    ];
    for (const [text, message] of cases) {
      let error: unknown;
      try {
        parseSigningKeyFile(text, 's');
      } catch (e) {
        error = e;
      }
      expect(error, JSON.stringify(text)).toBeInstanceOf(MatrixFormatError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain(SEED.slice(0, 20));
    }
  });
});
