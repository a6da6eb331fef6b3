/**
 * No false alarm: the state and orderings checks find nothing (exit 0) on the simulator's healthy
 * databases, on both engines: the healthy room (schemas 72 and 94, room versions 10 and 12), both
 * servers of the history gap (OLD with the whole history, NEW joined late with outliers, schemas 72
 * and 94), and the rejection chain's healthy twin; and on a --room run of each case's first database.
 */
import { describe, expect, it } from 'vitest';
import type { ScenarioName, SchemaVersion } from '../../src/simulator/scenarios/index.js';
import { ENGINES } from '../support/engines.js';
import { buildTemplate, fsck } from './support-state.js';

const CASES: Array<{ scenario: ScenarioName; version: SchemaVersion; roomVersion?: string; others?: number; which: string }> = [
  { scenario: 'healthy', version: 72, which: 'the healthy room' },
  { scenario: 'healthy', version: 94, roomVersion: '12', which: 'the healthy room' },
  { scenario: 'history-gap', version: 72, others: 1, which: 'OLD and NEW' },
  { scenario: 'history-gap', version: 94, others: 1, which: 'OLD and NEW' },
  { scenario: 'rejection-chain', version: 94, others: 1, which: 'the healthy twin' },
];

for (const kind of ENGINES) {
  describe(`${kind}: fsck state and orderings on healthy databases`, () => {
    for (const c of CASES) {
      it(`${c.scenario}, schema ${c.version}${c.roomVersion ? `, room version ${c.roomVersion}` : ''}: ${c.which} clean`, async () => {
        const t = await buildTemplate(kind, c.scenario, c.version, { ...(c.others ? { others: c.others } : {}), ...(c.roomVersion ? { roomVersion: c.roomVersion } : {}) });
        try {
          // the rejection chain's own server holds the chain (other groups' business): only its twin is healthy
          const urls = c.scenario === 'rejection-chain' ? t.others : [t.url, ...t.others];
          for (const [i, url] of urls.entries()) {
            const all = await fsck(url);
            expect(all.findings, JSON.stringify(all.findings, null, 1)).toEqual([]);
            expect(all.code).toBe(0);
            if (i > 0) continue; // the --room form once per case
            const room = await fsck(url, ['--room', t.scenario.roomId]);
            expect(room.findings).toEqual([]);
          }
        } finally {
          await t.cleanup();
        }
      }, 120_000);
    }
  });
}
