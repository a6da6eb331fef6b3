/**
 * The outcome of an authorization check, with the rule that decided it and a reason a person can
 * read. Server-server API, "Checks performed on receipt of a PDU":
 * https://spec.matrix.org/v1.16/server-server-api/#checks-performed-on-receipt-of-a-pdu
 */
import type { AuthRuleId } from './rule-ids.js';

/** One rule visited on the way to the decision. */
export type AuthStep = { rule: AuthRuleId; outcome: 'pass' | 'allow' | 'deny'; note?: string };

export type AuthResult =
  | { allowed: true; rule: AuthRuleId; reason: string; trace: AuthStep[] }
  | { allowed: false; rule: AuthRuleId; reason: string; trace: AuthStep[] };

export function allow(rule: AuthRuleId, reason: string, trace: AuthStep[]): AuthResult {
  trace.push({ rule, outcome: 'allow' });
  return { allowed: true, rule, reason, trace };
}

export function deny(rule: AuthRuleId, reason: string, trace: AuthStep[]): AuthResult {
  trace.push({ rule, outcome: 'deny', note: reason });
  return { allowed: false, rule, reason, trace };
}
