/**
 * fsck group `orderings`: stream orderings and Synapse's id generators.
 *
 * What Synapse does (synapse/storage/util/id_generators.py, sequence.py, events_worker.py):
 * - the 'events' stream numbers events.stream_ordering, current_state_delta_stream.stream_id and
 *   ex_outlier_stream.event_stream_ordering; the 'backfill' stream numbers pulled history
 *   negatively, below everything (events and ex_outlier_stream);
 * - PostgreSQL: ids come from events_stream_seq, events_backfill_stream_seq, state_group_id_seq and
 *   event_auth_chain_id. At start, `check_consistency` moves a sequence that is behind its table
 *   forward itself (with a warning), but refuses to start ("Postgres sequence '…' is inconsistent
 *   with associated stream position of '…' in the 'stream_positions' table") when stream_positions
 *   holds more than the sequence had;
 * - SQLite: no sequences; a starting writer takes its stream_positions row and moves on through the
 *   rows above it only while they are gap-free (or its own), then numbers on from there
 *   (`_load_current_ids`, `_add_persisted_position`): rows further up are where the next insert
 *   collides. Without a stream_positions row it starts from the table's maximum (Synapse 1.67 on
 *   SQLite writes none).
 * - chain cover rows (event_auth_chains) exist for every state event of a room flagged
 *   rooms.has_auth_chain_index, or the event waits in event_auth_chain_to_calculate.
 */
import type { Check, Step } from '../../plan/plan.js';
import { statement } from '../../store/engine/engine.js';
import {
  findEventStreamPositions,
  findIdsInUse,
  findMaxStateGroup,
  findRoomsWithChainIndex,
  findSequenceLastValue,
  hasBackgroundUpdate,
  iterateHistoryAboveChildren,
  iterateIdsAbove,
  iterateMissingAuthChains,
  iterateStreamOrderingCollisions,
} from '../../store/readers/fsck-orderings.js';
import { planInsertRows } from '../../store/writers/synapse-rows.js';
import type { FsckCheckDefinition, FsckContext } from '../check.js';
import { RoomFindings } from './collect.js';

const collisions: FsckCheckDefinition = {
  id: 'orderings.stream-ordering-collision',
  group: 'orderings',
  title: 'stream orderings used twice (or missing)',
  severity: 'error',
  why: 'Synapse pages, syncs and replicates events by stream ordering: two rows on one position make one of them vanish from sync and /messages, and a NULL ordering is never sent at all.',
  fixable: false,
  async run(ctx) {
    const f = new RoomFindings(this, ctx.sampleSize);
    for await (const c of iterateStreamOrderingCollisions(ctx.db.main, ctx.roomId)) f.add(c.room_id, { event_id: c.event_id, stream_ordering: c.stream_ordering, problem: c.problem, other_event_id: c.other_event_id });
    return f.findings({ advice: 'give the events concerned new orderings (negative, below the lowest, for history); synapse-doctor does not renumber offline yet' });
  },
};

const historyAbove: FsckCheckDefinition = {
  id: 'orderings.history-above-head',
  group: 'orderings',
  title: 'old events stored with positive stream orderings above events that cite them',
  severity: 'error',
  why: 'Synapse treats a positive stream ordering as "new": after a restart these old events come down incremental sync as new messages, go to appservices and, when their sender is local, are sent over federation again; pulled history belongs below everything (negative orderings).',
  fixable: false,
  async run(ctx) {
    const f = new RoomFindings(this, ctx.sampleSize);
    let room: string | undefined;
    let seen = new Set<string>();
    for await (const r of iterateHistoryAboveChildren(ctx.db.main, ctx.roomId)) {
      if (r.room_id !== room) {
        room = r.room_id;
        seen = new Set();
      }
      if (seen.has(r.event_id)) continue;
      seen.add(r.event_id);
      f.add(r.room_id, { event_id: r.event_id, stream_ordering: r.stream_ordering, depth: r.depth, cited_by: r.child_event_id, cited_by_stream_ordering: r.child_stream_ordering, cited_by_depth: r.child_depth });
    }
    return f.findings({ advice: 'the events (and every event copied with them) need negative stream orderings below the room\'s lowest, as backfill gives; import history with synapse-doctor import-history instead of copying rows' });
  },
};

