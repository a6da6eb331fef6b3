import { describe, it, expect } from 'vitest';
import { encodeBase64 } from '../../src/matrix/base64.js';
import { MatrixFormatError } from '../../src/matrix/matrix-format-error.js';
import { signJson, verifyJsonSignature } from '../../src/matrix/signatures.js';
import { generateSigningKey, publicKeyBase64, signingKeyFromSeed, signingKeyFromString } from '../../src/matrix/signing-key.js';

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
