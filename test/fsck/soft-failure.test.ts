/**
 * fsck group `soft-failure`: soft-failed events listed per room as a note (severity info, exit 0),
 * both engines, through the built CLI. The healthy scenario soft-fails one event (healthy.test.ts);
 * here a second one is flagged by hand and both are listed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../support/engines.js';
import { buildBase, copyOf, fired, findingsOf, fsck, withRaw, type Base } from './support.js';

for (const engine of ENGINES) {
  describe(`${engine}: fsck soft-failure`, () => {
    let base: Base;
    beforeAll(async () => {
      base = await buildBase(engine, 'healthy', 94);
    });
    afterAll(async () => {
      await base?.cleanup();
    });

    it('soft-failure.soft-failed: every soft-failed event counted, a note only', async () => {
      const copy = await copyOf(base);
      try {
        let id = '';
        await withRaw(copy.url, async (e) => {
          id = String((await e.queryOne<{ event_id: string }>("SELECT event_id FROM events WHERE type = 'm.room.message' ORDER BY stream_ordering DESC LIMIT 1"))!.event_id);
          await e.run('UPDATE event_json SET internal_metadata = ? WHERE event_id = ?', ['{"soft_failed":true}', id]);
        });
        const run = await fsck(copy.url, ['--check', 'soft-failure']);
        expect(fired(run)).toEqual([]);
        expect(run.code).toBe(0);
        const [f] = findingsOf(run, 'soft-failure.soft-failed');
        expect(f).toMatchObject({ room_id: base.scenario.roomId, count: 2, severity: 'info', fixable: false });
        expect(f!.sample.map((s) => s.event_id)).toEqual([base.scenario.labels.softFailed, id]);
      } finally {
        await copy.cleanup();
      }
    });
  });
}
