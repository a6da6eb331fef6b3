/**
 * Checks that an authorization trace is complete in the sense the runners can verify: each step
 * names a rule of the room version, no rule is visited twice, and the rules come in the spec's
 * order (the specRuleNumber of consecutive steps never decreases). Equal numbers are allowed: in
 * v12, 'auth-events.create-listed' and 'auth-events.unexpected' are both rule 3.2 (the create
 * event is one of the kinds the selection does not pick).
 */
import { specRuleNumber } from '../../../../src/matrix/auth/index.js';
import type { AuthStep } from '../../../../src/matrix/auth/index.js';
import type { RoomVersionRules } from '../../../../src/matrix/room-versions.js';

/** Compares dotted rule numbers ("4.3.5.2") part by part; a prefix comes first. */
export function compareRuleNumbers(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    if (pa[i] !== pb[i]) return pa[i]! - pb[i]!;
  }
  return pa.length - pb.length;
}

/** The problems found in a trace ([] when it is in order); one line each. */
export function traceOrderProblems(trace: readonly AuthStep[], rules: RoomVersionRules): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  let previous: { rule: string; number: string } | undefined;
  for (const step of trace) {
    const number = specRuleNumber(step.rule, rules);
    if (number === 'n/a') {
      problems.push(`${step.rule} is not a rule of room version ${rules.id}`);
      continue;
    }
    if (seen.has(step.rule)) problems.push(`${step.rule} is visited twice`);
    seen.add(step.rule);
    if (previous !== undefined && compareRuleNumbers(previous.number, number) > 0) {
      problems.push(`${step.rule} (${number}) comes after ${previous.rule} (${previous.number})`);
    }
    previous = { rule: step.rule, number };
  }
  return problems;
}
