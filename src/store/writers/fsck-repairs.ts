/**
 * Plan steps and checks of fsck's offline repairs (src/fsck/checks/dag.ts): rows of a two-column
 * relation (event_edges, event_auth) deleted or inserted pair by pair for the affected events only,
 * and room_depth set per room.
 */
import type { Check, Reason, Step } from '../../plan/plan.js';
import { statement, type SqlValue } from '../engine/engine.js';
import type { ReadEngine } from '../engine/engine.js';
import { planInsertRows } from './synapse-rows.js';

const CHUNK = 200;

export interface PairTable {
  readonly table: 'event_edges' | 'event_auth';
  readonly left: 'event_id';
  readonly right: 'prev_event_id' | 'auth_id';
  /** event_edges has a unique (event_id, prev_event_id): a delete then touches exactly one row per pair. */
  readonly unique: boolean;
}

export const EVENT_EDGES: PairTable = { table: 'event_edges', left: 'event_id', right: 'prev_event_id', unique: true };
export const EVENT_AUTH: PairTable = { table: 'event_auth', left: 'event_id', right: 'auth_id', unique: false };

function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

function pairCondition(t: PairTable, pairs: readonly (readonly [string, string])[]): { sql: string; params: SqlValue[] } {
  return {
    sql: pairs.map(() => `(${t.left} = ? AND ${t.right} = ?)`).join(' OR '),
    params: pairs.flatMap(([a, b]) => [a, b]),
  };
}

/** DELETE of exactly these (event, other) pairs, one step per chunk, each scope naming its rows. */
export function pairDeleteSteps(t: PairTable, pairs: readonly (readonly [string, string])[], reason: Reason, idPrefix: string): Step[] {
  return chunks(pairs).map((chunk, i, all) => {
    const c = pairCondition(t, chunk);
    return {
      kind: 'statement' as const, id: `${idPrefix}delete-${t.table}${all.length > 1 ? `-${i + 1}` : ''}`, reason, database: 'main' as const,
      table: t.table, op: 'delete' as const,
      statement: statement(`DELETE FROM ${t.table} WHERE ${c.sql}`, c.params),
      scope: statement(c.sql, c.params),
      ...(t.unique ? { rowsExpected: chunk.length } : {}),
    };
  });
}

/** Inserts of these rows (event_edges: event_id, prev_event_id; event_auth: event_id, auth_id, room_id). */
export function pairInsertSteps(engine: ReadEngine, t: PairTable, rows: readonly { event_id: string; other: string; room_id: string }[], reason: Reason, idPrefix: string): Promise<Step[]> {
  const synapseRows = rows.map((r) => (t.table === 'event_edges' ? { event_id: r.event_id, prev_event_id: r.other } : { event_id: r.event_id, auth_id: r.other, room_id: r.room_id }));
  return planInsertRows(engine, t.table, synapseRows, { reason, idPrefix });
}

/** Checks that exactly `expect` of these pairs are present (0: none), per chunk. */
export function pairCountChecks(t: PairTable, pairs: readonly (readonly [string, string])[], id: string, description: string, expect: 'all' | 'none'): Check[] {
  return chunks(pairs).map((chunk, i, all) => {
    // distinct pairs: event_auth may hold a pair twice
    const c = pairCondition(t, chunk);
    return {
      id: `${id}${all.length > 1 ? `-${i + 1}` : ''}`, description, database: 'main' as const,
      query: statement(`SELECT COUNT(*) AS n FROM (SELECT DISTINCT ${t.left}, ${t.right} FROM ${t.table} WHERE ${c.sql}) p`, c.params),
      expect: expect === 'all' ? chunk.length : 0,
    };
  });
}

/** How many rows the events have in the table (a precondition: nothing changed since the plan). */
export function eventRowCountChecks(t: PairTable, counts: readonly (readonly [string, number])[], id: string, description: string): Check[] {
  return chunks(counts).map((chunk, i, all) => ({
    id: `${id}${all.length > 1 ? `-${i + 1}` : ''}`, description, database: 'main' as const,
    query: statement(`SELECT COUNT(*) AS n FROM ${t.table} WHERE ${t.left} IN (${chunk.map(() => '?').join(', ')})`, chunk.map(([e]) => e)),
    expect: chunk.reduce((s, [, n]) => s + n, 0),
  }));
}

export interface RoomDepthFix {
  readonly room_id: string;
  readonly has_row: boolean;
  /** The room_depth.min_depth read when planning (precondition). */
  readonly before: number | null;
  readonly min_depth: number;
}

/** room_depth set to `min_depth` per room: an UPDATE of the room's row, or its insert when it has none. */
export async function roomDepthSteps(engine: ReadEngine, fixes: readonly RoomDepthFix[], reason: Reason, idPrefix: string): Promise<{ steps: Step[]; preconditions: Check[]; verify: Check[] }> {
  const steps: Step[] = [];
  const preconditions: Check[] = [];
  const verify: Check[] = [];
  const inserts: { room_id: string; min_depth: number }[] = [];
  fixes.forEach((f, i) => {
    const n = i + 1;
    preconditions.push({ id: `${idPrefix}room-depth-${n}`, description: `room_depth of ${f.room_id} is as it was read`, database: 'main', query: !f.has_row ? statement('SELECT COUNT(*) AS n FROM room_depth WHERE room_id = ?', [f.room_id]) : f.before === null ? statement('SELECT COUNT(*) AS n FROM room_depth WHERE room_id = ? AND min_depth IS NULL', [f.room_id]) : statement('SELECT COUNT(*) AS n FROM room_depth WHERE room_id = ? AND min_depth = ?', [f.room_id, f.before]), expect: f.has_row ? 1 : 0 });
    verify.push({ id: `${idPrefix}room-depth-${n}`, description: `room_depth of ${f.room_id} is ${f.min_depth}`, database: 'main', query: statement('SELECT COUNT(*) AS n FROM room_depth WHERE room_id = ? AND min_depth = ?', [f.room_id, f.min_depth]), expect: 1 });
    if (f.has_row) {
      steps.push({
        kind: 'statement', id: `${idPrefix}room-depth-${n}`, reason, database: 'main', table: 'room_depth', op: 'update',
        statement: statement('UPDATE room_depth SET min_depth = ? WHERE room_id = ?', [f.min_depth, f.room_id]),
        scope: statement('room_id = ?', [f.room_id]), rowsExpected: 1,
      });
    } else inserts.push({ room_id: f.room_id, min_depth: f.min_depth });
  });
  steps.push(...(await planInsertRows(engine, 'room_depth', inserts, { reason, idPrefix })));
  return { steps, preconditions, verify };
}
