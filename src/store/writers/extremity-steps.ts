/**
 * The statements of `extremities --prune`: deleting some `event_forward_extremities` rows of one
 * room, and the checks that pin the room's extremity set (preconditions) or confirm what is left
 * (verification). Only `event_forward_extremities` is written, as Synapse's admin API does
 * (synapse/storage/databases/main/events_forward_extremities.py
 * `delete_forward_extremities_for_room`).
 */
import type { Check, Reason, StatementStep } from '../../plan/plan.js';
import { statement } from '../engine/engine.js';
import { keyedStatements } from './room-steps.js';

const CHUNK = 500;

/**
 * Checks that the room's forward extremities are exactly `eventIds`: the number of rows, and every
 * id present (chunks of 500).
 */
export function extremitySetChecks(roomId: string, eventIds: readonly string[], idPrefix: string, description: string): Check[] {
  const checks: Check[] = [{
    id: `${idPrefix}-count`,
    description: `${description}: ${eventIds.length} rows`,
    database: 'main',
    query: statement('SELECT COUNT(*) AS n FROM event_forward_extremities WHERE room_id = ?', [roomId]),
    expect: eventIds.length,
  }];
  for (let i = 0; i < eventIds.length; i += CHUNK) {
    const chunk = eventIds.slice(i, i + CHUNK);
    checks.push({
      id: `${idPrefix}-ids${eventIds.length > CHUNK ? `-${i / CHUNK + 1}` : ''}`,
      description: `${description}: these event ids${eventIds.length > CHUNK ? ` (${i + 1}–${i + chunk.length})` : ''}`,
      database: 'main',
      query: statement(`SELECT COUNT(*) AS n FROM event_forward_extremities WHERE room_id = ? AND event_id IN (${chunk.map(() => '?').join(', ')})`, [roomId, ...chunk]),
      expect: chunk.length,
    });
  }
  return checks;
}

/** DELETE FROM event_forward_extremities WHERE room_id = ? AND event_id IN (…): one row per id (the table is unique on (event_id, room_id)). */
export function deleteExtremitySteps(roomId: string, eventIds: readonly string[], reason: Reason): StatementStep[] {
  return keyedStatements(roomId, { id: 'event_forward_extremities', table: 'event_forward_extremities', roomColumn: 'room_id', column: 'event_id', ids: eventIds, exact: true }, reason);
}
