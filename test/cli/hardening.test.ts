/**
 * Issue 7 (hardening), items 3, 4 and 8, through the built CLI: each bad input gets one line, its
 * exit code, no password and no change to any file.
 *   3  --state-db with SQLite is refused; the same PostgreSQL database named twice is one database
 *   4  a WAL-mode SQLite file in a directory this user cannot write: why, and what to do
 *   8  PostgreSQL: a bad port is a usage error; no database named; permission denied; --config at
 *      an SQLite file; a relative SQLite path in homeserver.yaml that does not exist
 */
import { execFileSync } from 'node:child_process';
import { chmod, copyFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildScenario } from '../../src/simulator/scenarios/index.js';
import { ENGINES, freshSynapseDatabase, pgAdminUrl, rawEngine, uniqueName, type FreshDatabase } from '../support/engines.js';
import { expectOneErrorLine, runCli, stackLines } from './run-cli.js';

describe('cli hardening: SQLite and configuration', () => {
  let dir: string;
  let db: FreshDatabase;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sd-harden-'));
    db = await freshSynapseDatabase('sqlite', 94);
    await buildScenario('rejection-chain', { engine: rawEngine(db.db), version: 94 });
    await db.db.close();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await db.cleanup();
  });

  it('--state-db with an SQLite file: exit 2, one line', async () => {
    const before = await readFile(db.url);
    const r = await runCli(['inspect', '--db', db.url, '--state-db', db.url]);
    expect(r.code).toBe(2);
    expect(expectOneErrorLine(r.stderr).message).toMatch(/--state-db names a separate PostgreSQL state database/);
    expect((await readFile(db.url)).equals(before)).toBe(true);
  });

  it('--config pointing at an SQLite file: exit 3, suggests --db', async () => {
    const r = await runCli(['inspect', '--config', db.url]);
    expect(r.code).toBe(3);
    const e = expectOneErrorLine(r.stderr);
    expect(e.message).toMatch(/is an SQLite database, not a homeserver\.yaml/);
    expect(e.hint).toMatch(/--db/);
  });

  it('a relative SQLite path in homeserver.yaml that does not exist: the message names the config file', async () => {
    const yaml = join(dir, 'homeserver.yaml');
    await writeFile(yaml, 'database:\n  name: sqlite3\n  args:\n    database: data/homeserver.db\n');
    const r = await runCli(['inspect', '--config', yaml], { cwd: dir });
    expect(r.code).toBe(3);
    const e = expectOneErrorLine(r.stderr);
    expect(e.message).toContain(yaml);
    expect(e.message).toContain('relative to the current directory');
  });

  it('a WAL-mode database in a directory this user cannot write: exit 4, explains -wal/-shm, the file unchanged', async () => {
    const wal = await mkdtemp(join(dir, 'wal-'));
    const path = join(wal, 'homeserver.db');
    await copyFile(db.url, path);
    execFileSync(process.execPath, ['-e', `const D=require(${JSON.stringify(require.resolve('better-sqlite3'))});const d=new D(${JSON.stringify(path)});d.pragma('journal_mode = WAL');d.close()`]);
    const before = await readFile(path);
    await chmod(path, 0o644);
    await chmod(wal, 0o555);
    let r;
    try {
      if (process.getuid?.() === 0) {
        // root writes anywhere: run the CLI as root without the capabilities that bypass file
        // permissions (util-linux setpriv), so the directory's mode applies to it as its owner
        const drop = ['--inh-caps=-dac_override,-dac_read_search', '--bounding-set=-dac_override,-dac_read_search', '--'];
        try {
          execFileSync('setpriv', [...drop, process.execPath, join(__dirname, '../../bin/synapse-doctor.js'), 'inspect', '--db', path], { stdio: 'pipe' });
          r = { code: 0, stderr: '' };
        } catch (e) {
          const x = e as { status: number; stderr: Buffer };
          r = { code: x.status, stderr: x.stderr.toString() };
        }
      } else {
        r = await runCli(['inspect', '--db', path]);
      }
    } finally {
      await chmod(wal, 0o755);
    }
    expect(r.code).toBe(4);
    const e = expectOneErrorLine(r.stderr);
    expect(e.message).toMatch(/WAL mode/);
    expect(e.message).toContain(`${path}-shm`);
    expect(e.hint).toMatch(/copy the file/);
    expect(stackLines(r.stderr)).toEqual([]);
    expect((await readFile(path)).equals(before)).toBe(true);
  });

  it('a PostgreSQL URL with a bad port is a usage error (exit 2) and never shows the password', async () => {
    for (const port of ['99999', 'abc', '0']) {
      const r = await runCli(['inspect', '--db', `postgres://synapse:hunter2secret@localhost:${port}/synapse`]);
      expect(r.code, r.stderr).toBe(2);
      expect(expectOneErrorLine(r.stderr).message).toMatch(/port/);
      expect(r.stderr).not.toContain('hunter2secret');
    }
  });
});

describe.skipIf(!ENGINES.includes('postgres'))('cli hardening: PostgreSQL', () => {
  let role: string;
  let db: FreshDatabase;
  const roleUrl = (database: string): string => {
    const u = new URL(pgAdminUrl());
    u.username = role;
    u.password = 'sd-role-pw';
    u.pathname = `/${database}`;
    return u.toString();
  };
  const admin = async (sql: string): Promise<void> => {
    const c = new pg.Client({ connectionString: pgAdminUrl() });
    await c.connect();
    try {
      await c.query(sql);
    } finally {
      await c.end();
    }
  };
  beforeAll(async () => {
    role = uniqueName('sd_role');
    await admin(`CREATE ROLE "${role}" LOGIN PASSWORD 'sd-role-pw'`);
    db = await freshSynapseDatabase('postgres', 94);
    await db.db.close();
  });
  afterAll(async () => {
    await db.cleanup();
    await admin(`DROP ROLE IF EXISTS "${role}"`);
  });

  it('no database named: says PostgreSQL tried the user\'s name (exit 3)', async () => {
    const r = await runCli(['inspect', '--db', roleUrl('')]);
    expect(r.code, r.stderr).toBe(3);
    const e = expectOneErrorLine(r.stderr);
    expect(e.message).toMatch(/names no database, so PostgreSQL tried the user's name/);
    expect(e.message).toContain(role);
    expect(r.stderr).not.toContain('sd-role-pw');
  });

  it('permission denied: suggests the GRANT (exit 4)', async () => {
    const name = new URL(db.url).pathname.slice(1);
    const r = await runCli(['inspect', '--db', roleUrl(name)]);
    expect(r.code, r.stderr).toBe(4);
    const e = expectOneErrorLine(r.stderr);
    expect(e.message).toMatch(/permission denied/);
    expect(e.hint).toMatch(/GRANT SELECT ON ALL TABLES IN SCHEMA public/);
  });

  it('--state-db naming the same database as --db is one database: no "Synapse appears to be running"', async () => {
    const r = await runCli(['inspect', '--db', db.url, '--state-db', db.url]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/running/);
  });
});