// ── PostgreSQL sequences ───────────────────────────────────────────────────────────────────────

type SequenceName = 'events_stream_seq' | 'events_backfill_stream_seq' | 'state_group_id_seq' | 'event_auth_chain_id';

interface SequenceLag {
  sequence: SequenceName;
  database: 'main' | 'state';
  last_value: number;
  in_use: number;
  table: string;
}

async function sequenceLags(ctx: FsckContext): Promise<SequenceLag[]> {
  const ids = await findIdsInUse(ctx.db.main);
  const wanted: Array<[SequenceName, 'main' | 'state', number, string]> = [
    ['events_stream_seq', 'main', ids.events, 'events, current_state_delta_stream, ex_outlier_stream'],
    ['events_backfill_stream_seq', 'main', ids.backfill, 'events (negative orderings), ex_outlier_stream'],
    ['state_group_id_seq', 'state', await findMaxStateGroup(ctx.db.state), 'state_groups'],
    ['event_auth_chain_id', 'main', ids.chain, 'event_auth_chains'],
  ];
  const out: SequenceLag[] = [];
  for (const [sequence, database, inUse, table] of wanted) {
    const last = await findSequenceLastValue(database === 'main' ? ctx.db.main : ctx.db.state, sequence);
    if (last !== undefined && last < inUse) out.push({ sequence, database, last_value: last, in_use: inUse, table });
  }
  return out;
}

const sequencesBehind: FsckCheckDefinition = {
  id: 'orderings.sequence-behind',
  group: 'orderings',
  title: 'PostgreSQL sequences behind the highest id in use',
  severity: 'warning',
  why: 'The next id the sequence hands out is already taken: Synapse moves it forward itself when it starts (logging "Postgres sequence … is behind table"), but anything allocating before that (a worker, a port, another repair) collides, and if stream_positions is ahead too Synapse refuses to start.',
  fixable: true,
  engines: ['postgres'],
  async run(ctx) {
    if (!ctx.db.main.capabilities.sequences) return [];
    const lags = await sequenceLags(ctx);
    if (lags.length === 0) return [];
    return [{
      check: this.id, severity: this.severity, room_id: null, count: lags.length,
      sample: lags.slice(0, ctx.sampleSize).map((l) => ({ sequence: l.sequence, last_value: l.last_value, highest_in_use: l.in_use, tables: l.table })),
      why: this.why, fixable: true, advice: '--fix moves each sequence forward to the highest id in use (setval; never backwards)',
    }];
  },
  async repair(ctx) {
    const steps: Step[] = (await sequenceLags(ctx)).map((l) => ({
      kind: 'sequence', id: l.sequence, database: l.database, sequence: l.sequence, atLeast: l.in_use,
      reason: { text: `${l.sequence} at ${l.last_value}, below the highest id in use (${l.in_use}, in ${l.table}): moved forward so the next id is free` },
    }));
    return { steps };
  },
};

// ── stream_positions ───────────────────────────────────────────────────────────────────────────

interface PositionProblem {
  stream: 'events' | 'backfill';
  instance_name: string;
  /** stream_positions.stream_id as stored (backfill negative). */
  stream_id: number;
  /** PostgreSQL: the sequence Synapse compares with; SQLite: where Synapse would number on from. */
  position: number;
  /** Ids in use above `position` (SQLite), or the sequence's last value (PostgreSQL). */
  colliding: number;
  highest_in_use: number;
  sample: number[];
}

