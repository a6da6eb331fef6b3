/**
 * Unpadded Base64, standard and URL-safe.
 * Appendices, "Unpadded Base64": https://spec.matrix.org/v1.16/appendices/#unpadded-base64
 * and "URL-safe unpadded Base64": https://spec.matrix.org/v1.16/appendices/#url-safe-unpadded-base64
 */
import { MatrixFormatError } from './matrix-format-error.js';

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Standard alphabet (`+`, `/`), no `=` padding. https://spec.matrix.org/v1.16/appendices/#unpadded-base64 */
export function encodeBase64(bytes: Uint8Array): string {
  const s = toBuffer(bytes).toString('base64');
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  return pad === 0 ? s : s.slice(0, s.length - pad);
}

/** URL-safe alphabet (`-`, `_`), no padding. https://spec.matrix.org/v1.16/appendices/#url-safe-unpadded-base64 */
export function encodeBase64Url(bytes: Uint8Array): string {
  return toBuffer(bytes).toString('base64url');
}

const VALID = /^[A-Za-z0-9+/\-_]*={0,2}$/;

/**
 * Decodes padded or unpadded, standard or URL-safe Base64 ("implementations SHOULD accept input with
 * or without padding characters", https://spec.matrix.org/v1.16/appendices/#unpadded-base64).
 * Non-zero trailing bits are accepted (the spec's own test seed `…XA1` has them). Throws
 * MatrixFormatError for any other character, a length of 1 mod 4, or misplaced padding.
 */
export function decodeBase64(text: string): Uint8Array {
  if (typeof text !== 'string' || !VALID.test(text)) {
    throw new MatrixFormatError('invalid base64: unexpected character');
  }
  const body = text.replace(/=+$/, '');
  if (body.length % 4 === 1) throw new MatrixFormatError('invalid base64: impossible length');
  if (body.length !== text.length && text.length % 4 !== 0) {
    throw new MatrixFormatError('invalid base64: wrong padding');
  }
  const buf = Buffer.from(body.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}
