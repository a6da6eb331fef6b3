/**
 * Reading state groups as Synapse does (synapse/storage/databases/state/bg_updates.py
 * `_get_state_groups_from_groups_txn`): a group's state is its own rows over those of its
 * `prev_state_group` chain, down to a full snapshot; nearer rows win. One recursive query per group
 * (both engines have WITH RECURSIVE), on the state database.
 */
import type { ReadEngine } from '../engine/engine.js';
import { stateKeyOf } from '../../matrix/pdu.js';

/** `stateKeyOf(type, state_key)` → event id. */
export type StateMap = Map<string, string>;

export async function readStateGroup(state: ReadEngine, group: number): Promise<StateMap> {
  const rows = await state.query<{ n: number; type: string; state_key: string; event_id: string | null }>(
    `WITH RECURSIVE chain(state_group, n) AS (
       SELECT CAST(? AS BIGINT), 0
       UNION ALL
       SELECT e.prev_state_group, c.n + 1 FROM state_group_edges e JOIN chain c ON e.state_group = c.state_group WHERE c.n < 10000
     )
     SELECT c.n AS n, s.type AS type, s.state_key AS state_key, s.event_id AS event_id
       FROM chain c JOIN state_groups_state s ON s.state_group = c.state_group
      ORDER BY c.n DESC`,
    [group],
  );
  const map: StateMap = new Map();
  for (const r of rows) {
    if (r.event_id === null) map.delete(stateKeyOf(r.type, r.state_key));
    else map.set(stateKeyOf(r.type, r.state_key), r.event_id);
  }
  return map;
}

/** A small cache: the finder asks for the same few groups many times. */
export class StateGroupReader {
  private readonly cache = new Map<number, Promise<StateMap>>();
  constructor(private readonly state: ReadEngine, private readonly limit = 256) {}

  read(group: number): Promise<StateMap> {
    let p = this.cache.get(group);
    if (p) {
      this.cache.delete(group);
      this.cache.set(group, p);
      return p;
    }
    p = readStateGroup(this.state, group);
    this.cache.set(group, p);
    if (this.cache.size > this.limit) this.cache.delete(this.cache.keys().next().value!);
    return p;
  }
}
