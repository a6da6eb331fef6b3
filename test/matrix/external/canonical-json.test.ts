// Canonical JSON vectors from ruma, gomatrixserverlib, Synapse (rust) and the spec, through the
// library and (a sample) through the built CLI.
import { describe, expect, it } from 'vitest';
import { canonicalJson, parseJson } from '../../../src/matrix/canonical-json.js';
import { MatrixFormatError } from '../../../src/matrix/matrix-format-error.js';
import { runCli } from '../../cli/run-cli.js';
import { loadExternal } from './load.js';

interface Case {
  name: string;
  origin: string;
  input: string;
  canonical?: string;
  error?: true;
  note?: string;
}
const { cases } = loadExternal<{ cases: Case[] }>('canonical-json.json');

describe('canonical JSON: external vectors (library)', () => {
  it('has the ported cases', () => expect(cases.length).toBeGreaterThanOrEqual(70));
  for (const c of cases) {
    it(`${c.origin.split(' ').pop()}: ${c.name}`, () => {
      if (c.error) {
        expect(() => canonicalJson(parseJson(c.input))).toThrow(MatrixFormatError);
      } else {
        expect(canonicalJson(parseJson(c.input))).toBe(c.canonical);
        expect(canonicalJson(parseJson(c.input, { strict: true }))).toBe(c.canonical);
      }
    });
  }
  it('names the path of a float written like an integer', () => {
    expect(() => parseJson('{"a":[0,{"b":2e0}]}')).toThrow(/^a\[1\]\.b: floats are not allowed in canonical JSON \(2e0\)$/);
    expect(() => parseJson('{"content":{"x":1.0}}', { strict: true })).toThrow(/^content\.x: floats/);
  });
  it('keeps non-integral fractions as numbers when not strict (refused later by canonicalJson)', () => {
    expect(parseJson('{"a":1.5,"s":"1.0"}')).toEqual({ a: 1.5, s: '1.0' });
    expect(() => canonicalJson(parseJson('{"a":1.5}'))).toThrow(/^a: floats/);
  });
});

describe('canonical JSON: external vectors (CLI sample)', () => {
  const sample = cases.filter((_, i) => i % 6 === 0 || /float|surrogate|U\+2028|code point/.test(cases[i]!.name));
  for (const c of sample) {
    it(`pdu canonical: ${c.name}`, async () => {
      const r = await runCli(['pdu', 'canonical'], { input: c.input });
      if (c.error) {
        expect(r.code).toBe(2);
        expect(r.stderr).toMatch(/^synapse-doctor: /);
      } else {
        expect(r.code).toBe(0);
        expect(r.stdout.trimEnd()).toBe(c.canonical);
      }
    });
  }
});
