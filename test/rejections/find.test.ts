/**
 * `rejections` on the simulator's rejection chain (both engines, schemas 72 and 94, room versions
 * 10 and 12) and on the database a real Synapse 1.67 wrote (../shared/real-synapse/dev-chain, when
 * present): exactly the root and its chain, the genuinely unauthorised event as own merit, through
 * the library and the built CLI (a fresh process and connection).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { findRejections, type RejectionsReport } from '../../src/rejections/index.js';
import { openDatabase } from '../../src/store/open.js';
import { buildScenario } from '../../src/simulator/scenarios/index.js';
import { ENGINES, freshSynapseDatabase, rawEngine } from '../support/engines.js';
import { runCli } from '../cli/run-cli.js';

const REAL = fileURLToPath(new URL('../../../shared/real-synapse/', import.meta.url));

function expectChain(report: RejectionsReport, root: string, dependents: readonly string[], genuine: readonly string[]): void {
  expect(report.rooms.length).toBe(1);
  const room = report.rooms[0]!;
  const wrong = room.chains.filter((c) => c.verdict === 'looks-wrong');
  expect(wrong.map((c) => c.root.event_id)).toEqual([root]);
  expect(wrong[0]!.root.class).toBe('unexplained');
  expect([...wrong[0]!.dependents.event_ids].sort()).toEqual([...dependents].sort());
  const kept = room.chains.filter((c) => c.verdict === 'genuinely-invalid');
  expect(kept.map((c) => c.root.event_id).sort()).toEqual([...genuine].sort());
  for (const c of kept) expect(c.root.class).toBe('own-merit');
  expect(room.unattached).toEqual([]);
  expect(report.totals.looks_wrong).toBe(1);
}

for (const kind of ENGINES) {
  for (const version of [72, 94] as const) {
    for (const roomVersion of ['10', '12']) {
      describe(`${kind}: rejections (schema ${version}, room v${roomVersion})`, () => {
        it('names exactly the root and its chain, and keeps the genuinely unauthorised event as own merit', async () => {
          const fresh = await freshSynapseDatabase(kind, version);
          try {
            const s = await buildScenario('rejection-chain', { engine: rawEngine(fresh.db), version, roomVersion });
            const labels = s.labels as { root: string; cascade: string[]; genuine: string };
            const report = await findRejections(fresh.db);
            expectChain(report, labels.root, labels.cascade, [labels.genuine]);
            const genuine = report.rooms[0]!.chains.find((c) => c.root.event_id === labels.genuine)!;
            expect(genuine.root.classification.checks.auth_events.outcome).toBe('denied');
            expect(genuine.root.classification.explanation).toMatch(/power/i);
            const root = report.rooms[0]!.chains.find((c) => c.root.event_id === labels.root)!;
            expect(root.root.classification.checks.signatures.ok).toBe(true);
            expect(root.root.classification.checks.state_before.outcome).toBe('allowed');
            expect(root.accepted_meanwhile.map((a) => a.server)).toContain('old.example');

            await fresh.db.close();
            const cli = await runCli(['rejections', '--db', fresh.url, '--json']);
            expect(cli.code, cli.stderr).toBe(1);
            expectChain(JSON.parse(cli.stdout) as RejectionsReport, labels.root, labels.cascade, [labels.genuine]);
            const text = await runCli(['rejections', '--db', fresh.url, '--room', s.roomId]);
            expect(text.code).toBe(1);
            expect(text.stdout).toMatch(/LOOKS WRONG/);
            const none = await runCli(['rejections', '--db', fresh.url, '--since', '2999-01-01']);
            expect(none.code).toBe(0);
          } finally {
            await fresh.cleanup();
          }
        });
      });
    }
  }

  describe(`${kind}: rejections on a healthy database`, () => {
    it('finds nothing to cure (exit 0)', async () => {
      const fresh = await freshSynapseDatabase(kind, 94);
      try {
        await buildScenario('healthy', { engine: rawEngine(fresh.db), version: 94 });
        const report = await findRejections(fresh.db);
        expect(report.totals.looks_wrong).toBe(0);
        await fresh.db.close();
        const cli = await runCli(['rejections', '--db', fresh.url]);
        expect(cli.code, cli.stderr).toBe(0);
        const missing = await runCli(['rejections', '--db', fresh.url, '--room', '!nope:x']);
        expect(missing.code).toBe(3);
      } finally {
        await fresh.cleanup();
      }
    });
  });
}

describe.skipIf(!existsSync(`${REAL}dev-chain/hsP-broken.db`))('real Synapse 1.67: dev-chain P', () => {
  it('finds the join_rules root, its 20 collateral events, and the crafted event as own merit', async () => {
    const truth = JSON.parse(await readFile(`${REAL}dev-chain.json`, 'utf8')) as {
      root_rejected_event_ids: string[]; collateral_event_ids: string[]; genuinely_invalid_event_ids: string[];
    };
    const db = await openDatabase({ db: `${REAL}dev-chain/hsP-broken.db` });
    try {
      const report = await findRejections(db);
      expectChain(report, truth.root_rejected_event_ids[0]!, truth.collateral_event_ids, truth.genuinely_invalid_event_ids);
      const crafted = report.rooms[0]!.chains.find((c) => c.verdict === 'genuinely-invalid')!;
      expect(crafted.root.classification.explanation).toMatch(/power/i);
    } finally {
      await db.close();
    }
  });
});
