/**
 * Canonical JSON: the byte encoding every hash and signature in Matrix is computed over.
 * Appendices, "Canonical JSON": https://spec.matrix.org/v1.16/appendices/#canonical-json
 *
 * - object keys sorted by Unicode code point (not by UTF-16 code unit, which is what
 *   `Array.prototype.sort` does: the two orders differ between U+E000–U+FFFF and astral characters);
 * - no insignificant whitespace;
 * - strings escape only `"`, `\` and U+0000–U+001F (`\b \t \n \f \r`, otherwise `\u00xx` in lowercase
 *   hex, per the grammar), everything else is written raw as UTF-8 (U+2028, U+2029 and U+007F too);
 * - numbers are integers, without exponent, fraction or `-0`. The spec's own example turns
 *   `{"a": -0, "b": 1e10}` into `{"a":0,"b":10000000000}`: a number is judged by its value, not by
 *   how the input wrote it, so `1e3` and `1.0` are the integers 1000 and 1, and only values with a
 *   fractional part are floats. (ruma, serde_json-based Synapse code and gomatrixserverlib's
 *   validator refuse `1.0`/`1e5` as floats; test/vectors/external/canonical-json.json records it.)
 *
 * Room versions 1–5 predate the strict number rules ("Servers SHOULD be capable of handling JSON which
 * is considered invalid by these restrictions"), and Synapse computes event ids of stored events with
 * its relaxed serializer even in later versions, so `strictIntegers: false` lets integers outside
 * [-(2^53)+1, 2^53-1] through (exactly, when they are `bigint`s as `parseJson` returns them).
 */
import { MatrixFormatError } from './matrix-format-error.js';
import type { JsonValue } from './pdu.js';

export const CANONICAL_JSON_MAX_INT = Number.MAX_SAFE_INTEGER; // 2^53 - 1
export const CANONICAL_JSON_MIN_INT = -Number.MAX_SAFE_INTEGER; // -(2^53) + 1
const MAX_BIG = BigInt(CANONICAL_JSON_MAX_INT);
const MIN_BIG = BigInt(CANONICAL_JSON_MIN_INT);
/** Nesting deeper than this is refused (cycles included); Synapse's serde_json parser stops at 128. */
export const CANONICAL_JSON_MAX_DEPTH = 512;

export interface CanonicalJsonOptions {
  /** Refuse integers outside [-(2^53)+1, 2^53-1]. Default true. */
  strictIntegers?: boolean;
}

/** Internal: carries the failing path outwards so the happy path builds no path strings. */
class PathError {
  constructor(
    readonly message: string,
    readonly segments: string[] = [],
  ) {}
}

function formatPath(segments: readonly string[]): string {
  let out = '';
  for (let i = segments.length - 1; i >= 0; i--) {
    const s = segments[i]!;
    if (s.startsWith('[')) out += s;
    else out += out === '' ? s : '.' + s;
  }
  return out === '' ? '(root)' : out;
}

/** Adjusts a UTF-16 code unit so that code-unit comparison yields code-point order. */
function fixup(c: number): number {
  // Surrogates (D800–DFFF, i.e. astral code points) must sort after E000–FFFF.
  return c >= 0xe000 ? c - 0x800 : c >= 0xd800 ? c + 0x2000 : c;
}

/** Compares two strings by Unicode code point, as canonical JSON sorts object keys. */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) return fixup(x) - fixup(y);
      return x - y;
    }
  }
  return a.length - b.length;
}

const SURROGATE = /[\ud800-\udfff]/;
const HIGH_CHAR = /[\ud800-\uffff]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

function encodeString(s: string): string {
  // JSON.stringify escapes exactly `"`, `\` and U+0000–U+001F with the short forms and lowercase
  // `\u00xx`, and leaves everything else raw — the canonical form — except that it writes lone
  // surrogates as `\udxxx`. Lone surrogates cannot be encoded as UTF-8, so they are refused.
  if (SURROGATE.test(s) && LONE_SURROGATE.test(s)) {
    throw new PathError('strings must be valid Unicode (lone UTF-16 surrogate)');
  }
  return JSON.stringify(s);
}

