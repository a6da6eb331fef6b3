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
  it('judges numbers by value, as the spec example does, and names the path of a real float', () => {
    expect(canonicalJson(parseJson('{"a":[1.0,1e3,-0.0,1E2]}', { strict: true }))).toBe('{"a":[1,1000,0,100]}');
    expect(() => canonicalJson(parseJson('{"a":[0,{"b":5e-1}]}'))).toThrow(/^a\[1\]\.b: floats/);
    expect(() => parseJson('{"content":{"x":0.5}}', { strict: true })).toThrow(/^content\.x: floats/);
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
