/**
 * What inspect should report for the simulated rooms, pinned as literals (the scenarios are
 * deterministic: fixed clock, fixed ids). The same on both engines and on schemas 72 and 94 (the
 * schema changes how rows are stored, not what the simulated server holds). `simulatorView`
 * recomputes the same facts from the simulator's own view of the server, so a change to a scenario
 * shows up as a disagreement with these literals rather than silently moving both sides.
 */
import { splitStateKey } from '../../src/matrix/pdu.js';
import type { ScenarioResult } from '../../src/simulator/scenarios/index.js';

export interface ExpectedRoom {
  events: number;
  rejectedByReason: Record<string, number>;
  softFailed: number;
  joinedByServer: Record<string, number>;
  oldestTs: number;
  newestTs: number;
}

/** Per scenario (room version 10; schemas 72 and 94 alike). */
export const EXPECTED = {
  'rejection-chain': {
    events: 22,
    rejectedByReason: { auth_error: 7 },
    softFailed: 0,
    joinedByServer: { 'this.example': 1, 'remote.example': 1, 'old.example': 2 },
    oldestTs: 1699990001000,
    newestTs: 1699990022000,
  },
  healthy: {
    events: 28,
    rejectedByReason: {},
    softFailed: 1, // the ban race's late event (scenario label softFailed)
    joinedByServer: { 'a.example': 1, 'b.example': 1, 'c.example': 1 },
    oldestTs: 1699990001000,
    newestTs: 1699990028000,
  },
} as const satisfies Record<string, ExpectedRoom>;

/** The same facts as the simulator's view of one server holds them (a cross-check of the literals). */
export function simulatorView(result: ScenarioResult, serverIndex = 0): ExpectedRoom {
  const view = result.room.view(result.servers[serverIndex]);
  const rejectedByReason: Record<string, number> = {};
  let softFailed = 0;
  let oldestTs = Infinity;
  let newestTs = -Infinity;
  for (const s of view.events.values()) {
    if (s.rejectionReason !== undefined) rejectedByReason[s.rejectionReason] = (rejectedByReason[s.rejectionReason] ?? 0) + 1;
    if (s.softFailed) softFailed += 1;
    oldestTs = Math.min(oldestTs, s.ev.pdu.origin_server_ts);
    newestTs = Math.max(newestTs, s.ev.pdu.origin_server_ts);
  }
  const joinedByServer: Record<string, number> = {};
  for (const [key, id] of view.currentState) {
    const [type, stateKey] = splitStateKey(key);
    if (type !== 'm.room.member' || result.room.event(id).pdu.content.membership !== 'join') continue;
    const server = stateKey.slice(stateKey.indexOf(':') + 1);
    joinedByServer[server] = (joinedByServer[server] ?? 0) + 1;
  }
  return { events: view.events.size, rejectedByReason, softFailed, joinedByServer, oldestTs, newestTs };
}

/**
 * The pinned literals for a built scenario (first server), after checking that the simulator's view
 * agrees with them. Throws for a scenario without pinned literals.
 */
export function expectedRoom(result: ScenarioResult, serverIndex = 0): ExpectedRoom {
  if (serverIndex !== 0 || !Object.hasOwn(EXPECTED, result.name)) {
    throw new Error(`no pinned inspect counts for scenario ${result.name} (server ${serverIndex})`);
  }
  const want: ExpectedRoom = EXPECTED[result.name as keyof typeof EXPECTED];
  const view = simulatorView(result, serverIndex);
  if (JSON.stringify(view) !== JSON.stringify(want)) {
    throw new Error(`scenario ${result.name}: the simulator's view ${JSON.stringify(view)} no longer matches the pinned counts ${JSON.stringify(want)}`);
  }
  return want;
}
