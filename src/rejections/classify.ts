/**
 * Why was one rejected event rejected? The checks on receipt of a PDU, in the spec's order
 * (https://spec.matrix.org/v1.16/server-server-api/#checks-performed-on-receipt-of-a-pdu):
 *   1. a valid event for its room version (src/matrix/event-format.ts),
 *   2. signatures, with the keys this server stored (server_signature_keys),
 *   3. the content hash (a mismatch means the redacted form is used: not a rejection),
 *   4. the authorization rules against its own auth events,
 *   5. the authorization rules against the state before it.
 * Classes:
 *   inherited   it cites a rejected auth event, and passes rule 4 once those are taken as accepted;
 *   own-merit   it fails a check on its own (the rule and the reason in words);
 *   unexplained it passes every check we can run: this server's view diverged when it arrived;
 *   undecided   an auth event it cites is not stored: no rule can be applied.
 * Steps 2 and 3 run for every event that is not inherited, step 5 for events that cite no rejected
 * event (the candidate roots). For an inherited event the state before it on this server is the chain's distorted view, so step 5
 * says nothing about it; the cure re-checks it against the recomputed state.
 *
 * Differences from Synapse: Synapse drops events failing steps 1–2 instead of storing them as
 * rejected, so a stored event failing them points at tampering or corruption; we report it as own
 * merit.
 */
import { checkAgainstState, checkAuthEvents, describeRule, specRuleNumber } from '../matrix/auth/index.js';
import type { AuthResult } from '../matrix/auth/auth-result.js';
import type { AuthRuleId } from '../matrix/auth/rule-ids.js';
import { checkEventFormat } from '../matrix/event-format.js';
import { checkContentHash } from '../matrix/hashes.js';
import { toPdu, type JsonObject, type Pdu } from '../matrix/pdu.js';
import type { RoomVersionRules } from '../matrix/room-versions.js';
import { isSkippedSignature, verifyEventSignatures, type KeyRing } from '../matrix/signatures.js';
import { impliedCreateEventId } from '../matrix/ids.js';

export type RejectionClass = 'inherited' | 'own-merit' | 'unexplained' | 'undecided';

export interface CheckOutcome {
  /** true passed, false failed, null could not be run (why in `note`). */
  readonly ok: boolean | null;
  readonly note: string;
}

export interface AuthOutcome {
  readonly outcome: 'allowed' | 'denied' | 'undecided' | 'skipped';
  /** The spec's rule number for this room version (e.g. "2.3"), and our stable id. */
  readonly rule?: string;
  readonly rule_id?: string;
  readonly reason: string;
}

export interface Classification {
  readonly class: RejectionClass;
  /** Rejected auth events it cites. */
  readonly cites_rejected: readonly string[];
  /** Auth events it cites that are not stored. */
  readonly missing: readonly string[];
  readonly checks: {
    readonly format: CheckOutcome;
    readonly signatures: CheckOutcome;
    readonly hash: CheckOutcome;
    /** Step 4 with the auth events as stored. */
    readonly auth_events: AuthOutcome;
    /** Step 4 again with its rejected auth events taken as accepted (only when it cites some). */
    readonly auth_events_if_accepted?: AuthOutcome;
    readonly state_before: AuthOutcome;
  };
  /** One sentence. */
  readonly explanation: string;
}

/** What the classifier needs to know about another event. */
export interface KnownEvent {
  readonly pdu: Pdu;
  readonly rejected: boolean;
}

export interface ClassifyInput {
  readonly eventId: string;
  readonly raw: JsonObject;
  /** The event already parsed from `raw` (saves parsing it twice). */
  readonly pdu?: Pdu;
  readonly rules: RoomVersionRules;
  /** Stored events by id (auth events at least). */
  readonly lookup: (eventId: string) => KnownEvent | undefined;
  readonly keys: KeyRing;
  /** The state before the event (key → event id), when it could be worked out; else why not. */
  readonly stateBefore: () => Promise<{ state: ReadonlyMap<string, Pdu> } | { unknown: string }>;
}

function authOutcome(r: AuthResult, rules: RoomVersionRules): AuthOutcome {
  if (r.outcome === 'undecided') return { outcome: 'undecided', reason: r.reason };
  const n = specRuleNumber(r.rule, rules);
  return { outcome: r.allowed ? 'allowed' : 'denied', ...(n !== 'n/a' ? { rule: n } : {}), rule_id: r.rule, reason: r.reason };
}

function stripped(raw: JsonObject): JsonObject {
  const { unsigned: _u, age_ts: _a, ...rest } = raw as JsonObject & { unsigned?: unknown; age_ts?: unknown };
  return rest as JsonObject;
}

const INHERITED_EXPLANATION = 'rejected only because it cites rejected auth events; with them accepted it passes the auth rules';

