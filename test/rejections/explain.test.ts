/**
 * `explain EVENT_ID` on the simulator's rejection chain (both engines) and on the real Synapse
 * 1.67 dev-chain P database (when present), through the library and the built CLI.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { explainEvent, type EventExplanation } from '../../src/rejections/index.js';
import { openDatabase } from '../../src/store/open.js';
import { buildScenario } from '../../src/simulator/scenarios/index.js';
import { ENGINES, freshSynapseDatabase, rawEngine } from '../support/engines.js';
import { runCli } from '../cli/run-cli.js';

const REAL = fileURLToPath(new URL('../../../shared/real-synapse/', import.meta.url));

for (const kind of ENGINES) {
  describe(`${kind}: explain`, () => {
    it('explains the root, a dependent, the genuine rejection and an accepted event', async () => {
      const fresh = await freshSynapseDatabase(kind, 94);
      try {
        const s = await buildScenario('rejection-chain', { engine: rawEngine(fresh.db), version: 94 });
        const l = s.labels as { root: string; cascadeMessages: string[]; genuine: string; after: string; oldPowerLevels: string };
        const root = await explainEvent(fresh.db, l.root);
        expect(root).toMatchObject({ rejected: 'auth_error', outlier: false, in_current_state: false, type: 'm.room.power_levels', state_group_holds_event: false });
        expect(root.checks.class).toBe('unexplained');
        expect(root.state_for_auth.find((x) => x.type === 'm.room.power_levels')?.event_id).toBe(l.oldPowerLevels);
        const dep = await explainEvent(fresh.db, l.cascadeMessages[0]!);
        expect(dep.checks.class).toBe('inherited');
        expect(dep.auth_events.find((a) => a.event_id === l.root)).toMatchObject({ stored: true, rejected: 'auth_error' });
        const genuine = await explainEvent(fresh.db, l.genuine);
        expect(genuine.checks.class).toBe('own-merit');
        const ok = await explainEvent(fresh.db, l.after);
        expect(ok.rejected).toBeNull();
        expect(ok.forward_extremity).toBe(true);
        expect(ok.checks.class).toBe('unexplained'); // passes every check

        await fresh.db.close();
        const cli = await runCli(['explain', '--db', fresh.url, l.root, '--json']);
        expect(cli.code, cli.stderr).toBe(0);
        expect((JSON.parse(cli.stdout) as EventExplanation).checks.class).toBe('unexplained');
        const text = await runCli(['explain', '--db', fresh.url, l.cascadeMessages[0]!]);
        expect(text.stdout).toMatch(/why: inherited/);
        expect(text.stdout).toMatch(/REJECTED \(auth_error\)/);
        expect((await runCli(['explain', '--db', fresh.url, '$nope'])).code).toBe(3);
        expect((await runCli(['explain', '--db', fresh.url, 'nope'])).code).toBe(2);
      } finally {
        await fresh.cleanup();
      }
    });
  });
}

describe.skipIf(!existsSync(`${REAL}dev-chain/hsP-broken.db`))('real Synapse 1.67: explain on dev-chain P', () => {
  it('the root is in the current state though marked rejected; the crafted event fails the power rule', async () => {
    const db = await openDatabase({ db: `${REAL}dev-chain/hsP-broken.db` });
    try {
      const root = await explainEvent(db, '$Tn-qH_vdOKLl7_NXbjWqLNBSy4GW8WajCRstfxEDNb0');
      expect(root).toMatchObject({ rejected: 'auth_error', in_current_state: true, type: 'm.room.join_rules', state_group_holds_event: true });
      expect(root.checks.class).toBe('unexplained');
      const crafted = await explainEvent(db, '$-r__YFtUHk3JJvUnh5c-ppOhU4SIYL8MEeamh22gevA');
      expect(crafted.checks.class).toBe('own-merit');
      expect(crafted.checks.checks.auth_events_if_accepted).toMatchObject({ outcome: 'denied' });
    } finally {
      await db.close();
    }
  });
});
