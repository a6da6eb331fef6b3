/**
 * Writes rows into Synapse's tables, keyed by Synapse's own column names. Each row is intersected with
 * the columns the live database really has (introspected once per table), so schema differences such
 * as `room_memberships.participant` (v90) or `redactions.recheck` (v94) need no version checks: a
 * column the database lacks is simply not written, and its DEFAULT applies where it exists.
 *
 * The only engine branch is `event_search` (SQLite: an FTS4 table of event_id, room_id, key, value;
 * PostgreSQL: vector = to_tsvector('english', value) plus origin_server_ts and stream_ordering —
 * synapse/storage/databases/main/search.py `store_search_entries_txn`) and the id bookkeeping a real
 * Synapse reads on start (PostgreSQL sequences; `stream_positions` on both).
 */
import type { Engine, SqlValue } from '../engine/engine.js';
import { tableColumns } from '../introspect.js';

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

const BATCH = 2000;

export class SynapseRowWriter {
  private readonly columns = new Map<string, ReadonlySet<string>>();

  constructor(private readonly engine: Engine) {}

  /**
   * The columns of a table as the live database has them (src/store/introspect.ts, cached); empty
   * when the table does not exist at this schema version (e.g. `threads` before v73).
   */
  async tableColumns(table: string): Promise<ReadonlySet<string>> {
    let cols = this.columns.get(table);
    if (cols) return cols;
    const info = await tableColumns(this.engine, table);
    cols = new Set(info.map((c) => c.name));
    this.columns.set(table, cols);
    return cols;
  }

  /**
   * Inserts rows; keys the table lacks and keys whose value is undefined are left out. Rows for a
   * table this schema version does not have are dropped (that Synapse would not write them).
   */
  async insert(table: string, rows: readonly SynapseRow[]): Promise<void> {
    if (rows.length === 0) return;
    const live = await this.tableColumns(table);
    if (live.size === 0) return;
    // Group by the set of present keys so every statement has one column list.
    const groups = new Map<string, { cols: string[]; values: SqlValue[][] }>();
    for (const row of rows) {
      const cols = Object.keys(row).filter((k) => row[k] !== undefined && live.has(k));
      const sig = cols.join('\u0000');
      let g = groups.get(sig);
      if (!g) groups.set(sig, (g = { cols, values: [] }));
      g.values.push(cols.map((c) => row[c] as SqlValue));
    }
    for (const g of groups.values()) {
      for (let i = 0; i < g.values.length; i += BATCH) {
        await this.engine.insertMany(table, g.cols, g.values.slice(i, i + BATCH));
      }
    }
  }

  /** Replaces rows matching `key` columns, then inserts (a portable upsert for small tables). */
  async replace(table: string, keyColumns: readonly string[], rows: readonly SynapseRow[]): Promise<void> {
    for (const row of rows) {
      const where = keyColumns.map((c) => `${c} = ?`).join(' AND ');
      assertIdentifier(table);
      keyColumns.forEach(assertIdentifier);
      await this.engine.run(`DELETE FROM ${table} WHERE ${where}`, keyColumns.map((c) => row[c] as SqlValue));
    }
    await this.insert(table, rows);
  }

  /** `event_search` rows, in each engine's own shape. NULs become spaces (search.py). */
  async insertEventSearch(rows: readonly EventSearchRow[]): Promise<void> {
    if (rows.length === 0) return;
    const clean = (v: string): string => v.replace(/\u0000/g, ' ');
    if (this.engine.kind === 'sqlite') {
      await this.insert(
        'event_search',
        rows.map((r) => ({ event_id: r.event_id, room_id: r.room_id, key: r.key, value: clean(r.value) })),
      );
      return;
    }
    const per = 500;
    for (let i = 0; i < rows.length; i += per) {
      const chunk = rows.slice(i, i + per);
      const tuples = chunk.map(() => "(?, ?, ?, to_tsvector('english', ?), ?, ?)").join(', ');
      const params: SqlValue[] = [];
      for (const r of chunk) params.push(r.event_id, r.room_id, r.key, clean(r.value), r.origin_server_ts, r.stream_ordering);
      await this.engine.run(
        `INSERT INTO event_search (event_id, room_id, key, vector, origin_server_ts, stream_ordering) VALUES ${tuples}`,
        params,
      );
    }
  }

  /**
   * Leaves the id generators where a starting Synapse expects them: `stream_positions` for the
   * 'events' and 'backfill' streams (backfill stored negative), and on PostgreSQL the sequences
   * events_stream_seq, events_backfill_stream_seq, state_group_id_seq and event_auth_chain_id moved
   * to the highest value in use (synapse/storage/util/id_generators.py, sequence.py).
   */
  async advanceIds(ids: IdBookkeeping): Promise<void> {
    const current = await this.engine.query<{ stream_name: string; stream_id: number }>(
      "SELECT stream_name, stream_id FROM stream_positions WHERE instance_name = 'master' AND stream_name IN ('events', 'backfill')",
    );
    const have = new Map(current.map((r) => [r.stream_name, Number(r.stream_id)]));
    const events = Math.max(ids.maxStreamOrdering, have.get('events') ?? 0);
    const backfill = Math.min(ids.minStreamOrdering, have.get('backfill') ?? 0);
    await this.replace('stream_positions', ['stream_name', 'instance_name'], [
      { stream_name: 'events', instance_name: 'master', stream_id: events },
      ...(backfill < 0 ? [{ stream_name: 'backfill', instance_name: 'master', stream_id: backfill }] : []),
    ]);
    if (this.engine.kind !== 'postgres') return;
    const sequences: Array<[string, number]> = [
      ['events_stream_seq', events],
      ['events_backfill_stream_seq', -backfill],
      ['state_group_id_seq', ids.maxStateGroup],
      ['event_auth_chain_id', ids.maxChainId],
    ];
    for (const [name, value] of sequences) {
      if (value < 1) continue;
      const exists = await this.engine.queryOne("SELECT 1 AS one FROM pg_class WHERE relkind = 'S' AND relname = ?", [name]);
      if (!exists) continue;
      assertIdentifier(name);
      await this.engine.query('SELECT setval(?::regclass, GREATEST(?::bigint, (SELECT last_value FROM ' + name + ')))', [name, value]);
    }
  }
}

function assertIdentifier(name: string): void {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain identifier: ${name}`);
}