function encodeNumber(n: number, strict: boolean): string {
  if (!Number.isFinite(n)) throw new PathError(`${n} is not a JSON number`);
  if (!Number.isInteger(n)) throw new PathError('floats are not allowed in canonical JSON');
  if (n > CANONICAL_JSON_MAX_INT || n < CANONICAL_JSON_MIN_INT) {
    if (strict) throw new PathError(`integer ${BigInt(n)} is outside [-(2^53)+1, 2^53-1]`);
    return BigInt(n).toString(); // never exponent notation
  }
  return n === 0 ? '0' : String(n); // -0 is written as 0
}

function encode(value: unknown, strict: boolean, depth: number): string {
  switch (typeof value) {
    case 'string':
      return encodeString(value);
    case 'number':
      return encodeNumber(value, strict);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      if (strict && (value > MAX_BIG || value < MIN_BIG)) {
        throw new PathError(`integer ${value} is outside [-(2^53)+1, 2^53-1]`);
      }
      return value.toString();
    case 'object':
      break;
    default:
      throw new PathError(`${typeof value} is not a JSON value`);
  }
  if (value === null) return 'null';
  if (depth >= CANONICAL_JSON_MAX_DEPTH) throw new PathError(`nested deeper than ${CANONICAL_JSON_MAX_DEPTH} levels`);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ',';
      try {
        out += encode(value[i], strict, depth + 1);
      } catch (e) {
        if (e instanceof PathError) e.segments.push(`[${i}]`);
        throw e;
      }
    }
    return out + ']';
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) {
    throw new PathError(`${proto?.constructor?.name ?? 'object'} is not a plain JSON object`);
  }
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj).sort(); // UTF-16 order: equals code-point order below U+D800
  for (let i = 0; i < keys.length; i++) {
    if (HIGH_CHAR.test(keys[i]!)) {
      keys.sort(compareCodePoints);
      break;
    }
  }
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    if (i > 0) out += ',';
    try {
      out += encodeString(k) + ':' + encode(obj[k], strict, depth + 1);
    } catch (e) {
      if (e instanceof PathError) e.segments.push(k);
      throw e;
    }
  }
  return out + '}';
}

/**
 * Encodes a value as canonical JSON (a string; see `canonicalJsonBytes` for the UTF-8 bytes).
 * https://spec.matrix.org/v1.16/appendices/#canonical-json
 *
 * Throws MatrixFormatError naming the path of the first offending value, e.g.
 * `content.body.x: floats are not allowed in canonical JSON`. `undefined`, functions, symbols,
 * non-plain objects, lone surrogates and NaN/Infinity are always refused.
 */
export function canonicalJson(value: unknown, options: CanonicalJsonOptions = {}): string {
  try {
    return encode(value, options.strictIntegers ?? true, 0);
  } catch (e) {
    if (e instanceof PathError) throw new MatrixFormatError(`${formatPath(e.segments)}: ${e.message}`);
    throw e;
  }
}

/** UTF-8 bytes of `canonicalJson(value, options)`: what is hashed and signed. */
export function canonicalJsonBytes(value: unknown, options: CanonicalJsonOptions = {}): Uint8Array {
  return Buffer.from(canonicalJson(value, options), 'utf8');
}


// --- Parsing untrusted JSON ---------------------------------------------------------------------

export interface ParseJsonOptions {
  /**
   * Refuse numbers canonical JSON cannot carry: non-integers and integers outside
   * [-(2^53)+1, 2^53-1] (room versions 6+ require this of new events). Default false.
   */
  strict?: boolean;
}

/**
 * Parses untrusted JSON text (for example `event_json.json`) without losing information that
 * hashes and event ids depend on. https://spec.matrix.org/v1.16/appendices/#canonical-json
 *
 * Choices, matching what Synapse does with the JSON it stores:
 * - duplicate object keys are accepted and the last one wins (Python's `json` and serde_json agree);
 * - with `strict`, any non-integer or integer outside [-(2^53)+1, 2^53-1] is refused, naming its path;
 * - without `strict`, integers outside that range are returned as exact `bigint`s (typed as numbers
 *   in `JsonValue`; `canonicalJson(..., { strictIntegers: false })` writes them back digit for
 *   digit, as Synapse's relaxed serializer does), and fractions stay (lossy) numbers that
 *   `canonicalJson` refuses.
 * - a key `__proto__` becomes an ordinary own property, never a prototype.
 */
