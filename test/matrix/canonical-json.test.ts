import { describe, it, expect } from 'vitest';
import { canonicalJson, canonicalJsonBytes, compareCodePoints, parseJson } from '../../src/matrix/canonical-json.js';
import { MatrixFormatError } from '../../src/matrix/matrix-format-error.js';
import { loadVector } from './vectors.js';

type Cases = { cases: { input: string; canonical: string }[] };

describe('canonicalJson: external vectors', () => {
  for (const file of ['canonical-json/spec-appendix.json', 'canonical-json/synapse-rust.json']) {
    const { cases } = loadVector<Cases>(file);
    for (const [i, c] of cases.entries()) {
      it(`${file} #${i}: ${c.canonical}`, () => {
        expect(canonicalJson(parseJson(c.input))).toBe(c.canonical);
      });
    }
  }
});

describe('canonicalJson: strings', () => {
  it('escapes only quote, backslash and C0 controls, with the short forms and lowercase hex', () => {
    const all = Array.from({ length: 0x20 }, (_, i) => String.fromCharCode(i)).join('');
    expect(canonicalJson(all)).toBe(
      '"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f' +
        '\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f"',
    );
    expect(canonicalJson('a"b\\c/d')).toBe('"a\\"b\\\\c/d"');
  });
  it('leaves U+007F, U+2028, U+2029, non-ASCII and astral characters raw', () => {
    const s = '\u007f\u2028\u2029é日😀';
    expect(canonicalJson(s)).toBe(`"${s}"`);
    expect(Buffer.from(canonicalJsonBytes(s)).toString('utf8')).toBe(`"${s}"`);
  });
  it('refuses lone surrogates (not encodable as UTF-8), naming the path', () => {
    expect(() => canonicalJson({ content: { body: 'x\ud800y' } })).toThrow(/^content\.body: .*lone UTF-16 surrogate/);
    expect(() => canonicalJson({ ['\udc00']: 1 })).toThrow(MatrixFormatError);
  });
});

describe('canonicalJson: key order', () => {
  it('sorts by code point, not UTF-16 code unit', () => {
    // U+1F600 (surrogates D83D DE00) sorts after U+FFFF by code point, before it by code unit.
    const obj = { '\uD83D\uDE00': 1, '\uFFFF': 2, '\uE000': 3, a: 4, A: 5, '': 6 };
    expect(canonicalJson(obj)).toBe('{"":6,"A":5,"a":4,"\uE000":3,"\uFFFF":2,"\uD83D\uDE00":1}');
    expect(['\uD83D\uDE00', '\uFFFF'].sort()).toEqual(['\uD83D\uDE00', '\uFFFF']); // the trap
    expect(compareCodePoints('\uD83D\uDE00', '\uFFFF')).toBeGreaterThan(0);
    expect(compareCodePoints('ab', 'a')).toBeGreaterThan(0);
    expect(compareCodePoints('a', 'a')).toBe(0);
  });
});

describe('canonicalJson: numbers', () => {
  const max = 2 ** 53 - 1;
  it('accepts integers at ±(2^53−1) and writes -0 as 0', () => {
    expect(canonicalJson([max, -max, -0, 0, 1e10])).toBe('[9007199254740991,-9007199254740991,0,0,10000000000]');
  });
  it('refuses integers beyond ±(2^53−1) by default, naming the path', () => {
    expect(() => canonicalJson({ depth: max + 1 })).toThrow(/^depth: integer 9007199254740992 is outside/);
    expect(() => canonicalJson({ a: [1, { b: -max - 1 }] })).toThrow(/^a\[1\]\.b: integer -9007199254740992/);
    expect(() => canonicalJson(2n ** 53n)).toThrow(MatrixFormatError);
  });
  it('writes out-of-range integers exactly when strictIntegers is false', () => {
    expect(canonicalJson({ d: 2n ** 64n - 1n }, { strictIntegers: false })).toBe('{"d":18446744073709551615}');
    expect(canonicalJson(1e21, { strictIntegers: false })).toBe('1000000000000000000000');
    expect(canonicalJson(9007199254740991n)).toBe('9007199254740991');
  });
  it('refuses floats, NaN and Infinity, naming the path', () => {
    expect(() => canonicalJson({ content: { body: { x: 1.5 } } })).toThrow(
      'content.body.x: floats are not allowed in canonical JSON',
    );
    expect(() => canonicalJson({ x: 0.1 }, { strictIntegers: false })).toThrow(/floats/);
    expect(() => canonicalJson([Number.NaN])).toThrow(/^\[0\]: NaN/);
    expect(() => canonicalJson(Number.POSITIVE_INFINITY)).toThrow(/^\(root\): Infinity/);
  });
});

