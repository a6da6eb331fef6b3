import { describe, expect, it } from 'vitest';
import { ENGINES, freshSynapseDatabase } from '../support/engines.js';
import { fixtureSeed } from '../../src/store/fixture-schema.js';
import { listTables } from '../../src/store/introspect.js';

for (const engine of ENGINES) {
  describe(`${engine}: createSynapseSchema`, () => {
    for (const version of [72, 94] as const) {
      it(`builds schema ${version} with Synapse's seed rows`, async () => {
        const t0 = Date.now();
        const fresh = await freshSynapseDatabase(engine, version);
        const ms = Date.now() - t0;
        try {
          const { schema, main } = fresh.db;
          const seed = fixtureSeed(version);
          expect(schema.version).toBe(version);
          expect(schema.upgraded).toBe(true);
          expect(schema.compatVersion).toBe(seed.compatVersion);
          expect(schema.appliedDeltas).toEqual(
            seed.appliedDeltas[engine].filter((d) => d.version >= version).map((d) => d.file).sort(),
          );
          expect(schema.backgroundUpdates.length).toBe(seed.backgroundUpdates[engine].length);
          const tables = await listTables(main);
          expect(tables).toContain('events');
          expect(tables).toContain('state_groups_state');
          expect(schema.capabilities.rejectionsTable).toBe(true);
          expect(schema.capabilities.redactionsRecheck).toBe(version === 94);
          expect(schema.capabilities.ftsEventSearch).toBe(engine === 'sqlite');
          const pos = await main.query<{ stream_id: number; type: string }>('SELECT type, stream_id FROM federation_stream_position ORDER BY type');
          expect(pos).toEqual([{ type: 'events', stream_id: -1 }, { type: 'federation', stream_id: -1 }]);
          console.log(`${engine} ${version}: fresh database in ${ms} ms`);
        } finally {
          await fresh.cleanup();
        }
      });
    }
  });
}
