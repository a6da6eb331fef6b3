/**
 * `pdu resolve`: state resolution over given state sets and events.
 * https://spec.matrix.org/v1.16/rooms/v2/#state-resolution (v2–v11),
 * https://spec.matrix.org/v1.16/rooms/v12/#state-resolution (v12), v1: https://spec.matrix.org/v1.16/rooms/v1/#state-resolution
 *
 * State keys are written "type|state_key" in our JSON (split at the first `|`; event types
 * do not contain `|` in practice, state keys may), and as `stateKeyOf` keys inside the core.
 */
import type { JsonValue, Pdu } from '../matrix/pdu.js';
import { isJsonObject, splitStateKey, stateKeyOf } from '../matrix/pdu.js';
import { resolveState } from '../matrix/state-res/index.js';
import { eventList } from './events-input.js';
import { asInput, kindOf, malformed, parseArray, rulesFor } from './json-text.js';

/** "type|state_key" → event id. */
export type StateMapJson = Record<string, string>;

export function toPipeKey(coreKey: string): string {
  const [type, stateKey] = splitStateKey(coreKey);
  return `${type}|${stateKey}`;
}

export function fromPipeKey(pipeKey: string, where: string): string {
  const bar = pipeKey.indexOf('|');
  if (bar < 0) throw malformed(`${where}: state key ${JSON.stringify(pipeKey)} must be written "type|state_key"`);
  return stateKeyOf(pipeKey.slice(0, bar), pipeKey.slice(bar + 1));
}

function stateSet(value: JsonValue, byId: ReadonlyMap<string, Pdu>, where: string): Map<string, string> {
  const set = new Map<string, string>();
  if (Array.isArray(value)) {
    value.forEach((id, i) => {
      if (typeof id !== 'string') throw malformed(`${where}[${i}]: expected an event id, got ${kindOf(id)}`);
      const pdu = byId.get(id);
      if (!pdu) throw malformed(`${where}[${i}]: event ${id} is not in the events file`);
      if (pdu.state_key === undefined) throw malformed(`${where}[${i}]: event ${id} is not a state event`);
      const key = stateKeyOf(pdu.type, pdu.state_key);
      if (set.has(key) && set.get(key) !== id) throw malformed(`${where}: two events for ${toPipeKey(key)}`);
      set.set(key, id);
    });
  } else if (isJsonObject(value)) {
    for (const [pipeKey, id] of Object.entries(value)) {
      if (typeof id !== 'string') throw malformed(`${where}.${pipeKey}: expected an event id, got ${kindOf(id)}`);
      set.set(fromPipeKey(pipeKey, where), id);
    }
  } else {
    throw malformed(`${where}: a state set must be an array of event ids or an object "type|state_key" → event id`);
  }
  return set;
}

export function pduResolve(stateSetsText: string, eventsText: string, roomVersion: string): StateMapJson {
  const rules = rulesFor(roomVersion);
  const events = eventList(parseArray(eventsText, 'events'), rules, 'events');
  const byId = new Map(events.map((e) => [e.event_id, e]));
  const sets = parseArray(stateSetsText, 'state sets').map((value, i) => stateSet(value, byId, `state sets[${i}]`));
  const resolved = asInput('state resolution', () => resolveState({ stateSets: sets, fetchEvent: (id) => byId.get(id), rules }));
  const out: StateMapJson = {};
  for (const key of [...resolved.keys()].sort()) out[toPipeKey(key)] = resolved.get(key)!;
  return out;
}
