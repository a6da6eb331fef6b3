/**
 * inspect on databases a real Synapse 1.67 wrote (../shared/real-synapse, when present; skipped
 * otherwise), through the built CLI, on scratch copies (never the published files):
 * - dev-chain P: the join_rules root marked rejected while it stayed in the current state (exit 1),
 *   and nothing left once unreject has cured it (exit 0);
 * - dev-chain R and Q (PostgreSQL, restored from its dump): healthy, no finding;
 * - dev-migration NEW: the late joiner's 18 outliers (17 persisted as backfilled, the invite with a
 *   positive stream ordering), its one backward extremity, a timeline starting at the join.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.js';
import { ENGINES } from '../support/engines.js';
import { haveRealSynapse, havePgRestore, REAL, withRealCopy, withRestoredQ } from '../support/real-synapse.js';

const haveReal = haveRealSynapse();

describe.skipIf(!haveReal)('real Synapse 1.67: inspect', () => {
  it('dev-chain P: the rejected join_rules root is still in the current state (exit 1); after the cure, no finding (exit 0)', async () => {
    const truth = JSON.parse(await readFile(join(REAL, 'dev-chain.json'), 'utf8')) as { room_id: string; root_rejected_event_ids: string[] };
    await withRealCopy('dev-chain/hsP-broken.db', async (p, dir) => {
      const r = await runCli(['inspect', '--db', p, '--check', '--json']);
      expect(r.code, r.stderr).toBe(1);
      const report = JSON.parse(r.stdout);
      expect(report.totals).toEqual({ rooms: 1, events: 108, rejected_events: 22, findings: 1, rooms_with_findings: 1 });
      expect(report.integrity_check).toMatchObject({ applicable: true, ok: true });
      const room = report.rooms[0];
      expect(room.findings.map((f: { id: string; room_id: string; count: number; sample_event_ids: string[] }) => [f.id, f.room_id, f.count, f.sample_event_ids])).toEqual([
        ['rejected-in-current-state', truth.room_id, 1, truth.root_rejected_event_ids],
      ]);
      // the root was accepted once: the JSON of what follows it was read (non-state events citing it: none)
      expect(room.non_state_auth_check).toMatchObject({ complete: true });
      expect(room.outliers).toEqual({ total: 0, negative_stream_ordering: 0 });
      expect(room.forward_extremities).toBe(3);

      const cure = await runCli(['unreject', '--db', p, '--room', truth.room_id, '--all-wrong', '--apply', '--no-backup', '--journal', join(dir, 'j.jsonl')]);
      expect(cure.code, cure.stderr).toBe(0);
      const after = await runCli(['inspect', '--db', p, '--json']);
      expect(after.code, after.stdout).toBe(0);
      const cured = JSON.parse(after.stdout);
      expect(cured.totals).toMatchObject({ rejected_events: 1, findings: 0 }); // the crafted event stays rejected
      expect(cured.rooms[0].non_state_auth_check).toBeNull();
    });
  });

  it('dev-chain R (the healthy peer): no finding', async () => {
    await withRealCopy('dev-chain/hsR-healthy-peer.db', async (p) => {
      const r = await runCli(['inspect', '--db', p, '--json']);
      expect(r.code).toBe(0);
      expect(JSON.parse(r.stdout).totals).toEqual({ rooms: 1, events: 107, rejected_events: 0, findings: 0, rooms_with_findings: 0 });
    });
  });

  it("dev-migration NEW: 18 outliers (17 backfilled), one backward extremity, the timeline starting at NEW's join", async () => {
    const truth = JSON.parse(await readFile(join(REAL, 'dev-migration.json'), 'utf8')) as {
      new_outlier_event_ids: string[]; new_timeline_event_ids: string[]; new_backward_extremities: string[];
    };
    await withRealCopy('dev-migration/hsNEW-new.db', async (p) => {
      const r = await runCli(['inspect', '--db', p, '--json']);
      expect(r.code).toBe(0);
      const room = JSON.parse(r.stdout).rooms[0];
      expect(truth.new_outlier_event_ids.length).toBe(18);
      expect(room.events).toBe(30);
      expect(room.outliers).toEqual({ total: 18, negative_stream_ordering: 17 });
      expect(room.backward_extremities).toBe(truth.new_backward_extremities.length);
      expect(room.backward_extremities).toBe(1);
      // the outlier create event is 13 s older than the first event of NEW's timeline (its join)
      expect(room.oldest_event).toEqual({ origin_server_ts: 1796165086502, iso: new Date(1796165086502).toISOString() });
      expect(room.oldest_timeline_event).toEqual({ origin_server_ts: 1796165099568, iso: new Date(1796165099568).toISOString() });
      expect(room.newest_timeline_event).toEqual(room.newest_event);
      expect(room.findings).toEqual([]);
      const text = await runCli(['inspect', '--db', p]);
      expect(text.stdout).toContain('outliers: 18 (17 with a negative stream ordering); backward extremities: 1');
      expect(text.stdout).toMatch(/the oldest stored event \(2026-12-01T\S+\) is an outlier: history before the timeline is missing here/);
    });
  });
});

describe.skipIf(!haveReal || !havePgRestore || !ENGINES.includes('postgres'))('real Synapse 1.67: inspect on PostgreSQL (dev-chain Q, restored)', () => {
  it('Q holds only a genuine rejection: no finding, and --check is not applicable (exit 0)', async () => {
    await withRestoredQ(async (url) => {
      const r = await runCli(['inspect', '--db', url, '--check', '--json']);
      expect(r.code, r.stderr).toBe(0);
      const report = JSON.parse(r.stdout);
      expect(report.totals).toEqual({ rooms: 1, events: 108, rejected_events: 1, findings: 0, rooms_with_findings: 0 });
      expect(report.integrity_check).toMatchObject({ applicable: false, ok: null });
    });
  });
});
