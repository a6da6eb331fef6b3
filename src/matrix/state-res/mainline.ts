/**
 * Mainline ordering, https://spec.matrix.org/v1.16/rooms/v2/#definitions ("Mainline ordering").
 */
import type { Pdu } from '../pdu.js';
import type { EventAccess } from './event-access.js';
import { compareIds } from './heap.js';

/** The `m.room.power_levels` event (empty state key) among the event's auth events, if known. */
function powerLevelsAuthEvent(pdu: Pdu, access: EventAccess): Pdu | undefined {
  for (const id of access.authIds(pdu.event_id)) {
    const authEvent = access.get(id);
    if (authEvent && authEvent.type === 'm.room.power_levels' && authEvent.state_key === '') return authEvent;
  }
  return undefined;
}

/** The mainline of P₀: [P₀, P₁, …, Pₙ], each the power levels event in the previous one's auth events. */
export function mainlineOf(powerLevelsId: string | undefined, access: EventAccess): string[] {
  const mainline: string[] = [];
  const seen = new Set<string>();
  let current = powerLevelsId === undefined ? undefined : access.need(powerLevelsId, 'resolved power levels');
  while (current && !seen.has(current.event_id)) {
    seen.add(current.event_id);
    mainline.push(current.event_id);
    current = powerLevelsAuthEvent(current, access);
  }
  return mainline;
}

/**
 * Sorts `eventIds` by the mainline ordering based on the power levels event `powerLevelsId`
 * (undefined when the partially resolved state has none: every position is then ∞).
 *
 * Mainline position of e: the index i of the first eⱼ (j ≥ 1, so e itself is not looked at) that is
 * Pᵢ; ∞ when there is none. Order: greater position first, then smaller `origin_server_ts`, then
 * smaller `event_id`. Synapse (`_get_mainline_depth_for_event`) also looks at e itself, which only
 * matters for a power levels event on the mainline, and those are never among the events sorted
 * here (they are power events, sorted in step 1).
 */
export function mainlineSort(eventIds: readonly string[], powerLevelsId: string | undefined, access: EventAccess): string[] {
  if (eventIds.length === 0) return [];
  const mainline = mainlineOf(powerLevelsId, access);
  // position by power levels event id, memoised along each walk (shared prefixes are walked once)
  const position = new Map<string, number>(mainline.map((id, i) => [id, i]));
  const positionAfter = (pdu: Pdu): number => {
    const walked: string[] = [];
    let result = Infinity;
    let current = powerLevelsAuthEvent(pdu, access);
    const seen = new Set<string>();
    while (current && !seen.has(current.event_id)) {
      const known = position.get(current.event_id);
      if (known !== undefined) {
        result = known;
        break;
      }
      seen.add(current.event_id);
      walked.push(current.event_id);
      current = powerLevelsAuthEvent(current, access);
    }
    for (const id of walked) position.set(id, result);
    return result;
  };

  const keys = new Map<string, { position: number; ts: number }>();
  for (const id of eventIds) {
    const pdu = access.need(id, 'to order by mainline');
    keys.set(id, { position: positionAfter(pdu), ts: pdu.origin_server_ts });
  }
  return [...eventIds].sort((a, b) => {
    const ka = keys.get(a)!;
    const kb = keys.get(b)!;
    if (ka.position !== kb.position) return ka.position > kb.position ? -1 : 1;
    if (ka.ts !== kb.ts) return ka.ts < kb.ts ? -1 : 1;
    return compareIds(a, b);
  });
}
