import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/store/engine/engine.js';
import { toDollarParams } from '../../src/store/engine/postgres/placeholders.js';
import { ENGINES, emptyDatabase, type EmptyDatabase } from '../support/engines.js';

describe('toDollarParams', () => {
  it('numbers ? outside literals, identifiers, dollar quotes and comments', () => {
    expect(toDollarParams(`SELECT '?', "a?b", ? -- what?\n, $$ ? $$, $t$?$t$, /* ? */ ?, E'\\'?', ?`)).toBe(
      `SELECT '?', "a?b", $1 -- what?\n, $$ ? $$, $t$?$t$, /* ? */ $2, E'\\'?', $3`,
    );
    expect(toDollarParams("SELECT 'it''s ?' , ?")).toBe("SELECT 'it''s ?' , $1");
  });
});

for (const engine of ENGINES) {
  describe(`${engine}: engine adapter`, () => {
    let empty: EmptyDatabase;
    let db: Engine;
    beforeAll(async () => {
      empty = await emptyDatabase(engine);
      db = empty.engine;
      const blob = engine === 'sqlite' ? 'BLOB' : 'BYTEA';
      const bool = engine === 'sqlite' ? 'BOOLEAN' : 'BOOLEAN';
      await db.exec(`CREATE TABLE t (id BIGINT PRIMARY KEY, name TEXT, flag ${bool}, data ${blob});
                     CREATE TABLE wide (a INTEGER, b INTEGER, c INTEGER, d INTEGER, e INTEGER, f INTEGER, g INTEGER, h INTEGER)`);
    });
    afterAll(async () => {
      await empty.cleanup();
    });

    it('binds parameters, booleans, blobs and big integers', async () => {
      await db.run('INSERT INTO t (id, name, flag, data) VALUES (?, ?, ?, ?)', [1, "O'Brien ? \"x\"", true, Uint8Array.of(0, 1, 255)]);
      await db.run('INSERT INTO t (id, name, flag, data) VALUES (?, ?, ?, ?)', [2 ** 53 - 1, null, false, null]);
      const rows = await db.query<{ id: number; name: string | null; flag: unknown; data: Uint8Array | null }>('SELECT id, name, flag, data FROM t ORDER BY id');
      expect(rows[0].id).toBe(1);
      expect(rows[0].name).toBe("O'Brien ? \"x\"");
      expect(rows[0].flag === true || rows[0].flag === 1).toBe(true);
      expect([...(rows[0].data as Uint8Array)]).toEqual([0, 1, 255]);
      expect(rows[1].id).toBe(2 ** 53 - 1);
      expect(typeof rows[1].id).toBe('number');
      expect(rows[1].flag === false || rows[1].flag === 0).toBe(true);
      const one = await db.queryOne<{ n: number }>('SELECT count(*) AS n FROM t WHERE name = ?', ['nobody']);
      expect(Number(one?.n)).toBe(0);
      expect(await db.queryOne('SELECT id FROM t WHERE id = ?', [42])).toBeUndefined();
      const upd = await db.run('UPDATE t SET name = ? WHERE id > ?', ['x', 0]);
      expect(upd.changes).toBe(2);
    });

    it('refuses integers beyond 2^53 rather than rounding them (PostgreSQL int8)', async () => {
      if (engine === 'postgres') {
        await expect(db.query('SELECT 9007199254740993::bigint AS n')).rejects.toThrow(/2\^53/);
      } else {
        const r = await db.queryOne<{ n: number }>('SELECT 9007199254740991 AS n');
        expect(r?.n).toBe(9007199254740991);
      }
    });

    it('iterates in batches without loading everything, and stops early cleanly', async () => {
      const rows = Array.from({ length: 2500 }, (_, i) => [i, i, i, i, i, i, i, i]);
      await db.insertMany('wide', ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], rows);
      let n = 0;
      let sum = 0;
      for await (const r of db.iterate<{ a: number }>('SELECT a FROM wide WHERE a >= ? ORDER BY a', [0], 300)) {
        n++;
        sum += r.a;
      }
      expect(n).toBe(2500);
      expect(sum).toBe((2499 * 2500) / 2);
      let seen = 0;
      for await (const _ of db.iterate('SELECT a FROM wide ORDER BY a', [], 100)) {
        if (++seen === 150) break;
      }
      expect(seen).toBe(150);
      // The connection is usable afterwards, also for writes.
      await db.run('DELETE FROM wide WHERE a >= ?', [2000]);
      const c = await db.queryOne<{ n: number }>('SELECT count(*) AS n FROM wide');
      expect(Number(c?.n)).toBe(2000);
      // Reads inside an iteration work on both engines.
      let inner = 0;
      for await (const r of db.iterate<{ a: number }>('SELECT a FROM wide WHERE a < ?', [3], 2)) {
        const again = await db.queryOne<{ b: number }>('SELECT b FROM wide WHERE a = ?', [r.a]);
        if (again?.b === r.a) inner++;
      }
      expect(inner).toBe(3);
    });

    it('insertMany splits past PostgreSQL\'s 65,535-parameter limit', async () => {
      await db.run('DELETE FROM wide');
      const rows = Array.from({ length: 20_000 }, (_, i) => [i, 1, 2, 3, 4, 5, 6, 7]); // 160,000 values
      await db.insertMany('wide', ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'], rows);
      const c = await db.queryOne<{ n: number; s: number }>('SELECT count(*) AS n, sum(h) AS s FROM wide');
      expect(Number(c?.n)).toBe(20_000);
      expect(Number(c?.s)).toBe(140_000);
    });

    it('insertMany keeps every row, in order, with its values (several rows per statement and the rest one by one)', async () => {
      await db.run('CREATE TABLE mix (id INTEGER, flag BOOLEAN, label TEXT)');
      const rows = Array.from({ length: 173 }, (_, i) => [i, i % 3 === 0 ? null : i % 2 === 0, i % 5 === 0 ? null : `r${i} '"\u2028`]);
      await db.insertMany('mix', ['id', 'flag', 'label'], rows);
      const got = await db.query<{ id: number; flag: unknown; label: string | null }>('SELECT id, flag, label FROM mix ORDER BY id');
      expect(got.map((r) => [Number(r.id), r.flag === null ? null : r.flag === true || r.flag === 1, r.label])).toEqual(rows);
      // a row of the wrong width is refused, and nothing of that call is kept
      const bad = [...Array.from({ length: 90 }, (_, i) => [1000 + i, true, 'x']), [2000, true]];
      await expect(db.insertMany('mix', ['id', 'flag', 'label'], bad)).rejects.toThrow();
      await expect(db.insertMany('mix', ['id', 'flag', 'label'], [...bad].reverse())).rejects.toThrow();
      expect(Number((await db.queryOne<{ n: number }>('SELECT count(*) AS n FROM mix'))?.n)).toBe(173);
      await db.run('DROP TABLE mix');
    });

    it('commits and rolls back transactions, with nested savepoints', async () => {
      await db.run('DELETE FROM t');
      await db.transaction(async (tx) => {
        await tx.run('INSERT INTO t (id, name) VALUES (?, ?)', [10, 'kept']);
      });
      await expect(
        db.transaction(async (tx) => {
          await tx.run('INSERT INTO t (id, name) VALUES (?, ?)', [11, 'lost']);
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      await db.transaction(async (tx) => {
        await tx.run('INSERT INTO t (id, name) VALUES (?, ?)', [12, 'outer']);
        await expect(
          tx.transaction(async (inner) => {
            await inner.run('INSERT INTO t (id, name) VALUES (?, ?)', [13, 'inner']);
            throw new Error('inner');
          }),
        ).rejects.toThrow('inner');
      });
      await expect(
        db.transaction(async (tx) => {
          await tx.insertMany('t', ['id', 'name'], [[20, 'a'], [21, 'b']]);
          await tx.run('INSERT INTO t (id, name) VALUES (?, ?)', [20, 'duplicate']);
        }),
      ).rejects.toThrow();
      const ids = (await db.query<{ id: number }>('SELECT id FROM t ORDER BY id')).map((r) => r.id);
      expect(ids).toEqual([10, 12]);
    });
  });
}
