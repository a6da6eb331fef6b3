/**
 * Plan steps that more than one capability writes for a room: DELETEs/UPDATEs over a list of keys (one
 * step per chunk, each scope naming exactly its rows) and the `threads` rows, which keep the
 * latest event of each thread (events.py `_handle_event_relations` → threads upsert).
 */
import type { Reason, StatementStep, Step } from '../../plan/plan.js';
import type { SqlValue } from '../engine/engine.js';
import { statement } from '../engine/engine.js';
import { hasTable } from '../introspect.js';
import type { ReadEngine } from '../engine/engine.js';
import { findThreads } from '../readers/room-dag.js';
import { laterInThread, threadRow, type ThreadPosition } from './accepted-event-rows.js';
import { planInsertRows, type SynapseRow } from './synapse-rows.js';

const CHUNK = 500;

export interface KeyedStatement {
  readonly id: string;
  readonly table: string;
  /** 'delete' (default), or 'update' with `set`. */
  readonly op?: 'delete' | 'update';
  /** `column = ?, …` and its values, for updates. */
  readonly set?: { readonly sql: string; readonly params: readonly SqlValue[] };
  /** The room's column, when the table has one (the scope then names the room too). */
  readonly roomColumn?: string;
  readonly column: string;
  readonly ids: readonly SqlValue[];
  /** Each chunk must touch exactly one row per key (a unique key), else the count is left open. */
  readonly exact?: boolean;
}

/** DELETE (or UPDATE) … WHERE [room = ? AND] column IN (chunk), one step per chunk, each scope naming exactly its rows. */
export function keyedStatements(roomId: string, spec: KeyedStatement, reason: Reason): StatementStep[] {
  const out: StatementStep[] = [];
  const op = spec.op ?? 'delete';
  for (let i = 0; i < spec.ids.length; i += CHUNK) {
    const chunk = spec.ids.slice(i, i + CHUNK);
    const roomPart = spec.roomColumn ? `${spec.roomColumn} = ? AND ` : '';
    const scope = statement(`${roomPart}${spec.column} IN (${chunk.map(() => '?').join(', ')})`, [...(spec.roomColumn ? [roomId] : []), ...chunk]);
    const sql = op === 'delete' ? `DELETE FROM ${spec.table} WHERE ${scope.sql}` : `UPDATE ${spec.table} SET ${spec.set!.sql} WHERE ${scope.sql}`;
    out.push({
      kind: 'statement', id: `${spec.id}${spec.ids.length > CHUNK ? `-${i / CHUNK + 1}` : ''}`, reason, database: 'main', table: spec.table, op,
      statement: statement(sql, [...(spec.set?.params ?? []), ...scope.params]), scope,
      ...(spec.exact ? { rowsExpected: chunk.length } : {}),
    });
  }
  return out;
}

/** `threads` rows for threads whose latest event is now one of `latest` (replacing older rows). */
export async function planThreadRows(engine: ReadEngine, roomId: string, latest: ReadonlyMap<string, ThreadPosition>, reason: Reason, idPrefix = ''): Promise<Step[]> {
  if (latest.size === 0 || !(await hasTable(engine, 'threads'))) return [];
  const existing = await findThreads(engine, roomId, [...latest.keys()]);
  const replace: string[] = [];
  const insert: SynapseRow[] = [];
  for (const [threadId, t] of latest) {
    const cur = existing.get(threadId);
    const curPos = cur ? { threadId, eventId: cur.latest_event_id, topologicalOrdering: cur.topological_ordering, streamOrdering: cur.stream_ordering } : undefined;
    if (!laterInThread(t, curPos)) continue;
    if (cur) replace.push(threadId);
    insert.push(threadRow(roomId, t));
  }
  return [
    ...keyedStatements(roomId, { id: `${idPrefix}threads-old`, table: 'threads', roomColumn: 'room_id', column: 'thread_id', ids: replace, exact: true }, reason),
    ...(await planInsertRows(engine, 'threads', insert, { reason, idPrefix })),
  ];
}