export function parseJson(text: string, options: ParseJsonOptions = {}): JsonValue {
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch (e) {
    throw new MatrixFormatError(`invalid JSON: ${(e as Error).message}`);
  }
  const bad = findUnsafeNumber(value, 0);
  if (bad === undefined) return value;
  if (options.strict) throw new MatrixFormatError(`${formatPath(bad.segments)}: ${bad.message}`);
  return new LosslessParser(text).parseDocument();
}

/** First number canonical JSON cannot carry, or undefined. */
function findUnsafeNumber(value: unknown, depth: number): PathError | undefined {
  if (typeof value === 'number') {
    if (!Number.isInteger(value)) return new PathError('floats are not allowed in canonical JSON');
    if (!Number.isSafeInteger(value)) return new PathError('integer is outside [-(2^53)+1, 2^53-1]');
    return undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  if (depth >= CANONICAL_JSON_MAX_DEPTH) return new PathError(`nested deeper than ${CANONICAL_JSON_MAX_DEPTH} levels`);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const bad = findUnsafeNumber(value[i], depth + 1);
      if (bad) return bad.segments.push(`[${i}]`), bad;
    }
    return undefined;
  }
  for (const k of Object.keys(value)) {
    const bad = findUnsafeNumber((value as Record<string, unknown>)[k], depth + 1);
    if (bad) return bad.segments.push(k), bad;
  }
  return undefined;
}

const NUMBER = /-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

/** Small recursive-descent parser used only when JSON.parse would round a number. */
class LosslessParser {
  private pos = 0;
  constructor(private readonly text: string) {}

  parseDocument(): JsonValue {
    const v = this.value(0);
    this.ws();
    if (this.pos !== this.text.length) this.fail('unexpected data after the JSON value');
    return v;
  }

  private fail(message: string): never {
    throw new MatrixFormatError(`invalid JSON at offset ${this.pos}: ${message}`);
  }

  private ws(): void {
    const t = this.text;
    while (this.pos < t.length) {
      const c = t.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) break;
      this.pos++;
    }
  }

  private value(depth: number): JsonValue {
    if (depth > CANONICAL_JSON_MAX_DEPTH) this.fail(`nested deeper than ${CANONICAL_JSON_MAX_DEPTH} levels`);
    this.ws();
    const t = this.text;
    const c = t[this.pos];
    if (c === '{') {
      this.pos++;
      const obj: { [k: string]: JsonValue } = {};
      this.ws();
      if (t[this.pos] === '}') return this.pos++, obj;
      for (;;) {
        this.ws();
        const k = this.string();
        this.ws();
        if (t[this.pos] !== ':') this.fail('expected ":"');
        this.pos++;
        const v = this.value(depth + 1);
        if (k === '__proto__') Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
        else obj[k] = v;
        this.ws();
        if (t[this.pos] === ',') this.pos++;
        else if (t[this.pos] === '}') return this.pos++, obj;
        else this.fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      this.pos++;
      const arr: JsonValue[] = [];
      this.ws();
      if (t[this.pos] === ']') return this.pos++, arr;
      for (;;) {
        arr.push(this.value(depth + 1));
        this.ws();
        if (t[this.pos] === ',') this.pos++;
        else if (t[this.pos] === ']') return this.pos++, arr;
        else this.fail('expected "," or "]"');
      }
    }
    if (c === '"') return this.string();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (t.startsWith(word, this.pos)) return (this.pos += word.length), v;
    }
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(t);
    if (!m) this.fail('expected a JSON value');
    this.pos += m[0].length;
    const n = Number(m[0]);
    if (m[1] === undefined && m[2] === undefined && !Number.isSafeInteger(n)) {
      return BigInt(m[0]) as unknown as JsonValue; // exact; see parseJson
    }
    return n;
  }

  private string(): string {
    STRING.lastIndex = this.pos;
    const m = STRING.exec(this.text);
    if (!m) this.fail('expected a string');
    this.pos += m[0].length;
    return JSON.parse(m[0]) as string;
  }
}
