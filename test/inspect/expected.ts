/**
 * What inspect should report for a simulated room, computed from the simulator's own view of the
 * server written to the database (not from SQL), so the report is checked against an independent
 * source.
 */
import type { ScenarioResult } from '../../src/simulator/scenarios/index.js';

export interface ExpectedRoom {
  events: number;
  rejectedByReason: Record<string, number>;
  softFailed: number;
  joinedByServer: Record<string, number>;
  oldestTs: number;
  newestTs: number;
}

export function expectedRoom(result: ScenarioResult, serverIndex = 0): ExpectedRoom {
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
    const [type, stateKey] = JSON.parse(key) as [string, string];
    if (type !== 'm.room.member' || result.room.event(id).pdu.content.membership !== 'join') continue;
    const server = stateKey.slice(stateKey.indexOf(':') + 1);
    joinedByServer[server] = (joinedByServer[server] ?? 0) + 1;
  }
  return { events: view.events.size, rejectedByReason, softFailed, joinedByServer, oldestTs, newestTs };
}
