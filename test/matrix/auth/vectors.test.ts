/**
 * Table-driven authorization vectors (gomatrixserverlib's shape, with our rule ids): every JSON file
 * in test/vectors/auth is run; the files for v1, v6, v8, v10, v11 and v12 are produced by
 * support/vector-cases.ts (set UPDATE_AUTH_VECTORS=1 to rewrite them) and must cover every rule of
 * their version with an allowing and a denying case.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AUTH_RULE_IDS, checkAuthEvents, checkAuthRules, ruleExistsIn, specRuleNumber } from '../../../src/matrix/auth/index.js';
import type { AuthResult } from '../../../src/matrix/auth/index.js';
import { stateKeyOf, toPdu } from '../../../src/matrix/pdu.js';
import type { JsonObject, Pdu } from '../../../src/matrix/pdu.js';
import { roomVersionRules } from '../../../src/matrix/room-versions.js';
import type { VectorFile, VectorGroup } from './support/room-builder.js';
import { buildVectors } from './support/vector-cases.js';

const DIR = join(dirname(fileURLToPath(import.meta.url)), '../../vectors/auth');
const GENERATED = ['1', '6', '8', '10', '11', '12'];

/** Rules that can only allow (the "Otherwise, allow" points and the explicit allows). */
const ALLOW_ONLY = new Set([
  'create.allow', 'aliases.allow', 'member.join.creator', 'member.join.restricted.member', 'member.join.restricted.authorised',
  'member.join.public', 'member.invite.3pid.signature', 'member.invite.allow', 'member.leave.kick', 'member.ban.allow',
  'member.knock.allow', 'power-levels.first', 'power-levels.allow', 'redaction.redact-level', 'redaction.same-domain', 'allow.default',
]);
/** Rules that decide both ways ("allow if and only if"). */
const BOTH = new Set(['member.join.invite-rule', 'member.leave.self', 'third-party-invite.power']);

function run(group: VectorGroup, raw: JsonObject): AuthResult {
  const rules = roomVersionRules(group.room_version);
  const rejected = new Set(group.rejected ?? []);
  const pdu = (e: JsonObject): Pdu => toPdu(e, rules, e.event_id as string, { rejected: rejected.has(e.event_id as string) });
  const authPdus = group.auth_events.map(pdu);
  const event = pdu(raw);
  if (group.check === 'auth-events') return checkAuthEvents(event, authPdus, rules);
  const map = new Map<string, Pdu>();
  for (const e of authPdus) if (e.state_key !== undefined) map.set(stateKeyOf(e.type, e.state_key), e);
  return checkAuthRules(event, map, rules);
}

function loadFiles(): Array<[string, VectorFile]> {
  return readdirSync(DIR)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => [f, JSON.parse(readFileSync(join(DIR, f), 'utf8')) as VectorFile]);
}

describe('committed vectors are the generated ones', () => {
  for (const v of GENERATED) {
    it(`v${v}`, () => {
      const built = buildVectors(roomVersionRules(v));
      const file = join(DIR, `v${v}.json`);
      if (process.env.UPDATE_AUTH_VECTORS === '1') writeFileSync(file, JSON.stringify(built, null, 1) + '\n');
      expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(JSON.parse(JSON.stringify(built)));
      expect(built.source.length).toBeGreaterThan(20);
    });
  }
});

for (const [name, file] of loadFiles()) {
  describe(`vectors ${name}`, () => {
    it('has a source', () => expect(typeof file.source).toBe('string'));
    for (const group of file.groups) {
      const rules = roomVersionRules(group.room_version);
      describe(group.description, () => {
        group.allowed.forEach((c, i) => {
          it(`allows #${i} ${(c.event.type as string) ?? ''} by ${c.rule}${c.note ? ` (${c.note})` : ''}`, () => {
            const res = run(group, c.event);
            expect({ allowed: res.allowed, rule: res.rule, reason: res.reason }).toMatchObject({ allowed: true, rule: c.rule });
            expect(specRuleNumber(res.rule, rules)).not.toBe('n/a');
            expect(res.trace.at(-1)).toMatchObject({ rule: c.rule, outcome: 'allow' });
          });
        });
        group.not_allowed.forEach((c, i) => {
          it(`denies #${i} ${(c.event.type as string) ?? ''} by ${c.rule}${c.note ? ` (${c.note})` : ''}`, () => {
            const res = run(group, c.event);
            expect({ allowed: res.allowed, rule: res.rule, reason: res.reason }).toMatchObject({ allowed: false, rule: c.rule });
            expect(specRuleNumber(res.rule, rules)).not.toBe('n/a');
            expect(res.reason.length).toBeGreaterThan(5);
          });
        });
      });
    }
  });
}

describe('rule coverage per room version', () => {
  for (const v of GENERATED) {
    it(`v${v}: every rule of the version has its allowing and denying cases`, () => {
      const rules = roomVersionRules(v);
      const built = buildVectors(rules);
      const allowedBy = new Set<string>();
      const deniedBy = new Set<string>();
      for (const g of built.groups) {
        for (const c of g.allowed) allowedBy.add(c.rule);
        for (const c of g.not_allowed) deniedBy.add(c.rule);
      }
      const missing: string[] = [];
      const inVersion = AUTH_RULE_IDS.filter((id) => ruleExistsIn(id, rules));
      for (const id of inVersion) {
        const canAllow = ALLOW_ONLY.has(id) || BOTH.has(id);
        const canDeny = !ALLOW_ONLY.has(id);
        if (canAllow && !allowedBy.has(id)) missing.push(`${id} (allow)`);
        if (canDeny && !deniedBy.has(id)) missing.push(`${id} (deny)`);
      }
      // every deny-only rule is passed by some allowed case of its group: the groups are built as
      // near-misses of allowed events, and the group list has at least one allowed case per part.
      expect(missing).toEqual([]);
      const cases = built.groups.reduce((n, g) => n + g.allowed.length + g.not_allowed.length, 0);
      expect(cases).toBeGreaterThan(60);
      console.log(`v${v}: ${inVersion.length} rules, ${cases} cases (${built.groups.reduce((n, g) => n + g.allowed.length, 0)} allowed)`);
    });
  }
});
