/**
 * fsck on databases a real Synapse 1.67 wrote (the healthy ones and P's incident with every check;
 * the repair of the crude cure with the dag group)
 * (../shared/real-synapse, when present; skipped otherwise), through the built CLI, on scratch
 * copies (never the published files):
 * - R, OLD, NEW (SQLite) and Q (PostgreSQL, restored from its dump): healthy, nothing found;
 * - P: its incident (the join_rules event marked rejected by hand while P was stopped) is found:
 *   rejected yet in the current state, and still holding the event_edges rows of its accepted past;
 *   nothing else;
 * - P after the crude cure (rejections deleted, rejection_reason NULLed by hand): the events Synapse
 *   had rejected on arrival are accepted without event_edges rows; --fix rebuilds them from the JSON
 *   (clean afterwards, undone exactly).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ENGINES } from '../support/engines.js';
import { expectRepair, fired, findingsOf, fsck, withRaw } from './support.js';
import { haveRealSynapse, havePgRestore, REAL, withRealCopy, withRestoredQ } from '../support/real-synapse.js';

const FILES = ['dev-chain/hsP-broken.db', 'dev-chain/hsR-healthy-peer.db', 'dev-migration/hsOLD-old.db', 'dev-migration/hsNEW-new.db'];
const haveReal = haveRealSynapse(FILES);

describe.skipIf(!haveReal || !ENGINES.includes('sqlite'))('real Synapse 1.67: fsck events, rejections, dag, soft-failure', () => {
  for (const file of FILES.slice(1)) {
    it(`${file} (healthy): nothing found, exit 0`, async () => {
      await withRealCopy(file, async (p) => {
        const run = await fsck(p, []);
        expect(fired(run, true)).toEqual([]);
        expect(run.report.findings).toEqual([]);
        expect(run.code).toBe(0);
      });
    });
  }

  it("dev-chain P: the incident (join_rules marked rejected by hand) is found, and nothing else", async () => {
    const truth = JSON.parse(await readFile(join(REAL, 'dev-chain.json'), 'utf8')) as { room_id: string; root_rejected_event_ids: string[] };
    const [root] = truth.root_rejected_event_ids;
    await withRealCopy('dev-chain/hsP-broken.db', async (p) => {
      const run = await fsck(p, []);
      expect(run.code).toBe(1);
      expect(fired(run, true)).toEqual(['rejections.rejected-in-current-state', 'rejections.rejected-has-accepted-rows']);
      expect(findingsOf(run, 'rejections.rejected-in-current-state')).toMatchObject([{ room_id: truth.room_id, count: 1, sample: [{ event_id: root }] }]);
      expect(findingsOf(run, 'rejections.rejected-has-accepted-rows')).toMatchObject([{ room_id: truth.room_id, count: 1, sample: [{ event_id: root, tables: ['event_edges'] }] }]);
    });
  });

  it('dev-chain P after the crude cure: the events rejected on arrival lack event_edges; --fix rebuilds them', async () => {
    const truth = JSON.parse(await readFile(join(REAL, 'dev-chain.json'), 'utf8')) as { room_id: string; collateral_event_ids: string[]; genuinely_invalid_event_ids: string[] };
    await withRealCopy('dev-chain/hsP-broken.db', async (p) => {
      await withRaw(p, async (e) => {
        await e.run('DELETE FROM rejections');
        await e.run('UPDATE events SET rejection_reason = NULL WHERE rejection_reason IS NOT NULL');
      });
      const run = await fsck(p, ['--check', 'dag.edges-mismatch']);
      const [f] = findingsOf(run, 'dag.edges-mismatch');
      const arrival = [...truth.collateral_event_ids, ...truth.genuinely_invalid_event_ids];
      expect(f).toMatchObject({ room_id: truth.room_id, count: arrival.length });
      for (const s of f!.sample) expect(arrival).toContain(s.event_id);
      await expectRepair(p, 'dag.edges-mismatch', (ok, what) => expect(ok, what).toBe(true));
    });
  });
});

describe.skipIf(!haveReal || !havePgRestore || !ENGINES.includes('postgres'))('real Synapse 1.67: fsck on PostgreSQL (dev-chain Q, restored)', () => {
  // Q stores one federated membership with a top-level age_ts (not covered by the content hash,
  // as Synapse computes it): not a hash mismatch
  it('Q (healthy, one genuine rejection): nothing found, exit 0', async () => {
    await withRestoredQ(async (url) => {
      const run = await fsck(url, []);
      expect(fired(run, true)).toEqual([]);
      expect(run.report.findings).toEqual([]);
      expect(run.code).toBe(0);
    });
  });
});