describe('canonicalJson: non-JSON values', () => {
  it('refuses undefined, functions, symbols and class instances', () => {
    expect(() => canonicalJson({ a: undefined })).toThrow(/^a: undefined is not a JSON value/);
    expect(() => canonicalJson([() => 1])).toThrow(/^\[0\]: function/);
    expect(() => canonicalJson({ s: Symbol('x') })).toThrow(/symbol/);
    expect(() => canonicalJson({ d: new Date(0) })).toThrow(/^d: Date is not a plain JSON object/);
    expect(() => canonicalJson({ m: new Map() })).toThrow(/Map/);
  });
  it('accepts null-prototype objects and refuses cycles and absurd nesting', () => {
    const o = Object.create(null) as Record<string, unknown>;
    o.b = 1;
    o.a = [true, false, null];
    expect(canonicalJson(o)).toBe('{"a":[true,false,null],"b":1}');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/nested deeper/);
  });
});

describe('parseJson', () => {
  it('parses ordinary JSON like JSON.parse', () => {
    expect(parseJson('{"a":[1,"x",null,true],"b":{"c":-5}}')).toEqual({ a: [1, 'x', null, true], b: { c: -5 } });
  });
  it('reports syntax errors as MatrixFormatError', () => {
    expect(() => parseJson('{"a":')).toThrow(MatrixFormatError);
    expect(() => parseJson('NaN')).toThrow(MatrixFormatError);
  });
  it('keeps the last of duplicate keys (as Python json and serde_json do)', () => {
    expect(parseJson('{"a":1,"a":2}')).toEqual({ a: 2 });
  });
  it('strict: refuses floats and out-of-range integers with their path', () => {
    expect(() => parseJson('{"content":{"x":[0,1.5]}}', { strict: true })).toThrow(/^content\.x\[1\]: floats/);
    expect(() => parseJson('{"depth":9007199254740992}', { strict: true })).toThrow(/^depth: integer is outside/);
    expect(parseJson('{"depth":9007199254740991}', { strict: true })).toEqual({ depth: 9007199254740991 });
  });
  it('lenient: keeps big integers exactly so canonical JSON reproduces them', () => {
    const text = '{"depth":18446744073709551615,"n":-123456789012345678901234567890,"s":"9007199254740993","k":[1]}';
    const v = parseJson(text) as Record<string, unknown>;
    expect(v.depth).toBe(18446744073709551615n);
    expect(v.s).toBe('9007199254740993');
    expect(canonicalJson(v, { strictIntegers: false })).toBe(
      '{"depth":18446744073709551615,"k":[1],"n":-123456789012345678901234567890,"s":"9007199254740993"}',
    );
  });
  it('lenient parser: escapes, whitespace, duplicate keys, __proto__ and trailing garbage', () => {
    const v = parseJson(' { "__proto__" : {"x":1}, "e":"\\u00e9\\n\\ud83d\\ude00", "a":1, "a":2, "big": 9007199254740993 } ') as Record<string, unknown>;
    expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    expect(Object.keys(v)).toEqual(['__proto__', 'e', 'a', 'big']);
    expect(v.e).toBe('é\n😀');
    expect(v.a).toBe(2);
    expect(v.big).toBe(9007199254740993n);
    expect(() => parseJson('[9007199254740993] x')).toThrow(MatrixFormatError);
    expect(() => parseJson('[9007199254740993, 01]')).toThrow(MatrixFormatError);
  });
});
