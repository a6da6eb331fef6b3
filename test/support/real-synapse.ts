/**
 * The databases a real Synapse 1.67 wrote (../shared/real-synapse, beside the project), for tests
 * that read them when present and skip cleanly otherwise. Never opened in place: SQLite files are
 * copied to a scratch folder, Q's dump is restored into a fresh database on the test server.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPgDatabase, dropPgDatabase, pgUrlFor } from './engines.js';

export const REAL = fileURLToPath(new URL('../../../shared/real-synapse/', import.meta.url));

/** Whether every named file (paths under REAL) is there; by default P and NEW, one of each set. */
export function haveRealSynapse(files: readonly string[] = ['dev-chain/hsP-broken.db', 'dev-migration/hsNEW-new.db']): boolean {
  return files.every((f) => existsSync(join(REAL, f)));
}

export const havePgRestore = (() => {
  try {
    execFileSync('pg_restore', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Runs `fn` on a scratch copy (`homeserver.db` in a new folder, also passed) of one SQLite file under REAL. */
export async function withRealCopy<T>(file: string, fn: (path: string, dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sd-real-'));
  try {
    const path = join(dir, 'homeserver.db');
    await copyFile(join(REAL, file), path);
    return await fn(path, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Runs `fn` on server Q, restored from its dump into a fresh database (dropped afterwards). */
export async function withRestoredQ<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const name = await createPgDatabase();
  try {
    const url = pgUrlFor(name);
    execFileSync('pg_restore', ['--no-owner', '--no-acl', '-d', url, join(REAL, 'dev-chain', 'hsQ-peer.pgdump')], { stdio: 'pipe' });
    return await fn(url);
  } finally {
    await dropPgDatabase(name);
  }
}
