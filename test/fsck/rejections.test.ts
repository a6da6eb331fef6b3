/**
 * fsck group `rejections`: each check against the rejection-chain scenario's server A (a chain
 * rejected on arrival, and a genuine rejection: clean for fsck) broken in exactly that one way,
 * both engines, through the built CLI. Plus the crude cure blog posts give (rejections rows deleted,
 * rejection_reason NULLed by hand): found as accepted events without their event_edges rows, and
 * repaired by --fix.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/store/engine/engine.js';
import { ENGINES } from '../support/engines.js';
import { buildBase, copyOf, expectRepair, fired, findingsOf, fsck, withRaw, type Base, type Copy } from './support.js';

async function prevEvents(e: Engine, id: string): Promise<string[]> {
  const row = await e.queryOne<{ json: string }>('SELECT json FROM event_json WHERE event_id = ?', [id]);
  return (JSON.parse(row!.json) as { prev_events: string[] }).prev_events;
}

for (const engine of ENGINES) {
  describe.concurrent(`${engine}: fsck rejections checks`, () => {
    let base: Base;
    let room: string;
    let labels: Record<string, string | string[]>;
    beforeAll(async () => {
      base = await buildBase(engine, 'rejection-chain', 94);
      room = base.scenario.roomId;
      labels = base.scenario.labels;
    });
    afterAll(async () => {
      await base?.cleanup();
    });

    async function broken(fn: (e: Engine) => Promise<unknown>, keep?: (c: Copy) => Promise<void>): Promise<Awaited<ReturnType<typeof fsck>>> {
      const copy = await copyOf(base);
      try {
        await withRaw(copy.url, fn);
        const run = await fsck(copy.url);
        if (keep) await keep(copy);
        return run;
      } finally {
        await copy.cleanup();
      }
    }

    it('rejections.reason-disagrees: a rejected event whose events.rejection_reason was cleared', async () => {
      const id = labels.genuine as string;
      const run = await broken((e) => e.run('UPDATE events SET rejection_reason = NULL WHERE event_id = ?', [id]));
      expect(fired(run)).toEqual(['rejections.reason-disagrees']);
      expect(findingsOf(run, 'rejections.reason-disagrees')).toMatchObject([{ room_id: room, count: 1, sample: [{ event_id: id, kind: 'rejections row without rejection_reason', rejection_reason: null }] }]);
    });

    it('rejections.rejected-in-current-state: the rejected power levels put into the current state', async () => {
      const id = labels.root as string;
      const run = await broken((e) => e.run("UPDATE current_state_events SET event_id = ?, event_stream_ordering = (SELECT stream_ordering FROM events WHERE event_id = ?) WHERE room_id = ? AND type = 'm.room.power_levels' AND state_key = ''", [id, id, room]));
      expect(fired(run)).toEqual(['rejections.rejected-in-current-state']);
      expect(findingsOf(run, 'rejections.rejected-in-current-state')).toMatchObject([{ room_id: room, count: 1, severity: 'error', sample: [{ event_id: id }] }]);
    });

    it('rejections.rejected-forward-extremity: a rejected message made a forward extremity', async () => {
      const id = (labels.cascadeMessages as string[]).at(-1)!;
      const run = await broken((e) => e.run('INSERT INTO event_forward_extremities (event_id, room_id) VALUES (?, ?)', [id, room]));
      expect(fired(run)).toEqual(['rejections.rejected-forward-extremity']);
      expect(findingsOf(run, 'rejections.rejected-forward-extremity')).toMatchObject([{ room_id: room, count: 1, sample: [{ event_id: id }] }]);
    });

    it('rejections.outlier-forward-extremity: a forward extremity turned into an outlier', async () => {
      let id = '';
      const run = await broken(async (e) => {
        id = String((await e.queryOne<{ event_id: string }>('SELECT event_id FROM event_forward_extremities WHERE room_id = ? ORDER BY event_id LIMIT 1', [room]))!.event_id);
        await e.run('UPDATE events SET outlier = TRUE WHERE event_id = ?', [id]);
      });
      expect(fired(run)).toEqual(['rejections.outlier-forward-extremity']);
      expect(findingsOf(run, 'rejections.outlier-forward-extremity')).toMatchObject([{ room_id: room, count: 1, sample: [{ event_id: id }] }]);
    });

    it('rejections.accepted-cites-rejected: one chain member (a membership citing the rejected power levels) accepted, with its DAG rows', async () => {
      const id = labels.cascadeMembership as string;
      const run = await broken(async (e) => {
        await e.run('DELETE FROM rejections WHERE event_id = ?', [id]);
        await e.run('UPDATE events SET rejection_reason = NULL WHERE event_id = ?', [id]);
        for (const p of await prevEvents(e, id)) await e.run('INSERT INTO event_edges (event_id, prev_event_id) VALUES (?, ?)', [id, p]);
      });
      expect(fired(run)).toEqual(['rejections.accepted-cites-rejected']);
      const [f] = findingsOf(run, 'rejections.accepted-cites-rejected');
      expect(f).toMatchObject({ room_id: room, count: 1, sample: [{ event_id: id }, {}] });
      const cited = f!.sample[1]!.cited_rejected_event_ids as string[];
      expect(cited.length).toBeGreaterThan(0);
      // what the membership cites is still rejected: the root or the chain's power levels
      for (const c of cited) expect([labels.root, ...(labels.cascade as string[])]).toContain(c);
    });

    it('rejections.rejected-has-accepted-rows: a genuinely rejected event given event_edges rows', async () => {
      const id = labels.genuine as string;
      const run = await broken(async (e) => {
        for (const p of await prevEvents(e, id)) await e.run('INSERT INTO event_edges (event_id, prev_event_id) VALUES (?, ?)', [id, p]);
      });
      expect(fired(run)).toEqual(['rejections.rejected-has-accepted-rows']);
      expect(findingsOf(run, 'rejections.rejected-has-accepted-rows')).toMatchObject([{ room_id: room, count: 1, sample: [{ event_id: id, tables: ['event_edges'] }] }]);
    });

    it('the crude cure (rejections deleted, rejection_reason NULLed by hand): accepted events without event_edges, rebuilt by --fix', async () => {
      const copy = await copyOf(base);
      try {
        await withRaw(copy.url, async (e) => {
          await e.run('DELETE FROM rejections');
          await e.run('UPDATE events SET rejection_reason = NULL WHERE rejection_reason IS NOT NULL');
        });
        const run = await fsck(copy.url);
        const chain = [labels.root as string, ...(labels.cascade as string[]), labels.genuine as string];
        expect(fired(run)).toContain('dag.edges-mismatch');
        const [f] = findingsOf(run, 'dag.edges-mismatch');
        expect(f).toMatchObject({ room_id: room, count: chain.length });
        for (const s of f!.sample) expect(chain).toContain(s.event_id);
        await expectRepair(copy.url, 'dag.edges-mismatch', (ok, what) => expect(ok, what).toBe(true));
      } finally {
        await copy.cleanup();
      }
    });
  });
}
