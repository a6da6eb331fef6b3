/**
 * The event pass's worker threads open sessions of their own. Where the server refuses them (here a
 * role with CONNECTION LIMIT 1, which the main session uses up) the pass is done on the main
 * connection instead: the same findings, no failed check. PostgreSQL only: an SQLite file cannot
 * refuse a second reader.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES, pgAdminUrl, uniqueName } from '../support/engines.js';
import { buildBase, copyOf, findingsOf, fired, fsck, withRaw, type Base } from './support.js';

async function asAdmin(database: string, sql: string): Promise<void> {
  const u = new URL(pgAdminUrl());
  u.pathname = `/${database}`;
  const c = new pg.Client({ connectionString: u.toString() });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

describe.skipIf(!ENGINES.includes('postgres'))('postgres: fsck event pass when its threads cannot connect', () => {
  let base: Base;
  beforeAll(async () => {
    base = await buildBase('postgres', 'healthy', 94);
  });
  afterAll(async () => {
    await base?.cleanup();
  });

  it('a role allowed one session: the pass runs on the main connection and finds what it finds with threads', async () => {
    const copy = await copyOf(base);
    const role = uniqueName('sd_one_session');
    const password = randomBytes(12).toString('hex');
    const database = new URL(copy.url).pathname.slice(1);
    try {
      let id = '';
      await withRaw(copy.url, async (e) => {
        const r = await e.queryOne<{ event_id: string }>("SELECT event_id FROM events WHERE type = 'm.room.message' ORDER BY stream_ordering LIMIT 1");
        id = String(r!.event_id);
        await e.run('DELETE FROM event_json WHERE event_id = ?', [id]);
      });
      const threaded = await fsck(copy.url);
      expect(fired(threaded)).toEqual(['events.missing-json']);

      await asAdmin(database, `CREATE ROLE ${role} LOGIN PASSWORD '${password}' CONNECTION LIMIT 1`);
      await asAdmin(database, `GRANT CONNECT ON DATABASE "${database}" TO ${role}; GRANT USAGE ON SCHEMA public TO ${role};
        GRANT SELECT ON ALL TABLES IN SCHEMA public TO ${role}; GRANT SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role}`);
      const u = new URL(copy.url);
      u.username = role;
      u.password = password;
      const limited = await fsck(u.toString());
      expect(fired(limited)).toEqual(['events.missing-json']);
      expect(limited.code).toBe(1);
      expect(findingsOf(limited, 'events.missing-json')).toEqual(findingsOf(threaded, 'events.missing-json'));
      expect(findingsOf(limited, 'events.missing-json')).toMatchObject([{ count: 1, sample: [{ event_id: id }] }]);
      expect(limited.report.checks.filter((c) => c.status === 'failed')).toEqual([]);
      expect(limited.stderr).not.toContain(password);
    } finally {
      await copy.cleanup();
      await asAdmin('postgres', `DROP ROLE IF EXISTS ${role}`);
    }
  });
});
