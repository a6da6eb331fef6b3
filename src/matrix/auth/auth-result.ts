/**
 * The outcome of an authorization check, with the rule that decided it and a reason a person can
 * read. Server-server API, "Checks performed on receipt of a PDU":
 * https://spec.matrix.org/v1.16/server-server-api/#checks-performed-on-receipt-of-a-pdu
 */
import type { AuthRuleId } from './rule-ids.js';

/** One rule visited on the way to the decision. */
export type AuthStep = { rule: AuthRuleId; outcome: 'pass' | 'allow' | 'deny' | 'undecided'; note?: string };

/**
 * Three outcomes. `undecided` is not a rule of the spec: an auth event the event cites is not
 * available, so no rule can be applied (receipt says to fetch it; we cannot). It is never a
 * denial: a tool must neither un-reject such an event nor call it invalid. `allowed` stays false
 * for it, so code that only asks "allowed?" keeps refusing; code that explains asks `outcome`.
 */
export type AuthResult =
  | { allowed: true; outcome: 'allowed'; rule: AuthRuleId; reason: string; trace: AuthStep[] }
  | { allowed: false; outcome: 'denied'; rule: AuthRuleId; reason: string; trace: AuthStep[] }
  | { allowed: false; outcome: 'undecided'; rule: 'auth-events.missing'; reason: string; missing: string[]; trace: AuthStep[] };

export function allow(rule: AuthRuleId, reason: string, trace: AuthStep[]): AuthResult {
  trace.push({ rule, outcome: 'allow' });
  return { allowed: true, outcome: 'allowed', rule, reason, trace };
}

export function deny(rule: AuthRuleId, reason: string, trace: AuthStep[]): AuthResult {
  trace.push({ rule, outcome: 'deny', note: reason });
  return { allowed: false, outcome: 'denied', rule, reason, trace };
}

/** Cannot decide: these cited auth events are not available. */
export function undecided(missing: string[], trace: AuthStep[]): AuthResult {
  const reason = `cannot decide: auth event${missing.length === 1 ? '' : 's'} ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} not available`;
  trace.push({ rule: 'auth-events.missing', outcome: 'undecided', note: reason });
  return { allowed: false, outcome: 'undecided', rule: 'auth-events.missing', reason, missing, trace };
}
