/**
 * The statements and checks of `import-history` (src/import-history/plan-import.ts) that are not
 * row inserts: each names the room, so no step can reach another room's rows.
 */
import type { Check, Reason, StatementStep } from '../../plan/plan.js';
import { statement } from '../engine/engine.js';

/** `rooms.has_auth_chain_index` cleared: the chain cover index is not computed for imported state events. */
export function clearAuthChainIndexStep(roomId: string, reason: Reason): StatementStep {
  return {
    kind: 'statement', id: 'rooms-has_auth_chain_index', reason, database: 'main', table: 'rooms', op: 'update',
    statement: statement('UPDATE rooms SET has_auth_chain_index = ? WHERE room_id = ?', [false, roomId]), scope: statement('room_id = ?', [roomId]), rowsExpected: 1,
  };
}

/** Events of the room no longer outliers (events.py _update_outliers_txn), 500 ids a statement. */
export function deOutlierSteps(roomId: string, eventIds: readonly string[], idPrefix: string, reason: Reason): StatementStep[] {
  const out: StatementStep[] = [];
  for (let k = 0; k < eventIds.length; k += 500) {
    const chunk = eventIds.slice(k, k + 500);
    const scope = statement(`room_id = ? AND event_id IN (${chunk.map(() => '?').join(', ')})`, [roomId, ...chunk]);
    out.push({
      kind: 'statement', id: `${idPrefix}events-outlier-${k / 500 + 1}`, reason, database: 'main', table: 'events', op: 'update',
      statement: statement(`UPDATE events SET outlier = ? WHERE ${scope.sql}`, [false, ...scope.params]), scope, rowsExpected: chunk.length,
    });
  }
  return out;
}

/** room_depth.min_depth lowered to what the history now reaches. */
export function lowerMinDepthStep(roomId: string, minDepth: number, reason: Reason): StatementStep {
  return {
    kind: 'statement', id: 'room_depth', reason, database: 'main', table: 'room_depth', op: 'update',
    statement: statement('UPDATE room_depth SET min_depth = ? WHERE room_id = ?', [minDepth, roomId]), scope: statement('room_id = ?', [roomId]), rowsExpected: 1,
  };
}

/** The room holds `expect` events. */
export function roomEventCountCheck(id: string, description: string, roomId: string, expect: number): Check {
  return { id, description, database: 'main', query: statement('SELECT COUNT(*) FROM events WHERE room_id = ?', [roomId]), expect };
}

/** The room holds `expect` timeline (non-outlier) events. */
export function roomTimelineCountCheck(id: string, description: string, roomId: string, expect: number): Check {
  return { id, description, database: 'main', query: statement('SELECT COUNT(*) FROM events WHERE room_id = ? AND outlier = ?', [roomId, false]), expect };
}

/** The room has `expect` backward extremities. */
export function backwardExtremityCountCheck(id: string, description: string, roomId: string, expect: number): Check {
  return { id, description, database: 'main', query: statement('SELECT COUNT(*) FROM event_backward_extremities WHERE room_id = ?', [roomId]), expect };
}
