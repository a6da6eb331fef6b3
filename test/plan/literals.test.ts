/**
 * Every value an SQL file may carry reads back exactly, on each engine: the literal, evaluated by
 * the real server, equals the value bound as a parameter.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statement, type SqlValue } from '../../src/store/engine/engine.js';
import { ENGINES, emptyDatabase, type EmptyDatabase } from '../support/engines.js';

const TEXTS = [
  '',
  "it's",
  "''",
  'back\\slash \\x41 \\\\ E\'\\\'',
  'tab\tnewline\ncr\r',
  '\u0001\u001b[31m\u007f\u0085\u009b',
  '\u202e\u2066\u2069\u200e\u2028\u2029\ufeff',
  '🧪 中文 é ÿ',
  '? $1 $$ $a$ -- /* */',
  "'); DROP TABLE t; --",
];

for (const kind of ENGINES) {
  describe(`${kind}: SQL literals`, () => {
    let db: EmptyDatabase;
    beforeAll(async () => {
      db = await emptyDatabase(kind);
    });
    afterAll(async () => {
      await db.cleanup();
    });

    it('text reads back exactly', async () => {
      for (const t of TEXTS) {
        const lit = db.engine.dialect.literal(t);
        expect(lit).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2028\u2029\ufeff]/);
        const row = await db.engine.queryOne<{ v: string }>(`SELECT ${lit} AS v`);
        expect(row!.v).toBe(t);
      }
    });

    it('numbers, booleans, NULL and bytes read back exactly', async () => {
      const cases: SqlValue[] = [0, -1, 2 ** 53 - 1, -(2 ** 53 - 1), 1.5, 0.1, 1e-7, null, Uint8Array.of(0, 0x27, 0x5c, 0xff)];
      for (const v of cases) {
        const row = await db.engine.queryOne<{ v: unknown }>(`SELECT ${db.engine.dialect.literal(v)} AS v`);
        if (v instanceof Uint8Array) expect([...(row!.v as Uint8Array)]).toEqual([...v]);
        else expect(row!.v).toBe(v);
      }
      // beyond 2^53 (read back as numbers by design): the server must still see the exact integer
      const big = await db.engine.queryOne<{ v: unknown }>(`SELECT ${db.engine.dialect.literal(9007199254740993n)} - 9007199254740992 AS v`);
      expect(Number(big!.v)).toBe(1);
      const t = await db.engine.queryOne<{ v: unknown }>(`SELECT ${db.engine.dialect.literal(true)} AS v`);
      expect(t!.v === true || t!.v === 1).toBe(true);
    });

    it('inline() puts literals exactly where the placeholders are, not inside strings or comments', async () => {
      const s = statement("SELECT ? AS a, '?' AS b, ? AS c -- ?\n", ["x'y", 7]);
      const text = db.engine.dialect.inline(s);
      expect(await db.engine.queryOne(text)).toEqual({ a: "x'y", b: '?', c: 7 });
      expect(() => db.engine.dialect.inline(statement('SELECT ?', []))).toThrow(/placeholders/);
      expect(() => db.engine.dialect.inline(statement('SELECT 1', [1]))).toThrow(/placeholders/);
    });
  });
}

describe('compiling without a connection', () => {
  it('gives each engine its own placeholders, and scripts their literals, from the name alone', async () => {
    const { compileFor, DIALECTS } = await import('../../src/store/engine/dialects.js');
    const s = statement("SELECT * FROM events WHERE room_id = ? AND type = '?' AND depth > ?", ['!r:x', 3]);
    expect(compileFor('postgres', s).text).toBe("SELECT * FROM events WHERE room_id = $1 AND type = '?' AND depth > $2");
    expect(compileFor('sqlite', s).text).toBe(s.sql);
    expect(DIALECTS.postgres.inline(s)).toBe("SELECT * FROM events WHERE room_id = '!r:x' AND type = '?' AND depth > 3");
    expect(DIALECTS.sqlite.literal(true)).toBe('1');
    expect(DIALECTS.postgres.literal(true)).toBe('TRUE');
    expect(DIALECTS.postgres.literal('a\\\\b')).toBe("E'a\\\\\\\\b'");
  });
});
