/**
 * Plan steps that insert rows into Synapse's tables, keyed by Synapse's own column names. Each row
 * is intersected with the columns the live database really has (introspected once per table), so
 * schema differences such as `room_memberships.participant` (v90) or `redactions.recheck` (v94)
 * need no version checks: a column the database lacks is simply not written, and its DEFAULT
 * applies where it exists. Nothing here writes: applyPlan runs the steps.
 *
 * The only engine differences are Synapse's own: `event_search` (capabilities.eventSearch: SQLite
 * an FTS4 table of event_id, room_id, key, value; PostgreSQL vector = to_tsvector('english', value)
 * plus origin_server_ts and stream_ordering — synapse/storage/databases/main/search.py
 * `store_search_entries_txn`) and the id bookkeeping a starting Synapse reads (capabilities.sequences:
 * PostgreSQL sequences; `stream_positions` on both).
 */
import type { EngineCapabilities, ReadEngine, SqlValue } from '../engine/engine.js';
import { statement } from '../engine/engine.js';
import { tableColumns } from '../introspect.js';
import { INSERT_BATCH_ROWS, type InsertStep, type PlanDatabase, type Reason, type Step } from '../../plan/plan.js';

export type SynapseRow = Readonly<Record<string, SqlValue | undefined>>;

export interface EventSearchRow {
  event_id: string;
  room_id: string;
  key: string;
  value: string;
  origin_server_ts: number;
  stream_ordering: number;
}

export interface IdBookkeeping {
  /** Highest positive stream ordering written (events stream). */
  maxStreamOrdering: number;
  /** Lowest negative stream ordering written (backfill stream), 0 when none. */
  minStreamOrdering: number;
  maxStateGroup: number;
  maxChainId: number;
}

/**
 * The columns naming the rows one inserted row may create, per table: the undo journal's scope.
 * A unique key where Synapse has one; otherwise the column that groups the rows one writer adds
 * together (all auth ids of an event, all rows of a state group).
 */
export const ROW_KEYS: Readonly<Record<string, readonly string[]>> = {
  rooms: ['room_id'],
  events: ['event_id'],
  event_json: ['event_id'],
  state_events: ['event_id'],
  rejections: ['event_id'],
  event_edges: ['event_id'],
  event_auth: ['event_id'],
  event_auth_chains: ['event_id'],
  event_auth_chain_links: ['origin_chain_id', 'origin_sequence_number'],
  event_auth_chain_to_calculate: ['event_id'],
  event_to_state_groups: ['event_id'],
  room_memberships: ['event_id'],
  event_relations: ['event_id'],
  threads: ['room_id', 'thread_id'],
  redactions: ['event_id'],
  event_search: ['event_id'],
  state_groups: ['id'],
  state_group_edges: ['state_group'],
  state_groups_state: ['state_group'],
  current_state_events: ['room_id', 'type', 'state_key'],
  current_state_delta_stream: ['stream_id', 'room_id', 'type', 'state_key'],
  local_current_membership: ['room_id', 'user_id'],
  event_forward_extremities: ['event_id', 'room_id'],
  event_backward_extremities: ['event_id', 'room_id'],
  stream_ordering_to_exterm: ['stream_ordering', 'room_id', 'event_id'],
  timeline_gaps: ['room_id', 'stream_ordering'],
  room_depth: ['room_id'],
  room_stats_state: ['room_id'],
  room_stats_current: ['room_id'],
  users: ['name'],
  profiles: ['user_id'],
  server_keys_json: ['server_name', 'key_id', 'from_server'],
  server_signature_keys: ['server_name', 'key_id', 'from_server'],
  stream_positions: ['stream_name', 'instance_name'],
  ex_outlier_stream: ['event_stream_ordering'],
  event_failed_pull_attempts: ['room_id', 'event_id'],
  background_updates: ['update_name'],
};

/**
 * Tables whose ROW_KEYS columns are a unique key in Synapse's schema (a primary key or UNIQUE
 * index): an insert there can only create rows, never meet existing ones (it would fail), so the
 * journal needs no before-image.
 */
