/**
 * Table-driven authorization vectors (gomatrixserverlib's shape, with our rule ids): every JSON file
 * in test/vectors/auth is run; the files for v1, v6, v8, v10, v11 and v12 are produced by
 * support/vector-cases.ts (set UPDATE_AUTH_VECTORS=1 to rewrite them) and must cover every rule of
 * their version: each rule that can allow allows some case; each rule that can deny refuses some
 * case and (unless it is a catch-all, below) is passed on the way by some allowed case, as the
 * trace records. Every trace lists its rules in the spec's order.
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
import { traceOrderProblems } from './support/trace-order.js';
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

/**
 * Deny rules that no event can pass, because they are the final "otherwise" of their list and
 * reject whatever reaches them (quoted from https://spec.matrix.org/v1.16/rooms/v12/#authorization-rules
 * and, for the redaction rule, …/rooms/v1/#authorization-rules):
 */
const CATCH_ALL_REJECTS = new Set([
  'member.join.other', // join 7 (6 before v8): "Otherwise, reject."
  'member.invite.3pid.bad-signature', // invite 1.8: "Otherwise, reject."
  'member.invite.power', // invite 5: "Otherwise, reject."
  'member.leave.other', // leave 5: "Otherwise, reject."
  'member.ban.power', // ban 3: "Otherwise, reject."
  'member.knock.membership', // knock 4: "Otherwise, reject."
  'member.unknown-membership', // membership 8: "Otherwise, the membership is unknown. Reject."
  'redaction.other', // v1–v2 redaction 3: "Otherwise, reject."
]);
/**
 * Rules that decide every event they are evaluated on, so no event passes them either: "If type is
 * m.room.third_party_invite: Allow if and only if sender's current power level is greater than or
 * equal to the invite level." (the other "if and only if" rules, member.join.invite-rule and
 * member.leave.self, apply only under a further condition and are passed when it does not hold).
 */
const ALWAYS_DECIDES = new Set(['third-party-invite.power']);

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
            expect(res.trace.slice(0, -1).every((s) => s.outcome === 'pass')).toBe(true);
            expect(traceOrderProblems(res.trace, rules)).toEqual([]);
          });
        });
        group.not_allowed.forEach((c, i) => {
          it(`denies #${i} ${(c.event.type as string) ?? ''} by ${c.rule}${c.note ? ` (${c.note})` : ''}`, () => {
            const res = run(group, c.event);
            expect({ allowed: res.allowed, rule: res.rule, reason: res.reason }).toMatchObject({ allowed: false, rule: c.rule });
            expect(specRuleNumber(res.rule, rules)).not.toBe('n/a');
            expect(res.reason.length).toBeGreaterThan(5);
            // a missing auth event is not a denial by any rule: the check is undecided
            const outcome = c.rule === 'auth-events.missing' ? 'undecided' : 'deny';
            expect(res.outcome).toBe(outcome === 'deny' ? 'denied' : 'undecided');
            expect(res.trace.at(-1)).toMatchObject({ rule: c.rule, outcome });
            expect(res.trace.slice(0, -1).every((s) => s.outcome === 'pass')).toBe(true);
            expect(traceOrderProblems(res.trace, rules)).toEqual([]);
          });
        });
      });
    }
  });
}

describe('rule coverage per room version', () => {
  it('the catch-all sets name known rules, none of them allow-only', () => {
    for (const id of [...CATCH_ALL_REJECTS, ...ALWAYS_DECIDES]) {
      expect(AUTH_RULE_IDS).toContain(id);
      expect(ALLOW_ONLY.has(id)).toBe(false);
    }
  });

  for (const v of GENERATED) {
    it(`v${v}: every rule allows, refuses and is passed where it can`, () => {
      const rules = roomVersionRules(v);
      const built = buildVectors(rules);
      const allowedBy = new Set<string>();
      const deniedBy = new Set<string>();
      const passedByAllowed = new Set<string>();
      const passedAnywhere = new Set<string>();
      for (const g of built.groups) {
        for (const c of [...g.allowed, ...g.not_allowed]) {
          const res = run(g, c.event);
          (res.allowed ? allowedBy : deniedBy).add(res.rule);
          for (const s of res.trace) {
            if (s.outcome !== 'pass') continue;
            passedAnywhere.add(s.rule);
            if (res.allowed) passedByAllowed.add(s.rule);
          }
        }
      }
      const missing: string[] = [];
      const inVersion = AUTH_RULE_IDS.filter((id) => ruleExistsIn(id, rules));
      const canDeny = inVersion.filter((id) => !ALLOW_ONLY.has(id));
      const passable = canDeny.filter((id) => !CATCH_ALL_REJECTS.has(id) && !ALWAYS_DECIDES.has(id));
      for (const id of inVersion) {
        if ((ALLOW_ONLY.has(id) || BOTH.has(id)) && !allowedBy.has(id)) missing.push(`${id} (allows no case)`);
      }
      for (const id of canDeny) if (!deniedBy.has(id)) missing.push(`${id} (refuses no case)`);
      for (const id of passable) if (!passedByAllowed.has(id)) missing.push(`${id} (passed by no allowed case)`);
      // and the exempt rules really cannot be passed: no trace, allowed or refused, passes them
      for (const id of canDeny) if (!passable.includes(id) && passedAnywhere.has(id)) missing.push(`${id} (exempt but passed)`);
      expect(missing).toEqual([]);
      const allowedCases = built.groups.reduce((n, g) => n + g.allowed.length, 0);
      const cases = built.groups.reduce((n, g) => n + g.not_allowed.length, allowedCases);
      expect(cases).toBeGreaterThan(60);
      console.log(
        `v${v}: ${inVersion.length} rules, ${cases} cases (${allowedCases} allowed); ${canDeny.length} deny-capable rules all refuse a case, ` +
          `${passable.length} of them passed by an allowed case, ${canDeny.length - passable.length} exempt (never passable)`,
      );
    });
  }
});