const NOT_RUN: CheckOutcome = { ok: null, note: 'not run: it cites a rejected event, which decides its class' };

export async function classifyRejected(input: ClassifyInput): Promise<Classification> {
  const { rules } = input;
  const raw = stripped(input.raw);
  const format = checkEventFormat(raw, rules);
  let pdu: Pdu;
  try {
    pdu = input.pdu ?? toPdu(raw, rules, input.eventId);
  } catch (e) {
    const note = `not a valid event: ${(e as Error).message}`;
    return ownMerit({ format: { ok: false, note }, signatures: { ok: null, note: 'not run' }, hash: { ok: null, note: 'not run' } }, note);
  }
  if (!format.valid) {
    return ownMerit({ format: { ok: false, note: format.reason }, signatures: { ok: null, note: 'not run' }, hash: { ok: null, note: 'not run' } }, `step 1: ${format.reason}`);
  }
  const formatOk: CheckOutcome = { ok: true, note: 'valid for its room version' };

  const authIds = rules.roomIdFromCreateEvent && pdu.type !== 'm.room.create' && !pdu.auth_events.includes(impliedCreateEventId(pdu.room_id))
    ? [...pdu.auth_events, impliedCreateEventId(pdu.room_id)]
    : [...pdu.auth_events];
  const known = authIds.map((id) => [id, input.lookup(id)] as const);
  const missing = known.filter(([, k]) => k === undefined).map(([id]) => id);
  const citesRejected = known.filter(([, k]) => k?.rejected).map(([id]) => id);

  // Steps 2 and 3 for candidate roots only (see the header).
  const integrity = (): { format: CheckOutcome; signatures: CheckOutcome; hash: CheckOutcome } => {
    const h = checkContentHash(raw);
    return {
      format: formatOk,
      signatures: checkSignatures(raw, rules, input.keys),
      hash: h.ok ? { ok: true, note: 'matches' } : { ok: true, note: 'does not match: the redacted form counts (not a reason to reject)' },
    };
  };
  let partial = citesRejected.length === 0 ? integrity() : { format: formatOk, signatures: NOT_RUN, hash: NOT_RUN };
  const signatures = partial.signatures;
  if (signatures.ok === false) return ownMerit(partial, `step 2: ${signatures.note}`);

  // The common case of a chain, cheaply: it cites rejected events and passes once they are taken as
  // accepted. Then, as stored, only the rejected-auth-event rule can have denied it.
  if (citesRejected.length > 0 && missing.length === 0) {
    const again = checkAuthEvents(pdu, known.map(([, k]) => k!.pdu), rules);
    if (again.allowed) {
      const n = specRuleNumber('auth-events.rejected', rules);
      return { class: 'inherited', cites_rejected: citesRejected, missing, checks: inheritedChecks(n !== 'n/a' ? n : undefined, authOutcome(again, rules).rule, rules.id), explanation: INHERITED_EXPLANATION };
    }
  }
  const authPdus = known.flatMap(([, k]) => (k ? [k.rejected ? { ...k.pdu, rejected: true } : k.pdu] : []));
  const step4 = checkAuthEvents(pdu, authPdus, rules);
  const asStored = authOutcome(step4, rules);
  const skipped: AuthOutcome = { outcome: 'skipped', reason: 'not run' };
  if (step4.outcome === 'undecided') {
    return { class: 'undecided', cites_rejected: citesRejected, missing, checks: { ...partial, auth_events: asStored, state_before: skipped }, explanation: `undecided: ${step4.reason}; it is neither un-rejected nor called invalid` };
  }
  if (citesRejected.length > 0) {
    const accepted = authPdus.map((p) => (p.rejected ? { ...p, rejected: false } : p));
    const again = checkAuthEvents(pdu, accepted, rules);
    const ifAccepted = authOutcome(again, rules);
    const checks = { ...partial, auth_events: asStored, auth_events_if_accepted: ifAccepted, state_before: { outcome: 'skipped' as const, reason: 'the state before it is the chain\'s view on this server; the cure re-checks it' } };
    if (again.allowed) {
      // Shared check objects: chains hold many inherited events, each only needs its cited ids.
      return { class: 'inherited', cites_rejected: citesRejected, missing, checks: inheritedChecks(asStored.rule, ifAccepted.rule, rules.id), explanation: INHERITED_EXPLANATION };
    }
    if (again.outcome === 'undecided') return { class: 'undecided', cites_rejected: citesRejected, missing, checks, explanation: `undecided: ${again.reason}` };
    // A root after all: it gets the integrity checks too.
    partial = integrity();
    const full = { ...checks, ...partial };
    if (partial.signatures.ok === false) return { class: 'own-merit', cites_rejected: citesRejected, missing, checks: full, explanation: `step 2: ${partial.signatures.note}` };
    return { class: 'own-merit', cites_rejected: citesRejected, missing, checks: full, explanation: ruleSentence(ifAccepted, 'even with its auth events accepted') };
  }
  if (!step4.allowed) {
    return { class: 'own-merit', cites_rejected: [], missing, checks: { ...partial, auth_events: asStored, state_before: skipped }, explanation: ruleSentence(asStored, 'against its own auth events') };
  }
  const before = await input.stateBefore();
  if ('unknown' in before) {
    return {
      class: 'unexplained', cites_rejected: [], missing,
      checks: { ...partial, auth_events: asStored, state_before: { outcome: 'skipped', reason: before.unknown } },
      explanation: `passes steps 1–4 (step 5 could not be run: ${before.unknown}); its rejection looks wrong`,
    };
  }
  const step5 = checkAgainstState(pdu, before.state, rules);
  const s5 = authOutcome(step5, rules);
  if (!step5.allowed) {
    return { class: 'own-merit', cites_rejected: [], missing, checks: { ...partial, auth_events: asStored, state_before: s5 }, explanation: ruleSentence(s5, 'against the state before it') };
  }
  return {
    class: 'unexplained', cites_rejected: [], missing,
    checks: { ...partial, auth_events: asStored, state_before: s5 },
    explanation: 'passes every check on receipt (its own auth events and the state before it): this server\'s view must have diverged when it arrived',
  };
}

