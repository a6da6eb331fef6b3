/**
 * The seed's migration mistakes, reproduced on the history-gap scenario (an OLD server with the
 * whole history, a NEW one that joined late): an admin's script copies OLD's events that NEW lacks
 * into NEW with raw SQL, the wrong way — new *positive* stream orderings above NEW's head,
 * event_to_state_groups copied with OLD's state group ids, and (PostgreSQL) events_stream_seq left
 * where it was. Each mistake is found by its check (on both engines); nothing else of the state and
 * orderings groups fires.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine, SqlValue } from '../../src/store/engine/engine.js';
import { statement } from '../../src/store/engine/engine.js';
import { ENGINES } from '../support/engines.js';
import { buildTemplate, copyDatabase, fsck, withReadable, withWritable, type Finding, type Template } from './support-state.js';

const inList = (n: number): string => Array.from({ length: n }, () => '?').join(', ');

/** The script: copy these events' rows from OLD to NEW verbatim, but for a stream ordering above NEW's head. */
async function copyTheWrongWay(old: Engine, neu: Engine, ids: readonly string[]): Promise<void> {
  const head = Number((await neu.queryOne<{ m: unknown }>('SELECT MAX(stream_ordering) AS m FROM events'))!.m);
  const events = await old.query<Record<string, SqlValue>>(statement(`SELECT * FROM events WHERE event_id IN (${inList(ids.length)}) ORDER BY stream_ordering`, ids));
  expect(events.length).toBe(ids.length);
  const cols = Object.keys(events[0]!);
  await neu.insertMany('events', cols, events.map((e, i) => cols.map((c) => (c === 'stream_ordering' ? head + 1 + i : e[c]!))));
  for (const table of ['event_json', 'state_events', 'event_edges', 'event_auth', 'event_to_state_groups']) {
    const rows = await old.query<Record<string, SqlValue>>(statement(`SELECT * FROM ${table} WHERE event_id IN (${inList(ids.length)})`, ids));
    if (rows.length === 0) continue;
    const tc = Object.keys(rows[0]!);
    await neu.insertMany(table, tc, rows.map((r) => tc.map((c) => r[c]!)));
  }
}

for (const kind of ENGINES) {
  describe(`${kind}: fsck finds the seed's migration mistakes (history-gap, copied by a script)`, () => {
    let t: Template & { others: string[] };
    beforeAll(async () => {
      t = await buildTemplate(kind, 'history-gap', 94, { others: 1 });
    }, 120_000);
    afterAll(async () => t?.cleanup());

    it('positive orderings above the head, source state group ids and a lagging events_stream_seq are each found', async () => {
      const neu = await copyDatabase(kind, t.others[0]!);
      const copied = t.scenario.labels.missingOnNew as string[];
      const outliers = new Set(t.scenario.labels.newOutliers as string[]);
      try {
        await withReadable(t.url, async (oldDb) => withWritable(neu.url, async (main) => copyTheWrongWay(oldDb.main as Engine, main, copied)));
        const r = await fsck(neu.url);
        expect(r.code).toBe(1);
        const by = (id: string): Finding[] => r.findings.filter((f) => f.check === id);
        const room = t.scenario.roomId;

        // 1. history above the head: NEW's join-state outliers and its invite cite copied events stored above them
        const [above] = by('orderings.history-above-head');
        expect(above).toMatchObject({ room_id: room, severity: 'error' });
        expect(above!.count).toBeGreaterThan(0);
        for (const s of above!.sample) {
          expect(copied).toContain(s.event_id);
          expect(outliers.has(s.cited_by as string)).toBe(true);
        }

        // 2. OLD's state group ids: missing here, or groups of NEW that do not hold the copied state events
        const stateFindings = ['state.state-group-missing', 'state.state-group-other-room', 'state.state-group-lacks-event'].flatMap(by);
        expect(stateFindings.length).toBeGreaterThan(0);
        expect(stateFindings.reduce((n, f) => n + f.count, 0)).toBeGreaterThan(0);
        for (const f of stateFindings) {
          expect(f.room_id).toBe(room);
          for (const s of f.sample) expect(copied).toContain(s.event_id);
        }

        // 3. PostgreSQL: events_stream_seq left behind the copied orderings
        const seq = by('orderings.sequence-behind');
        if (kind === 'postgres') {
          expect(seq).toHaveLength(1);
          expect(seq[0]!.sample.map((s) => s.sequence)).toContain('events_stream_seq');
        } else expect(seq).toEqual([]);

        // 4. the script copied no chain cover rows: the copied state events are missing from a flagged room's index
        const [chains] = by('orderings.auth-chain-index-incomplete');
        expect(chains).toMatchObject({ room_id: room });
        for (const s of chains!.sample) expect(copied).toContain(s.event_id);

        const allowed = new Set(['orderings.history-above-head', 'orderings.sequence-behind', 'orderings.auth-chain-index-incomplete', 'state.state-group-missing', 'state.state-group-other-room', 'state.state-group-lacks-event']);
        expect(r.findings.map((f) => f.check).filter((c) => !allowed.has(c))).toEqual([]);
      } finally {
        await neu.cleanup();
      }
    });
  });
}