export const UNIQUE_ROW_KEYS: ReadonlySet<string> = new Set([
  'rooms', 'events', 'event_json', 'state_events', 'rejections', 'event_to_state_groups', 'room_memberships', 'event_relations',
  'redactions', 'state_groups', 'current_state_events', 'local_current_membership', 'event_forward_extremities', 'ex_outlier_stream',
  'room_depth', 'threads', 'stream_positions', 'users', 'room_stats_state', 'room_stats_current', 'event_failed_pull_attempts', 'background_updates',
]);

export function rowKey(table: string): readonly string[] {
  const key = ROW_KEYS[table];
  if (!key) throw new Error(`no row key known for table ${table}; add it to ROW_KEYS`);
  return key;
}

export interface InsertOptions {
  readonly reason: Reason;
  readonly database?: PlanDatabase;
  /** Step ids are `${idPrefix}${table}` (plus a number when one table needs several steps). */
  readonly idPrefix?: string;
}

/** Insert steps for rows of one table: one per set of present columns. Empty when the table does not exist here. */
export async function planInsertRows(engine: ReadEngine, table: string, rows: readonly SynapseRow[], options: InsertOptions): Promise<InsertStep[]> {
  if (rows.length === 0) return [];
  const live = new Set((await tableColumns(engine, table)).map((c) => c.name));
  if (live.size === 0) return []; // e.g. `threads` before v73: Synapse would not write them
  const groups = new Map<string, { cols: string[]; values: SqlValue[][] }>();
  for (const row of rows) {
    const cols = Object.keys(row).filter((k) => row[k] !== undefined && live.has(k));
    const sig = cols.join('\u0000');
    let g = groups.get(sig);
    if (!g) groups.set(sig, (g = { cols, values: [] }));
    g.values.push(cols.map((c) => row[c] as SqlValue));
  }
  const key = rowKey(table);
  const steps: InsertStep[] = [];
  let n = 0;
  for (const g of groups.values()) {
    const suffix = groups.size > 1 ? `-${++n}` : '';
    steps.push({
      kind: 'insert',
      id: `${options.idPrefix ?? ''}${table}${suffix}`,
      reason: options.reason,
      database: options.database ?? 'main',
      table,
      columns: g.cols,
      key: key.filter((k) => g.cols.includes(k)).length === key.length ? key : g.cols,
      count: g.values.length,
      rows: g.values,
    });
  }
  return steps;
}

/** `event_search` in this engine's shape: columns, per-column SQL, and a row's values. NULs become spaces (search.py). */
export function eventSearchShape(engine: ReadEngine | EngineCapabilities['eventSearch']): { columns: string[]; expressions?: string[]; values(r: EventSearchRow): SqlValue[] } {
  const clean = (v: string): string => v.replace(/\u0000/g, ' ');
  if ((typeof engine === 'string' ? engine : engine.capabilities.eventSearch) === 'fts4') {
    return { columns: ['event_id', 'room_id', 'key', 'value'], values: (r) => [r.event_id, r.room_id, r.key, clean(r.value)] };
  }
  return {
    columns: ['event_id', 'room_id', 'key', 'vector', 'origin_server_ts', 'stream_ordering'],
    expressions: ['?', '?', '?', "to_tsvector('english', ?)", '?', '?'],
    values: (r) => [r.event_id, r.room_id, r.key, clean(r.value), r.origin_server_ts, r.stream_ordering],
  };
}

/** `event_search` rows in this engine's shape. */
export function planEventSearch(engine: ReadEngine, rows: readonly EventSearchRow[], options: InsertOptions): InsertStep[] {
  if (rows.length === 0) return [];
  const shape = eventSearchShape(engine);
  return [{
    kind: 'insert', id: `${options.idPrefix ?? ''}event_search`, reason: options.reason, database: options.database ?? 'main', table: 'event_search', key: ['event_id'], count: rows.length,
    columns: shape.columns, ...(shape.expressions ? { expressions: shape.expressions } : {}), rows: rows.map(shape.values),
  }];
}

/** The ones of `columns` the live table has; undefined when the table does not exist (e.g. `threads` before v73). */
export async function liveColumns(engine: ReadEngine, table: string, columns: readonly string[]): Promise<string[] | undefined> {
  const live = new Set((await tableColumns(engine, table)).map((c) => c.name));
  if (live.size === 0) return undefined;
  return columns.filter((c) => live.has(c));
}