const INHERITED_CHECKS = new Map<string, Classification['checks']>();

/** The checks of an inherited event, one object per (rule as stored, rule if accepted, room version). */
function inheritedChecks(ruleAsStored: string | undefined, ruleIfAccepted: string | undefined, version: string): Classification['checks'] {
  const key = `${ruleAsStored}|${ruleIfAccepted}|${version}`;
  let checks = INHERITED_CHECKS.get(key);
  if (!checks) {
    checks = Object.freeze({
      format: { ok: true, note: 'valid for its room version' },
      signatures: NOT_RUN,
      hash: NOT_RUN,
      auth_events: { outcome: 'denied', ...(ruleAsStored ? { rule: ruleAsStored } : {}), rule_id: 'auth-events.rejected', reason: 'an auth event it cites was itself rejected' },
      auth_events_if_accepted: { outcome: 'allowed', ...(ruleIfAccepted ? { rule: ruleIfAccepted } : {}), reason: 'allowed once its rejected auth events are taken as accepted' },
      state_before: { outcome: 'skipped', reason: "the state before it is the chain's view on this server; the cure re-checks it" },
    } as Classification['checks']);
    INHERITED_CHECKS.set(key, checks);
  }
  return checks;
}

function ownMerit(partial: { format: CheckOutcome; signatures: CheckOutcome; hash: CheckOutcome }, explanation: string): Classification {
  const skipped: AuthOutcome = { outcome: 'skipped', reason: 'not run' };
  return { class: 'own-merit', cites_rejected: [], missing: [], checks: { ...partial, auth_events: skipped, state_before: skipped }, explanation };
}

function ruleSentence(o: AuthOutcome, where: string): string {
  const rule = o.rule_id ? `rule ${o.rule ?? '?'} (${describeRule(o.rule_id as AuthRuleId)})` : 'a rule';
  return `fails ${rule} ${where}: ${o.reason}`;
}

/** Step 2 with the stored keys: a failing signature by a known key fails; an unknown key cannot be checked. */
function checkSignatures(raw: JsonObject, rules: RoomVersionRules, keys: KeyRing): CheckOutcome {
  try {
    const report = verifyEventSignatures(raw, rules, keys);
    if (report.ok) return { ok: true, note: `valid (${[...new Set(report.signatures.filter((s) => s.status === 'valid').map((s) => s.server))].join(', ')})` };
    // A usable key of a required server that does not verify fails; skipped signatures (unknown or
    // expired keys, other algorithms) cannot decide.
    const bad = report.signatures.find((s) => s.status === 'invalid' && report.required.includes(s.server));
    if (bad) return { ok: false, note: `signature of ${bad.server} (${bad.key_id}) does not verify: ${bad.reason}` };
    const unsigned = report.missing.filter((server) => !report.signatures.some((s) => s.server === server));
    if (unsigned.length > 0) return { ok: false, note: `not signed by ${unsigned.join(', ')}, whose signature it needs` };
    const skipped = report.signatures.filter((s) => report.missing.includes(s.server) && isSkippedSignature(s.status)).map((s) => `${s.server} ${s.key_id}: ${s.reason}`);
    return { ok: null, note: `not checked for ${report.missing.join(', ')}${skipped.length ? ` (${skipped.join('; ')})` : ': no signature'}` };
  } catch (e) {
    return { ok: false, note: `signatures unreadable: ${(e as Error).message}` };
  }
}