/** Where a starting SQLite writer numbers on from (id_generators.py `_load_current_ids` and `_add_persisted_position`), and the ids in use above it. */
async function sqliteStart(ctx: FsckContext, stream: 'events' | 'backfill', writer: string, stored: number): Promise<{ position: number; above: number[]; highest: number }> {
  const start = stream === 'events' ? stored : -stored;
  let current = start;
  let persisted = start;
  const known: number[] = [];
  let head = 0;
  const ids: number[] = [];
  for await (const r of iterateIdsAbove(ctx.db.main, stream, start)) {
    ids.push(r.id);
    known.push(r.id); // ascending: the heap is a queue
    persisted = Math.max(current, persisted);
    while (head < known.length) {
      const next = known[head]!;
      if (next <= persisted) head++;
      else if (next === persisted + 1) {
        head++;
        persisted++;
      } else break;
    }
    if (r.instance_name === writer) current = r.id;
  }
  const above = [...new Set(ids.filter((id) => id > persisted))];
  return { position: persisted, above, highest: ids.length > 0 ? ids[ids.length - 1]! : start };
}

async function positionProblems(ctx: FsckContext): Promise<PositionProblem[]> {
  const rows = await findEventStreamPositions(ctx.db.main);
  const out: PositionProblem[] = [];
  for (const stream of ['events', 'backfill'] as const) {
    const mine = rows.filter((r) => r.stream_name === stream);
    if (mine.length === 0) continue;
    if (ctx.db.main.capabilities.sequences) {
      // sequence.py check_consistency: MAX(stream_id) of the stream above the sequence's last value refuses the start.
      const sequence = stream === 'events' ? 'events_stream_seq' : 'events_backfill_stream_seq';
      const last = await findSequenceLastValue(ctx.db.main, sequence);
      const max = Math.max(...mine.map((r) => r.stream_id));
      if (last !== undefined && max > 0 && max > last) {
        const top = mine.find((r) => r.stream_id === max)!;
        out.push({ stream, instance_name: top.instance_name, stream_id: max, position: last, colliding: last, highest_in_use: max, sample: [] });
      }
      continue;
    }
    if (mine.length > 1) continue; // several writers: out of scope for a monolith's check
    const row = mine[0]!;
    const s = await sqliteStart(ctx, stream, row.instance_name, row.stream_id);
    if (s.above.length > 0) out.push({ stream, instance_name: row.instance_name, stream_id: row.stream_id, position: s.position, colliding: s.above.length, highest_in_use: s.highest, sample: s.above.slice(0, ctx.sampleSize) });
  }
  return out;
}

const streamPositions: FsckCheckDefinition = {
  id: 'orderings.stream-positions',
  group: 'orderings',
  title: 'stream_positions out of step with the ids in use',
  severity: 'error',
  why: "Synapse starts its events and backfill streams from stream_positions: on SQLite one behind the rows in use makes the next event insert collide with an existing stream ordering (the event is lost with an IntegrityError); on PostgreSQL one ahead of the sequence makes Synapse refuse to start ('Postgres sequence … is inconsistent with associated stream position').",
  fixable: true,
  async run(ctx) {
    const problems = await positionProblems(ctx);
    if (problems.length === 0) return [];
    const seq = ctx.db.main.capabilities.sequences;
    return [{
      check: this.id, severity: this.severity, room_id: null, count: problems.reduce((n, p) => n + (seq ? 1 : p.colliding), 0),
      sample: problems.map((p) => seq
        ? { stream: p.stream, instance_name: p.instance_name, stream_id: p.stream_id, sequence_last_value: p.position }
        : { stream: p.stream, instance_name: p.instance_name, stream_id: p.stream_id, synapse_would_start_at: p.position + 1, ids_in_use_above: p.colliding, first_ids_in_use_above: p.sample, highest_in_use: p.highest_in_use }),
      why: this.why, fixable: true,
      advice: seq ? '--fix moves the sequence forward to the stream position' : '--fix moves the stream position up to the highest id in use',
    }];
  },
  async repair(ctx) {
    const steps: Step[] = [];
    const preconditions: Check[] = [];
    for (const p of await positionProblems(ctx)) {
      if (ctx.db.main.capabilities.sequences) {
        const sequence = p.stream === 'events' ? 'events_stream_seq' : 'events_backfill_stream_seq';
        steps.push({ kind: 'sequence', id: sequence, database: 'main', sequence, atLeast: p.stream_id, reason: { text: `stream_positions('${p.stream}', '${p.instance_name}') is ${p.stream_id}, ahead of ${sequence} (${p.position}): Synapse refuses to start until the sequence reaches it` } });
        continue;
      }
      const value = p.stream === 'events' ? p.highest_in_use : -p.highest_in_use;
      const scope = statement('stream_name = ? AND instance_name = ?', [p.stream, p.instance_name]);
      steps.push({
        kind: 'statement', id: `stream_positions-${p.stream}`, database: 'main', table: 'stream_positions', op: 'update',
        statement: statement('UPDATE stream_positions SET stream_id = ? WHERE stream_name = ? AND instance_name = ?', [value, p.stream, p.instance_name]), scope, rowsExpected: 1,
        reason: { text: `stream_positions('${p.stream}') at ${p.stream_id}: Synapse would number on from ${p.stream === 'events' ? p.position + 1 : -(p.position + 1)} and collide with ${p.colliding} id(s) in use; moved to the highest in use (${value})` },
      });
      preconditions.push({ id: `stream_positions-${p.stream}`, description: 'the stream position is as it was read', database: 'main', query: statement('SELECT stream_id FROM stream_positions WHERE stream_name = ? AND instance_name = ?', [p.stream, p.instance_name]), expect: p.stream_id });
    }
    return { steps, preconditions };
  },
};

