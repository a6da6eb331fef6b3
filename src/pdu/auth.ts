/**
 * `pdu auth`: the authorization rules on one event, either against the events it cites (receipt
 * step 4) or against the room's state before it (step 5).
 * https://spec.matrix.org/v1.16/server-server-api/#checks-performed-on-receipt-of-a-pdu
 *
 * `rule` in the result is the spec's list number for the room version ("4.3.2") when the rule has
 * one, otherwise our stable slug (`auth-events.missing`); `slug` is always the slug.
 */
import { SynapseDoctorError } from '../errors.js';
import { checkAgainstState, checkAuthEvents, specRuleNumber } from '../matrix/auth/index.js';
import type { Pdu } from '../matrix/pdu.js';
import { stateKeyOf } from '../matrix/pdu.js';
import { eventEntry, eventList } from './events-input.js';
import { asInput, malformed, parseArray, parseDocument, printable, rulesFor } from './json-text.js';

export interface AuthOptions {
  roomVersion: string;
  /** 'auth-events': the list holds the cited events; 'state': the room state before the event. */
  mode: 'auth-events' | 'state';
}

export interface PduAuthResult {
  allowed: boolean;
  rule: string;
  slug: string;
  reason: string;
}

/** Exactly one of --auth-events and --state must be given. */
export function authInputConflict(): SynapseDoctorError {
  return new SynapseDoctorError('USAGE', 'give exactly one of --auth-events FILE and --state FILE');
}

function stateMap(events: readonly Pdu[]): Map<string, Pdu> {
  const map = new Map<string, Pdu>();
  events.forEach((e, i) => {
    if (e.state_key === undefined) throw malformed(`state[${i}]: event ${e.event_id} (${e.type}) is not a state event`);
    const key = stateKeyOf(e.type, e.state_key);
    const other = map.get(key);
    if (other && other.event_id !== e.event_id) {
      throw malformed(`state[${i}]: two state events for (${e.type}, ${JSON.stringify(e.state_key)}): ${other.event_id} and ${e.event_id}`);
    }
    map.set(key, e);
  });
  return map;
}

export function pduAuth(eventText: string, listText: string, options: AuthOptions): PduAuthResult {
  const rules = rulesFor(options.roomVersion);
  const event = eventEntry(parseDocument(eventText, 'event'), rules, 'event');
  const what = options.mode === 'auth-events' ? 'auth events' : 'state';
  const list = eventList(parseArray(listText, what), rules, what);
  const result = asInput('auth check', () =>
    options.mode === 'auth-events' ? checkAuthEvents(event, list, rules) : checkAgainstState(event, stateMap(list), rules),
  );
  if (result.outcome === 'undecided') {
    // Incomplete input, not a denial by any rule of the spec.
    throw new SynapseDoctorError('BAD_INPUT', printable(`incomplete input: the event cites ${result.missing.join(', ')}, which ${options.mode === 'auth-events' ? '--auth-events' : '--state'} does not hold; cannot decide`), {
      hint: options.mode === 'auth-events' ? 'Give every event listed in its auth_events (room version 12: and the create event).' : 'Give the room state before the event, create event included.',
    });
  }
  const number = specRuleNumber(result.rule, rules);
  return {
    allowed: result.allowed,
    rule: number === 'n/a' ? result.rule : number,
    slug: result.rule,
    reason: printable(result.reason), // reasons quote event data
  };
}
