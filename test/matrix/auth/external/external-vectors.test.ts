/**
 * Authorization vectors ported from other Matrix implementations (gomatrixserverlib, Synapse,
 * ruma): every file in test/vectors/auth/external is run through our rules. Each case asserts the
 * source's allow/deny answer, except where a case's `note` records that the source departs from
 * the spec (then the spec's answer is asserted), and the rule id we name where the vector gives one.
 * Every trace must also list its rules in the spec's order (support/trace-order.ts).
 */
import { appendFileSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AUTH_RULE_IDS, specRuleNumber } from '../../../../src/matrix/auth/index.js';
import { roomVersionRules } from '../../../../src/matrix/room-versions.js';
import { traceOrderProblems } from '../support/trace-order.js';
import type { ExternalVectorFile } from './external-vectors.js';
import { decide, levelOf, select } from './external-vectors.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../../vectors/auth/external');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.json')).sort();
const KNOWN = new Set<string>(AUTH_RULE_IDS);

function load(f: string): ExternalVectorFile {
  return JSON.parse(readFileSync(join(DIR, f), 'utf8')) as ExternalVectorFile;
}

it('has vectors from gomatrixserverlib, Synapse and ruma', () => {
  const repos = FILES.map((f) => load(f).repo);
  expect(repos).toEqual(expect.arrayContaining(['matrix-org/gomatrixserverlib', 'element-hq/synapse']));
});

for (const f of FILES) {
  const file = load(f);
  describe(`${f} (${file.repo})`, () => {
    it('names its source: repository, path and commit', () => {
      expect(file.source).toContain(file.repo);
      expect(file.commit).toMatch(/^[0-9a-f]{40}$/);
      expect(file.source).toContain(file.commit);
      expect(file.method.length).toBeGreaterThan(20);
    });
    for (const group of file.groups) {
      const rules = roomVersionRules(group.room_version);
      describe(`${group.name} (v${group.room_version})`, () => {
        if (group.check === 'selection') {
          group.cases.forEach((c, i) => {
            it(`#${i} selects the spec's auth events for ${c.event.type as string}${c.note ? ' (note)' : ''}`, () => {
              const got = select(c, rules).map(([t, k]) => `${t}|${k}`).sort();
              expect(got).toEqual(c.expected.map(([t, k]) => `${t}|${k}`).sort());
            });
          });
        } else if (group.check === 'levels') {
          group.cases.forEach((c) => {
            it(`${c.user} has ${c.level}`, () => {
              expect(levelOf(group.state, c.user, rules)).toBe(c.level === 'creator' ? Infinity : c.level);
            });
          });
        } else {
          group.cases.forEach((c, i) => {
            const what = `${c.allowed ? 'allows' : 'denies'} #${i} ${(c.event.type as string) ?? ''}${c.rule ? ` by ${c.rule}` : ''}${c.note ? ' (note)' : ''}`;
            it(what, () => {
              const res = decide(group, c, rules);
              if (process.env.DUMP_EXTERNAL === '1') {
                appendFileSync(process.env.DUMP_FILE ?? "/tmp/external-dump.jsonl", JSON.stringify({ f, g: group.name, i, want: c.allowed, got: res.allowed, rule: res.rule, reason: res.reason, src: c.source_reason }) + "\n");
              }
              expect({ allowed: res.allowed, reason: res.reason }).toMatchObject({ allowed: c.allowed });
              if (c.rule !== undefined) {
                expect(KNOWN.has(c.rule)).toBe(true);
                expect(res.rule).toBe(c.rule);
                expect(specRuleNumber(res.rule, rules)).not.toBe('n/a');
              }
              for (const r of c.passes ?? []) {
                expect(res.trace.some((s) => s.rule === r && s.outcome === 'pass'), `passes ${r}`).toBe(true);
              }
              expect(res.trace.at(-1)).toMatchObject({ rule: res.rule, outcome: res.allowed ? 'allow' : 'deny' });
              expect(traceOrderProblems(res.trace, rules)).toEqual([]);
            });
          });
        }
      });
    }
  });
}