// ── the auth chain cover index ─────────────────────────────────────────────────────────────────

const authChainIndex: FsckCheckDefinition = {
  id: 'orderings.auth-chain-index-incomplete',
  group: 'orderings',
  title: 'rooms flagged has_auth_chain_index with state events missing from the chain cover index',
  severity: 'error',
  why: 'With the flag set Synapse trusts event_auth_chains for auth chain differences: state events missing from it drop out of state resolution and of the auth chains it serves over federation, silently.',
  fixable: true,
  async run(ctx) {
    const f = new RoomFindings(this, ctx.sampleSize);
    for await (const r of iterateMissingAuthChains(ctx.db.main, ctx.roomId)) f.add(r.room_id, { event_id: r.event_id, type: r.type });
    return f.findings({ advice: '--fix clears the flag (Synapse then walks event_auth instead) and queues Synapse\'s chain_cover background update, which fills in the missing rows and sets the flag again; restart Synapse' });
  },
  async repair(ctx, findings) {
    const rooms = await findRoomsWithChainIndex(ctx.db.main, [...new Set(findings.map((f) => f.room_id).filter((r): r is string => r !== null))].sort());
    if (rooms.length === 0) return { steps: [] };
    const steps: Step[] = [];
    const reason = { text: 'the chain cover index of the room is incomplete: Synapse uses event_auth until its chain_cover background update has rebuilt it (events_bg_updates.py _chain_cover_index)' };
    for (let i = 0; i < rooms.length; i += 500) {
      const chunk = rooms.slice(i, i + 500);
      const scope = statement(`room_id IN (${chunk.map(() => '?').join(', ')})`, chunk);
      steps.push({ kind: 'statement', id: `rooms-has_auth_chain_index${rooms.length > 500 ? `-${i / 500 + 1}` : ''}`, database: 'main', table: 'rooms', op: 'update', statement: statement(`UPDATE rooms SET has_auth_chain_index = ? WHERE ${scope.sql}`, [false, ...chunk]), scope, rowsExpected: chunk.length, reason });
    }
    if (!(await hasBackgroundUpdate(ctx.db.main, 'chain_cover'))) {
      // As 59/06chain_cover_index.sql queued it: the update walks state events without chain rows, room by room, and sets the flag when a room is done.
      steps.push(...(await planInsertRows(ctx.db.main, 'background_updates', [{ update_name: 'chain_cover', progress_json: '{}', ordering: 5906 }], { reason: { text: "queue Synapse's chain_cover background update, which computes the missing chain cover rows and sets has_auth_chain_index again" } })));
    }
    return { steps, notes: ['Restart Synapse: its chain_cover background update rebuilds the auth chain index of these rooms and sets has_auth_chain_index again.'] };
  },
};

export const ORDERINGS_CHECKS: readonly FsckCheckDefinition[] = [collisions, historyAbove, sequencesBehind, streamPositions, authChainIndex];

