import { describe, it, expect } from 'vitest';
import { decodeBase64, encodeBase64, encodeBase64Url } from '../../src/matrix/base64.js';
import { MatrixFormatError } from '../../src/matrix/matrix-format-error.js';

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('base64', () => {
  it('encodes the spec examples unpadded (appendices, "Unpadded Base64")', () => {
    const examples: [string, string][] = [
      ['', ''],
      ['f', 'Zg'],
      ['fo', 'Zm8'],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg'],
      ['fooba', 'Zm9vYmE'],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, b64] of examples) {
      expect(encodeBase64(utf8(plain))).toBe(b64);
      expect(Buffer.from(decodeBase64(b64)).toString('utf8')).toBe(plain);
    }
  });
  it('uses + and / in standard and - and _ in URL-safe', () => {
    const bytes = Uint8Array.from([0xfb, 0xff, 0xbf]);
    expect(encodeBase64(bytes)).toBe('+/+/');
    expect(encodeBase64Url(bytes)).toBe('-_-_');
    expect(encodeBase64Url(Uint8Array.from([0xfb]))).toBe('-w');
  });
  it('decodes padded, unpadded, standard and URL-safe alike', () => {
    for (const text of ['Zm8', 'Zm8=', '+/+/', '-_-_', 'Zg==', 'Zg']) {
      expect(encodeBase64(decodeBase64(text))).toBe(encodeBase64(decodeBase64(text.replace(/=/g, ''))));
    }
    expect([...decodeBase64('-_-_')]).toEqual([0xfb, 0xff, 0xbf]);
  });
  it('accepts non-zero trailing bits (the spec test seed has them)', () => {
    expect(decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1')).toHaveLength(32);
  });
  it('refuses garbage', () => {
    for (const bad of ['a', 'Zm9v!', 'Zg=a', 'Z g', 'Zm8==', '====', 'Zg===']) {
      expect(() => decodeBase64(bad), bad).toThrow(MatrixFormatError);
    }
  });
  it('encodes a subarray view correctly', () => {
    const big = Uint8Array.from([1, 2, 102, 111, 111, 3]);
    expect(encodeBase64(big.subarray(2, 5))).toBe('Zm9v');
  });
});
