/**
 * State resolution for room versions 2–12: algorithm "v2" (room versions 2–11) and its room
 * version 12 revision "v2.1" (MSC4297). Room version 1 goes to `resolveStateV1`.
 *
 * Spec: https://spec.matrix.org/v1.16/rooms/v2/#state-resolution (v2),
 *       https://spec.matrix.org/v1.16/rooms/v12/#state-resolution (v2.1).
 * Cross-checked with Synapse synapse/state/v2.py; differences are noted where they occur.
 */
import { MatrixFormatError } from '../matrix-format-error.js';
import type { Pdu } from '../pdu.js';
import { stateKeyOf } from '../pdu.js';
import type { RoomVersionRules } from '../room-versions.js';
import { authChain, authDifference, conflictedSubgraph } from './auth-chain.js';
import { EventAccess, type FetchEvent } from './event-access.js';
import { iterativeAuthChecks, type AuthCheckOutcome } from './iterative-auth.js';
import { mainlineSort } from './mainline.js';
import { reverseTopologicalPowerOrder } from './ordering.js';
import { isPowerEvent } from './power.js';
import { resolveStateV1 } from './v1.js';

export interface ResolveStateInput {
  /** State maps: `stateKeyOf(type, state_key)` → event_id. */
  readonly stateSets: ReadonlyArray<ReadonlyMap<string, string>>;
  /** Returns undefined for an unknown event; `rejected: true` marks a rejected event. */
  readonly fetchEvent: FetchEvent;
  readonly rules: RoomVersionRules;
}

/** What each step produced, for `explain`-style output. Event ids in processing order. */
export interface StateResTrace {
  readonly algorithm: RoomVersionRules['stateRes'];
  readonly unconflicted: ReadonlyMap<string, string>;
  /** Conflicted state set, by key. */
  readonly conflicted: ReadonlyMap<string, readonly string[]>;
  readonly authDifference: readonly string[];
  /** v2.1 only (empty otherwise). */
  readonly conflictedSubgraph: readonly string[];
  readonly fullConflictedSet: readonly string[];
  /** Auth-difference or subgraph events the caller does not know; left out, as Synapse does. */
  readonly unknownEvents: readonly string[];
  /** Step 1: power events and their conflicted auth ancestors, reverse topological power order. */
  readonly powerOrder: readonly string[];
  /** Step 2 result. */
  readonly partialState: ReadonlyMap<string, string>;
  /** Step 3: the other events, mainline order. */
  readonly mainlineOrder: readonly string[];
  /** Steps 2 and 4, every event checked, in order. */
  readonly authChecks: readonly AuthCheckOutcome[];
}

export interface StateResResult {
  readonly state: Map<string, string>;
  readonly trace: StateResTrace;
}

/**
 * Spec "Unconflicted state map and conflicted state set": a key present in every state set with the
 * same event is unconflicted; otherwise every event any set has for it is conflicted.
 */
export function separateStateSets(stateSets: ReadonlyArray<ReadonlyMap<string, string>>): {
  unconflicted: Map<string, string>;
  conflicted: Map<string, Set<string>>;
} {
  const unconflicted = new Map<string, string>();
  const conflicted = new Map<string, Set<string>>();
  const keys = new Set<string>();
  for (const set of stateSets) for (const key of set.keys()) keys.add(key);
  for (const key of keys) {
    const values = new Set<string>();
    let everywhere = true;
    for (const set of stateSets) {
      const value = set.get(key);
      if (value === undefined) everywhere = false;
      else values.add(value);
    }
    if (everywhere && values.size === 1) unconflicted.set(key, [...values][0]);
    else conflicted.set(key, values);
  }
  return { unconflicted, conflicted };
}

export function resolveState(input: ResolveStateInput): Map<string, string> {
  return resolveStateWithTrace(input).state;
}

