import { spawn } from 'node:child_process';
import { copyFile, mkdtemp, open, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyDatabase, ENGINES, freshSynapseDatabase, pgAdminUrl, type FreshDatabase, rawEngine } from '../support/engines.js';
import { BIN, expectOneErrorLine, runCli, stackLines } from './run-cli.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'synapse-doctor-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('cli: error classes and exit codes', () => {
  it('exits 3 with one line and no stack for a missing database file', async () => {
    const r = await runCli(['inspect', '--db', join(dir, 'missing.db')]);
    expect(r.code).toBe(3);
    expect(expectOneErrorLine(r.stderr).message).toContain('missing.db');
    expect(stackLines(r.stderr)).toEqual([]);
    expect(r.stdout).toBe('');
  });

  it('exits 3 for a file that is not a database, and for an SQLite database that is not Synapse’s', async () => {
    const text = join(dir, 'notes.txt');
    await writeFile(text, 'hello, this is not SQLite\n'.repeat(100));
    const r1 = await runCli(['inspect', '--db', text]);
    expect(r1.code).toBe(3);
    expectOneErrorLine(r1.stderr);
    const empty = await emptyDatabase('sqlite');
    await empty.engine.exec('CREATE TABLE something (x INTEGER)');
    await empty.engine.close();
    const r2 = await runCli(['inspect', '--db', empty.url, '--json']);
    expect(r2.code).toBe(3);
    expect(JSON.parse(r2.stdout).error.code).toBe('DB_NOT_SYNAPSE');
    expectOneErrorLine(r2.stderr);
    await empty.cleanup();
  });

  it('exits 4, not 70, when the SQLite file is corrupt', async () => {
    const demo = join(dir, 'demo-for-corruption');
    expect((await runCli(['demo', demo])).code).toBe(0);
    const corrupt = join(dir, 'corrupt.db');
    await copyFile(join(demo, 'homeserver.db'), corrupt);
    const { size } = await stat(corrupt);
    const fh = await open(corrupt, 'r+');
    for (let off = 8192; off < size; off += 4096 * 3) await fh.write(Buffer.alloc(200, 0xff), 0, 200, off + 100);
    await fh.close();
    const r = await runCli(['inspect', '--db', corrupt, '--json']);
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).error.code).toBe('DB_ERROR');
    expect(stackLines(r.stderr)).toEqual([]);
  });

  it('exits 2 for an unknown flag, a missing argument and no database at all', async () => {
    const r1 = await runCli(['inspect', '--frobnicate']);
    expect(r1.code).toBe(2);
    expect(expectOneErrorLine(r1.stderr).message).toContain('--frobnicate');
    const r2 = await runCli(['inspect', '--room']);
    expect(r2.code).toBe(2);
    expectOneErrorLine(r2.stderr);
    const r3 = await runCli(['inspect']);
    expect(r3.code).toBe(2);
    expectOneErrorLine(r3.stderr);
    const r4 = await runCli(['no-such-command']);
    expect(r4.code).toBe(2);
    const r5 = await runCli(['inspect', '--frobnicate', '--json']);
    expect(JSON.parse(r5.stdout)).toEqual({ error: { code: 'USAGE', message: expect.stringContaining('--frobnicate'), hint: expect.any(String) } });
  });

  it('shows the stack and causes only with --debug', async () => {
    const r = await runCli(['inspect', '--db', join(dir, 'missing.db'), '--debug']);
    expect(r.code).toBe(3);
    expect(stackLines(r.stderr).length).toBeGreaterThan(0);
  });

  it('prints --version and --help and exits 0', async () => {
    const v = await runCli(['--version']);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    const h = await runCli(['--help']);
    expect(h.code).toBe(0);
    expect(h.stdout).toContain('Examples:');
    expect(h.stdout).toContain('inspect');
  });

  it('exits 130 on SIGINT', async () => {
    const child = spawn(process.execPath, [BIN, 'pdu', 'canonical', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    await new Promise((r) => setTimeout(r, 700)); // let it start and block on stdin
    child.kill('SIGINT');
    const code = await new Promise<number | null>((r) => child.on('close', (c) => r(c)));
    expect(code).toBe(130);
    expect(stderr).toContain('interrupted');
  });

  it('exits 4 for an unreachable PostgreSQL server', async () => {
    const r = await runCli(['inspect', '--db', 'postgres://synapse:hunter2secret@127.0.0.1:1/synapse']);
    expect(r.code).toBe(4);
    expectOneErrorLine(r.stderr);
    expect(r.stderr + r.stdout).not.toContain('hunter2secret');
  });

  it.skipIf(!ENGINES.includes('postgres'))('exits 4 for a wrong PostgreSQL password and never prints it', async () => {
    const url = new URL(pgAdminUrl());
    url.password = 'Wr0ngPassw0rd-42';
    const r = await runCli(['inspect', '--db', url.toString(), '--json', '--debug']);
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout).error.code).toBe('DB_AUTH_FAILED');
    expect(r.stderr + r.stdout).not.toContain('Wr0ngPassw0rd-42');
    const env = await runCli(['inspect'], { env: { SYNAPSE_DOCTOR_DB: url.toString() } });
    expect(env.code).toBe(4);
    expect(env.stderr).not.toContain('Wr0ngPassw0rd-42');
  });
});

for (const engine of ENGINES) {
  describe(`${engine}: cli errors that need a database`, () => {
    let fresh: FreshDatabase;
    beforeAll(async () => {
      fresh = await freshSynapseDatabase(engine, 94);
      await fresh.db.close(); // an open connection of ours would look like a running Synapse
    });
    afterAll(async () => {
      await fresh.cleanup();
    });

    it('exits 3 for an unknown room', async () => {
      const r = await runCli(['inspect', '--db', fresh.url, '--room', '!nope:example.org', '--json']);
      expect(r.code).toBe(3);
      expect(JSON.parse(r.stdout).error.code).toBe('ROOM_NOT_FOUND');
      expect(expectOneErrorLine(r.stderr).message).toContain('!nope:example.org');
    });

    it('exits 5 for an unsupported schema version', async () => {
      const old = await freshSynapseDatabase(engine, 94);
      try {
        await rawEngine(old.db).run('UPDATE schema_version SET version = ?', [50]);
        await old.db.close();
        const r = await runCli(['inspect', '--db', old.url, '--json']);
        expect(r.code).toBe(5);
        expect(JSON.parse(r.stdout).error.code).toBe('SCHEMA_UNSUPPORTED');
        expect(expectOneErrorLine(r.stderr).message).toContain('50');
      } finally {
        await old.cleanup();
      }
    });
  });
}