/**
 * An insert step whose rows are made when they are needed (`rows()` is called once per output and
 * may read the database again): memory bounded by one batch however large the plan. `columns`
 * are live columns (liveColumns); the rows come as values in their order.
 */
/** The key of an insert of `columns` into `table`: its row key, or every column when some key column is not written. */
export function insertKey(table: string, columns: readonly string[]): readonly string[] {
  const key = rowKey(table);
  return key.every((k) => columns.includes(k)) ? key : [...columns];
}

/**
 * An insert whose rows are made when it runs: `rows` yields them in chunks (each read again for
 * every output); `scratch`, where the target can copy from one, names the scratch file holding
 * the same rows (InsertStep.scratch).
 */
export function lazyInsertStep(
  table: string, columns: readonly string[], count: number, rows: () => AsyncIterable<readonly (readonly SqlValue[])[]>, options: InsertOptions,
  scratch?: () => Promise<string>,
): InsertStep | undefined {
  if (count === 0) return undefined;
  return {
    kind: 'insert', id: `${options.idPrefix ?? ''}${table}`, reason: options.reason, database: options.database ?? 'main', table, columns: [...columns],
    key: insertKey(table, columns), count,
    rows: async function* () {
      for await (const all of rows()) {
        for (let i = 0; i < all.length; i += INSERT_BATCH_ROWS) yield all.slice(i, i + INSERT_BATCH_ROWS);
      }
    },
    ...(scratch ? { scratch } : {}),
  };
}

/**
 * Leaves the id generators where a starting Synapse expects them: `stream_positions` for the
 * 'events' and 'backfill' streams (backfill stored negative), and on PostgreSQL the sequences
 * events_stream_seq, events_backfill_stream_seq, state_group_id_seq and event_auth_chain_id moved
 * to the highest value in use (synapse/storage/util/id_generators.py, sequence.py).
 */
export async function planIdBookkeeping(engine: ReadEngine, ids: IdBookkeeping, options: InsertOptions): Promise<Step[]> {
  const current = await engine.query<{ stream_name: string; stream_id: number }>(
    "SELECT stream_name, stream_id FROM stream_positions WHERE instance_name = 'master' AND stream_name IN ('events', 'backfill')",
  );
  const have = new Map(current.map((r) => [r.stream_name, Number(r.stream_id)]));
  const events = Math.max(ids.maxStreamOrdering, have.get('events') ?? 0);
  const backfill = Math.min(ids.minStreamOrdering, have.get('backfill') ?? 0);
  const wanted: SynapseRow[] = [];
  if (events !== have.get('events')) wanted.push({ stream_name: 'events', instance_name: 'master', stream_id: events });
  if (backfill < 0 && backfill !== have.get('backfill')) wanted.push({ stream_name: 'backfill', instance_name: 'master', stream_id: backfill });
  const prefix = options.idPrefix ?? '';
  const steps: Step[] = [];
  if (wanted.length > 0) {
    const names = wanted.map((w) => w.stream_name as string);
    const stale = names.filter((n) => have.has(n));
    if (stale.length > 0) {
      const scope = statement(`instance_name = 'master' AND stream_name IN (${stale.map(() => '?').join(', ')})`, stale);
      steps.push({ kind: 'statement', id: `${prefix}stream_positions-old`, reason: options.reason, database: 'main', table: 'stream_positions', op: 'delete', statement: statement(`DELETE FROM stream_positions WHERE ${scope.sql}`, scope.params), scope, rowsExpected: stale.length });
    }
    steps.push(...(await planInsertRows(engine, 'stream_positions', wanted, { ...options, idPrefix: prefix })));
  }
  if (!engine.capabilities.sequences) return steps;
  const sequences: Array<[string, number, PlanDatabase]> = [
    ['events_stream_seq', events, 'main'],
    ['events_backfill_stream_seq', -backfill, 'main'],
    ['state_group_id_seq', ids.maxStateGroup, 'state'],
    ['event_auth_chain_id', ids.maxChainId, 'main'],
  ];
  for (const [name, value, database] of sequences) {
    if (value < 1) continue;
    steps.push({ kind: 'sequence', id: `${prefix}${name}`, reason: options.reason, database, sequence: name, atLeast: value });
  }
  return steps;
}