export function resolveStateWithTrace(input: ResolveStateInput): StateResResult {
  const { stateSets, rules } = input;
  if (rules.stateRes === 'v1') return resolveStateV1(input);
  const v21 = rules.stateRes === 'v2.1';
  const access = new EventAccess(input.fetchEvent, rules);
  const { unconflicted, conflicted } = separateStateSets(stateSets);
  const conflictedIds = new Set<string>();
  for (const ids of conflicted.values()) for (const id of ids) conflictedIds.add(id);
  const trace = {
    algorithm: rules.stateRes,
    unconflicted,
    conflicted: new Map([...conflicted].map(([key, ids]) => [key, [...ids]])),
    authDifference: [] as string[],
    conflictedSubgraph: [] as string[],
    fullConflictedSet: [] as string[],
    unknownEvents: [] as string[],
    powerOrder: [] as string[],
    partialState: new Map<string, string>(),
    mainlineOrder: [] as string[],
    authChecks: [] as AuthCheckOutcome[],
  };
  if (conflicted.size === 0) return { state: new Map(unconflicted), trace };

  // Conflicted state events are inputs: one we cannot see is malformed input.
  let roomId: string | undefined;
  for (const id of conflictedIds) {
    const pdu = access.need(id, 'in the conflicted state set');
    roomId ??= pdu.room_id;
    checkRoom(pdu, roomId);
  }

  // Definitions "Auth difference", (v2.1) "Conflicted state subgraph" and "Full conflicted set".
  const difference = authDifference(
    stateSets.map((set) => set.values()),
    access,
  );
  const subgraph = v21 ? conflictedSubgraph(conflictedIds, access) : new Set<string>();
  const fullConflicted = new Set<string>(conflictedIds);
  for (const id of [...difference, ...subgraph]) {
    if (fullConflicted.has(id)) continue;
    const pdu = access.get(id);
    if (!pdu) {
      trace.unknownEvents.push(id);
      continue;
    }
    checkRoom(pdu, roomId!);
    fullConflicted.add(id);
  }
  trace.authDifference.push(...difference);
  trace.conflictedSubgraph.push(...subgraph);
  trace.fullConflictedSet.push(...fullConflicted);

  // Algorithm step 1: power events of the full conflicted set plus the events of their auth chains
  // that are in the full conflicted set, in reverse topological power order.
  const powerEvents = [...fullConflicted].filter((id) => isPowerEvent(access.get(id)!));
  const selected = new Set(powerEvents);
  for (const id of authChain(powerEvents, access)) if (fullConflicted.has(id)) selected.add(id);
  const powerOrder = reverseTopologicalPowerOrder(selected, access, rules);
  trace.powerOrder.push(...powerOrder);

  // Step 2: iterative auth checks from the unconflicted state map (v2) or an empty map (v2.1,
  // "changed-in v=12": auth then falls back to each event's own auth events).
  const record = (outcome: AuthCheckOutcome): void => void trace.authChecks.push(outcome);
  const base = v21 ? new Map<string, string>() : unconflicted;
  const partial = iterativeAuthChecks(powerOrder, base, access, rules, record);
  for (const [key, id] of partial) trace.partialState.set(key, id);

  // Step 3: the remaining events in mainline order of the partially resolved power levels.
  const rest = [...fullConflicted].filter((id) => !selected.has(id));
  const mainlineOrder = mainlineSort(rest, partial.get(stateKeyOf('m.room.power_levels', '')), access);
  trace.mainlineOrder.push(...mainlineOrder);

  // Step 4: iterative auth checks on the partially resolved state.
  const resolved = iterativeAuthChecks(mainlineOrder, partial, access, rules, record);

  // Step 5: the unconflicted state map wins over anything resolved for the same key.
  for (const [key, id] of unconflicted) resolved.set(key, id);
  return { state: resolved, trace };
}

/** Synapse refuses to resolve across rooms (`resolve_events_with_store`); so do we. */
function checkRoom(pdu: Pdu, roomId: string): void {
  if (pdu.room_id !== roomId) {
    throw new MatrixFormatError(`state resolution mixes rooms: event ${pdu.event_id} is in ${pdu.room_id}, not ${roomId}`);
  }
}
