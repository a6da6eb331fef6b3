/**
 * Our vendored fixtures against the real dumps in ../shared/synapse-schema (present in CI and on
 * developer machines; absent from a fresh clone, where this file reports skipped).
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SqliteEngine } from '../../src/store/engine/sqlite/sqlite-engine.js';
import { PostgresEngine } from '../../src/store/engine/postgres/postgres-engine.js';
import type { Engine } from '../../src/store/engine/engine.js';
import { ENGINES, emptyDatabase, freshSynapseDatabase } from '../support/engines.js';
import { schemaSnapshot } from '../support/schema-snapshot.js';

const DUMPS = fileURLToPath(new URL('../../../shared/synapse-schema/', import.meta.url));

/** Loads a real dump the way sqlite3 / psql would, minus what they cannot re-run. */
async function loadDump(engine: Engine, file: string): Promise<void> {
  const text = readFileSync(file, 'utf8');
  if (engine.kind === 'sqlite') {
    // sqlite3 itself cannot re-run these: internal tables and the shadow tables FTS creates itself
    await engine.exec(
      text
        .replace(/^CREATE TABLE sqlite_sequence\(name,seq\);$/m, '')
        .replace(/^CREATE TABLE IF NOT EXISTS '\w+_(content|segments|segdir|docsize|stat)'\(.*\);$/gm, ''),
    );
  } else {
    // as psql with --no-owner: no \restrict meta-commands, no role "synapse" here
    await engine.exec(text.replace(/^\\(un)?restrict .*$/gm, '').replace(/^ALTER [^;]* OWNER TO [^;]*;$/gm, ''));
  }
}

describe.runIf(existsSync(DUMPS))('vendored schema fixtures match real Synapse dumps', () => {
  for (const engine of ENGINES) {
    for (const version of [72, 94] as const) {
      it(`${engine}: schema ${version}, table by table`, async () => {
        const ours = await freshSynapseDatabase(engine, version);
        const real = await emptyDatabase(engine);
        let realEngine: Engine = real.engine;
        try {
          await loadDump(real.engine, `${DUMPS}${version}/schema.${engine}.sql`);
          if (engine === 'postgres') {
            // the dump set search_path to ''; look at it through a clean session
            realEngine = await PostgresEngine.connect({ connectionString: real.url });
          } else {
            realEngine = new SqliteEngine(real.url);
          }
          const a = await schemaSnapshot(ours.db.main);
          const b = await schemaSnapshot(realEngine);
          expect(Object.keys(a.tables).sort()).toEqual(Object.keys(b.tables).sort());
          for (const table of Object.keys(b.tables)) {
            expect({ table, ...a.tables[table] }).toEqual({ table, ...b.tables[table] });
          }
          expect(a.extras).toEqual(b.extras);
        } finally {
          if (realEngine !== real.engine) await realEngine.close();
          await ours.cleanup();
          await real.cleanup();
        }
      });
    }
  }
});
