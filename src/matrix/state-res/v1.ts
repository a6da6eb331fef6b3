/**
 * State resolution of room version 1, https://spec.matrix.org/v1.16/rooms/v1/#state-resolution
 * Cross-checked with Synapse synapse/state/v1.py.
 */
import { createHash } from 'node:crypto';
import { authTypesForEvent } from '../auth/auth-events-selection.js';
import { checkAuthRules } from '../auth/check-auth-rules.js';
import { MatrixFormatError } from '../matrix-format-error.js';
import { stateKeyOf, type Pdu } from '../pdu.js';
import { EventAccess } from './event-access.js';
import type { AuthCheckOutcome } from './iterative-auth.js';
import type { ResolveStateInput, StateResResult } from './resolve.js';

const sha1 = (id: string): string => createHash('sha1').update(id, 'utf8').digest('hex');

/** Highest depth first, then lowest sha1(event_id) (Synapse `_ordered_events`). */
function byDepthDescSha1Asc(events: Pdu[]): Pdu[] {
  const hashes = new Map(events.map((e) => [e.event_id, sha1(e.event_id)]));
  return [...events].sort((a, b) => {
    if (a.depth !== b.depth) return b.depth - a.depth;
    const ha = hashes.get(a.event_id)!;
    const hb = hashes.get(b.event_id)!;
    return ha < hb ? -1 : ha > hb ? 1 : 0;
  });
}

/**
 * v1 "conflict": two states with different event ids for the same key (a key missing from some
 * states is not a conflict, unlike v2).
 */
function separateV1(stateSets: ReadonlyArray<ReadonlyMap<string, string>>): {
  unconflicted: Map<string, string>;
  conflicted: Map<string, Set<string>>;
} {
  const values = new Map<string, Set<string>>();
  for (const set of stateSets) {
    for (const [key, id] of set) {
      let ids = values.get(key);
      if (!ids) values.set(key, (ids = new Set()));
      ids.add(id);
    }
  }
  const unconflicted = new Map<string, string>();
  const conflicted = new Map<string, Set<string>>();
  for (const [key, ids] of values) {
    if (ids.size === 1) unconflicted.set(key, [...ids][0]);
    else conflicted.set(key, ids);
  }
  return { unconflicted, conflicted };
}

export function resolveStateV1(input: ResolveStateInput): StateResResult {
  const { rules } = input;
  const access = new EventAccess(input.fetchEvent, rules);
  const { unconflicted, conflicted } = separateV1(input.stateSets);
  const authChecks: AuthCheckOutcome[] = [];
  const conflictedEvents = new Map<string, Pdu[]>();
  let roomId: string | undefined;
  for (const [key, ids] of conflicted) {
    const events = [...ids].map((id) => access.need(id, 'in the conflicted state set'));
    for (const event of events) {
      roomId ??= event.room_id;
      if (event.room_id !== roomId) throw new MatrixFormatError(`state resolution mixes rooms: event ${event.event_id} is in ${event.room_id}, not ${roomId}`);
    }
    conflictedEvents.set(key, events);
  }

  // R starts as the union of the states without the conflicting events.
  const r = new Map<string, Pdu | string>(unconflicted);
  const allowedIn = (event: Pdu, state: ReadonlyMap<string, Pdu | string>): boolean => {
    const authMap = new Map<string, Pdu>();
    for (const [type, stateKey] of authTypesForEvent(event, rules)) {
      const key = stateKeyOf(type, stateKey);
      const entry = state.get(key);
      if (entry === undefined) continue;
      authMap.set(key, typeof entry === 'string' ? access.need(entry, `state event ${key}`) : entry);
    }
    const result = checkAuthRules(event, authMap, rules);
    authChecks.push(result.allowed ? { eventId: event.event_id, applied: true } : { eventId: event.event_id, applied: false, reason: result.reason });
    return result.allowed;
  };

  // Power levels, join rules, members: ascending depth then descending sha1, the first event
  // goes in, each next one replaces it while it is allowed in R; the first refusal ends the key.
  const resolveAuthKey = (key: string, events: Pdu[], state: ReadonlyMap<string, Pdu | string>): Pdu => {
    const ordered = byDepthDescSha1Asc(events).reverse();
    const local = new Map(state);
    let chosen = ordered[0];
    for (const event of ordered.slice(1)) {
      local.set(key, chosen);
      if (!allowedIn(event, local)) break;
      chosen = event;
    }
    return chosen;
  };
  const resolveGroup = (matches: (key: string, type: string) => boolean): void => {
    // Like Synapse, every key of a group is resolved against R as it was before the group.
    const before = new Map(r);
    for (const [key, events] of conflictedEvents) {
      if (matches(key, events[0].type) && !r.has(key)) r.set(key, resolveAuthKey(key, events, before));
    }
  };
  const powerLevelsKey = stateKeyOf('m.room.power_levels', '');
  resolveGroup((key) => key === powerLevelsKey);
  resolveGroup((_key, type) => type === 'm.room.join_rules');
  resolveGroup((_key, type) => type === 'm.room.member');

  // Other keys: the highest depth, lowest sha1 event allowed in R; if none is, the last one tried
  // (lowest depth), as Synapse `_resolve_normal_events` does (the spec does not say).
  const before = new Map(r);
  for (const [key, events] of conflictedEvents) {
    if (r.has(key)) continue;
    const ordered = byDepthDescSha1Asc(events);
    r.set(key, ordered.find((event) => allowedIn(event, before)) ?? ordered[ordered.length - 1]);
  }

  const state = new Map<string, string>();
  for (const [key, entry] of r) state.set(key, typeof entry === 'string' ? entry : entry.event_id);
  return {
    state,
    trace: {
      algorithm: 'v1',
      unconflicted,
      conflicted: new Map([...conflicted].map(([key, ids]) => [key, [...ids]])),
      authDifference: [],
      conflictedSubgraph: [],
      fullConflictedSet: [...conflicted.values()].flatMap((ids) => [...ids]),
      unknownEvents: [],
      powerOrder: [],
      partialState: new Map(),
      mainlineOrder: [],
      authChecks,
    },
  };
}

