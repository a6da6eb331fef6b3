/**
 * What applyPlan needs around an SQLite transaction.
 *
 * The write lock is a lock file beside the database (`<db>.synapse-doctor.lock`, created
 * exclusively, holding our pid and host), separate from the transaction: the transaction itself
 * is a BEGIN IMMEDIATE (SQLite's RESERVED lock), taken later. A lock file whose process is gone on
 * this host (a SIGKILLed run) is stale and taken over.
 *
 * Liveness: another process holding the database file or its -wal/-shm open, found by scanning
 * /proc/<pid>/fd on Linux (Synapse holds its single connection for the life of the process). A
 * leftover -wal with no process is what a crash leaves: a note, not evidence.
 */
import { existsSync, linkSync, readdirSync, readFileSync, readlinkSync, realpathSync, unlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { SynapseDoctorError } from '../../../errors.js';

export function lockFilePath(dbPath: string): string {
  return `${realpathSync(dbPath)}.synapse-doctor.lock`;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function acquireLockFile(dbPath: string, description: string): () => Promise<void> {
  const path = lockFilePath(dbPath);
  const body = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() }) + '\n';
  // The lock appears whole or not at all: written to a private file, then hard-linked into place
  // (link fails if the lock exists). Killed in between, no empty lock file is left to block forever.
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, body, { mode: 0o600 });
  } catch (e) {
    throw new SynapseDoctorError('DB_ERROR', `cannot create the lock file ${path}: ${(e as Error).message}`, {
      cause: e,
      hint: 'synapse-doctor writes its lock, journal and backup beside the database; run it as a user who can write there.',
    });
  }
  try {
    return takeLock(path, tmp, description);
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // already gone
    }
  }
}

function takeLock(path: string, tmp: string, description: string): () => Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      try {
        linkSync(tmp, path);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw e;
        // no hard links on this filesystem: create it exclusively and write it (not atomic)
        writeFileSync(path, readFileSync(tmp), { flag: 'wx', mode: 0o600 });
      }
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new SynapseDoctorError('DB_ERROR', `cannot create the lock file ${path}: ${(e as Error).message}`, {
          cause: e,
          hint: 'synapse-doctor writes its lock, journal and backup beside the database; run it as a user who can write there.',
        });
      }
      let holder: { pid?: unknown; host?: unknown } = {};
      try {
        holder = JSON.parse(readFileSync(path, 'utf8')) as typeof holder;
      } catch {
        // unreadable or half-written: treat as held, the admin decides
      }
      const sameHost = holder.host === hostname();
      if (attempt === 0 && sameHost && typeof holder.pid === 'number' && !processAlive(holder.pid)) {
        unlinkSync(path); // stale: its process is gone
        continue;
      }
      throw new SynapseDoctorError('LOCK_HELD', `another synapse-doctor is writing to ${description} (lock file ${path}${typeof holder.pid === 'number' ? `, pid ${holder.pid}` : ''})`, {
        hint: sameHost ? 'Wait for it to finish.' : `Wait for it to finish; if no synapse-doctor runs, delete ${path}.`,
      });
    }
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      try {
        unlinkSync(path);
      } catch {
        // already gone
      }
    };
  }
  throw new SynapseDoctorError('LOCK_HELD', `another synapse-doctor is writing to ${description}`);
}

/** Processes other than this one with one of `paths` open (Linux /proc). undefined when /proc is unusable. */
export function processesHolding(paths: readonly string[]): { pid: number; path: string }[] | undefined {
  if (process.platform !== 'linux' || !existsSync('/proc/self/fd')) return undefined;
  const wanted = new Set(paths);
  const found: { pid: number; path: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue; // gone, or not ours to see
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${entry}/fd/${fd}`);
      } catch {
        continue;
      }
      if (wanted.has(target)) {
        found.push({ pid, path: target });
        break;
      }
    }
  }
  return found;
}

export function sqliteOtherUsers(dbPath: string): { evidence: string[]; notes: string[] } {
  const evidence: string[] = [];
  const notes: string[] = [];
  const path = realpathSync(dbPath);
  const wal = `${path}-wal`;
  const holders = processesHolding([path, wal, `${path}-shm`]);
  if (holders === undefined) notes.push(`cannot list processes holding ${path} on this platform`);
  else for (const h of holders) evidence.push(`process ${h.pid} has ${h.path} open`);
  if (existsSync(wal) && holders !== undefined && holders.length === 0) {
    notes.push(`${wal} exists but no process holds the database: probably left by an unclean shutdown`);
  }
  return { evidence, notes };
}
