// Redaction vectors from ruma, gomatrixserverlib and Synapse (rust), per room version, through the
// library and (a sample) through the built CLI (`pdu redact --json`).
import { describe, expect, it } from 'vitest';
import { MatrixFormatError } from '../../../src/matrix/matrix-format-error.js';
import type { JsonObject } from '../../../src/matrix/pdu.js';
import { redactEvent } from '../../../src/matrix/redaction.js';
import { roomVersionRules } from '../../../src/matrix/room-versions.js';
import { runCli } from '../../cli/run-cli.js';
import { loadExternal } from './load.js';

interface Case {
  name: string;
  origin: string;
  event: JsonObject;
  expected: Record<string, JsonObject>;
  note?: string;
}
interface ErrorCase {
  name: string;
  origin: string;
  event: JsonObject;
  room_versions: string[];
}
const { cases, errors } = loadExternal<{ cases: Case[]; errors: ErrorCase[] }>('redaction.json');

describe('redaction: external vectors (library)', () => {
  it('has the ported cases', () => expect(cases.reduce((n, c) => n + Object.keys(c.expected).length, 0)).toBeGreaterThanOrEqual(200));
  for (const c of cases) {
    for (const [version, expected] of Object.entries(c.expected)) {
      it(`v${version} ${c.origin.split(' ').pop()}: ${c.name}`, () => {
        const input = structuredClone(c.event);
        expect(redactEvent(input, roomVersionRules(version))).toStrictEqual(expected);
        expect(input).toStrictEqual(c.event); // the input is not modified
        // redaction is idempotent
        expect(redactEvent(expected, roomVersionRules(version))).toStrictEqual(expected);
      });
    }
  }
  for (const c of errors) {
    it(`${c.name}: refused in every version`, () => {
      for (const v of c.room_versions) expect(() => redactEvent(c.event, roomVersionRules(v))).toThrow(MatrixFormatError);
    });
  }
});

describe('redaction: external vectors (CLI sample)', () => {
  const sample = cases.flatMap((c) => {
    const versions = Object.keys(c.expected);
    return [...new Set([versions[0]!, versions[versions.length - 1]!])].map((v) => ({ c, v }));
  });
  for (const { c, v } of sample.filter((_, i) => i % 3 === 0)) {
    it(`pdu redact --room-version ${v}: ${c.name}`, async () => {
      const r = await runCli(['pdu', 'redact', '--room-version', v, '--json'], { input: JSON.stringify(c.event) });
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout)).toStrictEqual(c.expected[v]);
    });
  }
  it('pdu redact refuses an event without content (exit 2, one line)', async () => {
    const r = await runCli(['pdu', 'redact', '--room-version', '10', '--json'], { input: JSON.stringify(errors[1]!.event) });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^synapse-doctor: .*content/);
  });
});
