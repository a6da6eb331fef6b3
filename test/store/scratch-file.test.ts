/**
 * Scratch files (src/store/engine/scratch-file.ts): rows written on one connection, copied into
 * a database by `copyFromScratch` inside its transaction, exactly as a direct insert would store
 * them; the file is detached and deleted when the transaction ends, committed or not. Only SQLite
 * copies from scratch files; PostgreSQL says so through its capabilities.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { SqlValue } from '../../src/store/engine/engine.js';
import { ScratchFile } from '../../src/store/engine/scratch-file.js';
import { decodeBatch } from '../../src/store/engine/scratch-format.js';
import { SqliteEngine } from '../../src/store/engine/sqlite/sqlite-engine.js';
import { ENGINES, emptyDatabase } from '../support/engines.js';

const dir = await mkdtemp(join(tmpdir(), 'sd-scratch-'));
afterAll(() => rm(dir, { recursive: true, force: true }));

const ROWS: SqlValue[][] = [
  ['$a', 1, true, 'plain'],
  ['$b', -9007199254740991, false, 'nul \u0000 inside, ünïcødé, \u2028'],
  ['$c', 0, null, null],
  ['$d', 42.5, true, '{"json": [1, 2]}'],
];

async function target(path: string): Promise<SqliteEngine> {
  const e = new SqliteEngine(path, { create: true });
  await e.exec('CREATE TABLE t (id TEXT NOT NULL PRIMARY KEY, n BIGINT, flag BOOLEAN, body TEXT)');
  return e;
}

const COLS = ['id', 'n', 'flag', 'body'];
const DIGEST = { rows: 0, columns: COLS, key: ['id'], sha256: '', pieces: [] };

/** Two batches of ROWS in a scratch file, as the import's worker writes them. */
async function scratchOf(name: string): Promise<string> {
  const path = join(dir, name);
  const f = new ScratchFile(path);
  await f.write(async (w) => {
    await w.appendBatch('t', COLS, ROWS.slice(0, 2), { pieces: [2], digest: DIGEST });
    await w.appendBatch('t', COLS, ROWS.slice(2), { scope: { key: ['id'], values: [['$c'], ['$d']] }, pieces: [2], digest: DIGEST });
  });
  expect(f.counts).toEqual(new Map([['t', 4]]));
  await f.close();
  return path;
}

describe('scratch files', () => {
  it('copies rows batch by batch as a direct insert stores them; the file is gone after COMMIT', async () => {
    const path = await scratchOf('a.db');
    const copied = await target(join(dir, 'copied.db'));
    const direct = await target(join(dir, 'direct.db'));
    try {
      await copied.transaction(async (tx) => {
        const first = await tx.scratchBatch!(path, 't', 0);
        const second = await tx.scratchBatch!(path, 't', 1);
        expect(await tx.scratchBatch!(path, 't', 2)).toBeUndefined();
        expect(decodeBatch(second!.from, second!.to, second!.batch)).toEqual({ from: 3, to: 4, scope: { key: ['id'], values: [['$c'], ['$d']] }, pieces: [2], digest: DIGEST });
        for (const b of [first!, second!]) await tx.copyFromScratch!(path, 't', COLS, b.from, b.to);
      });
      expect(existsSync(path)).toBe(false);
      await direct.transaction(async (tx) => tx.insertMany('t', COLS, ROWS));
      const read = (e: SqliteEngine): unknown[] => e.handle.prepare('SELECT id, n, typeof(n) AS tn, flag, typeof(flag) AS tf, body, typeof(body) AS tb FROM t ORDER BY id').all();
      expect(read(copied)).toEqual(read(direct));
      expect(read(copied)).toHaveLength(4);
      // the next transaction attaches another file under the same name (the same rows: refused by the key)
      const again = await scratchOf('b.db');
      await expect(copied.transaction(async (tx) => tx.copyFromScratch!(again, 't', COLS, 1, 1))).rejects.toThrow(/UNIQUE/);
      expect(existsSync(again)).toBe(false);
    } finally {
      await copied.close();
      await direct.close();
    }
  });

  it('a rolled-back transaction copies nothing and still removes the file', async () => {
    const path = await scratchOf('c.db');
    const e = await target(join(dir, 'rolled.db'));
    try {
      await expect(e.transaction(async (tx) => {
        await tx.copyFromScratch!(path, 't', COLS, 1, 4);
        throw new Error('stop');
      })).rejects.toThrow('stop');
      expect(existsSync(path)).toBe(false);
      expect(e.handle.prepare('SELECT COUNT(*) AS n FROM t').get()).toEqual({ n: 0 });
      expect(e.handle.prepare('PRAGMA database_list').all().map((d) => (d as { name: string }).name)).toEqual(['main']);
    } finally {
      await e.close();
    }
  });

  for (const kind of ENGINES) {
    it(`${kind}: the engine says whether it copies from scratch files`, async () => {
      const db = await emptyDatabase(kind);
      try {
        expect(db.engine.capabilities.scratchCopy).toBe(kind === 'sqlite');
        expect(typeof (db.engine as { copyFromScratch?: unknown }).copyFromScratch === 'function').toBe(kind === 'sqlite');
      } finally {
        await db.cleanup();
      }
    });
  }
});
