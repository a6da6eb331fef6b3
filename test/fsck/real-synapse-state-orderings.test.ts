/**
 * The state and orderings checks on databases a real Synapse 1.67 wrote (../shared/real-synapse,
 * when present; skipped otherwise), through the built CLI, on scratch copies (never the published
 * files):
 * - R, OLD and NEW (SQLite) and Q (PostgreSQL, restored from its dump): healthy, nothing found
 *   (exit 0), for the whole database and for the room;
 * - P: its incident is a join_rules event marked rejected by hand while its state tables were left
 *   as Synapse wrote them (the event stays in the groups and the current state). The state tables
 *   stay consistent with each other — the current state is the resolved state of P's three forward
 *   extremities — so these groups rightly find nothing: the rejection is the rejections group's
 *   finding. A copy of P with join_rules dropped from the current state shows the current-state
 *   check resolving P's three extremities (--room), and its repair applied and undone.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { statement } from '../../src/store/engine/engine.js';
import { ENGINES } from '../support/engines.js';
import { expectRepair, fsck, withWritable } from './support-state.js';
import { haveRealSynapse, havePgRestore, REAL, withRealCopy, withRestoredQ } from '../support/real-synapse.js';

const haveReal = haveRealSynapse();

describe.skipIf(!haveReal)('real Synapse 1.67: fsck state and orderings', () => {
  for (const [file, room] of [
    ['dev-chain/hsR-healthy-peer.db', '!fDWOVaXnUaKpiTdyWw:localhost:8491'],
    ['dev-migration/hsOLD-old.db', '!OyHRGUIKRdqtYVaDJg:localhost:8494'],
    ['dev-migration/hsNEW-new.db', '!OyHRGUIKRdqtYVaDJg:localhost:8494'],
  ] as const) {
    it(`${file}: healthy, nothing found (exit 0)`, async () => {
      await withRealCopy(file, async (p) => {
        const r = await fsck(p);
        expect(r.findings, JSON.stringify(r.findings, null, 1)).toEqual([]);
        expect(r.code).toBe(0);
        expect((await fsck(p, ['--room', room])).findings).toEqual([]);
      });
    });
  }

  it('dev-chain P: the state tables agree with each other (the rejection is not theirs to find); a reset current state is found and repaired', async () => {
    const truth = JSON.parse(await readFile(join(REAL, 'dev-chain.json'), 'utf8')) as { room_id: string; root_rejected_event_ids: string[] };
    await withRealCopy('dev-chain/hsP-broken.db', async (p) => {
      const r = await fsck(p);
      expect(r.findings, JSON.stringify(r.findings, null, 1)).toEqual([]);
      // break it: join_rules dropped from the current state, as a state reset would leave it
      await withWritable(p, async (main) => {
        await main.run(statement("DELETE FROM current_state_events WHERE room_id = ? AND type = 'm.room.join_rules'", [truth.room_id]));
      });
      const broken = await fsck(p, ['--room', truth.room_id]);
      expect(broken.findings.map((f) => [f.check, f.count])).toEqual([['state.current-state-not-resolved', 1]]);
      expect(broken.findings[0]!.sample).toEqual([{ type: 'm.room.join_rules', state_key: '', current_event_id: null, resolved_event_id: truth.root_rejected_event_ids[0] }]);
      // --fix puts back what P's groups hold (the rejection itself stays for unreject to cure); undo restores the copy
      await expectRepair('sqlite', p, 'state.current-state-not-resolved');
    });
  });
});

describe.skipIf(!haveReal || !havePgRestore || !ENGINES.includes('postgres'))('real Synapse 1.67: fsck state and orderings on PostgreSQL (dev-chain Q, restored)', () => {
  it('Q: healthy, nothing found (exit 0), sequences and stream positions included', async () => {
    await withRestoredQ(async (url) => {
      const r = await fsck(url);
      expect(r.findings, JSON.stringify(r.findings, null, 1)).toEqual([]);
      expect(r.code).toBe(0);
      expect(r.checks.find((c) => c.id === 'orderings.sequence-behind')?.status).toBe('ok');
    });
  });
});
