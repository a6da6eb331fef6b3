/**
 * SQLite driver errors as SynapseDoctorErrors (the original kept as `cause`). The engine maps every
 * failure of every call through here, so no caller sees a raw better-sqlite3 error.
 */
import { accessSync, closeSync, constants, openSync, readSync } from 'node:fs';
import { dirname } from 'node:path';
import { SynapseDoctorError, isSynapseDoctorError } from '../../../errors.js';

/** Is the file an SQLite database in WAL mode (header bytes 18–19 are 2)? */
function inWalMode(path: string): boolean {
  try {
    const fd = openSync(path, 'r');
    try {
      const header = Buffer.alloc(20);
      return readSync(fd, header, 0, 20, 0) === 20 && header[18] === 2 && header[19] === 2;
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

function writableDirectory(path: string): boolean {
  try {
    accessSync(dirname(path), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export function mapSqliteError(e: unknown, path: string): SynapseDoctorError {
  if (isSynapseDoctorError(e)) return e;
  const code = (e as { code?: string }).code ?? '';
  const message = (e as Error).message ?? String(e);
  if (code === 'SQLITE_NOTADB' || /file is not a database/i.test(message)) {
    return new SynapseDoctorError('DB_NOT_SYNAPSE', `${path} is not an SQLite database`, { cause: e, hint: 'Point --db at the file named by database.args.database in homeserver.yaml.' });
  }
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED') || /database is locked/i.test(message)) {
    return new SynapseDoctorError('DB_LOCKED', `${path} is locked by another process`, { cause: e, hint: 'Stop Synapse (or whatever holds the database) and try again.' });
  }
  if (code.startsWith('SQLITE_CORRUPT') || /malformed/i.test(message)) {
    return new SynapseDoctorError('DB_ERROR', `SQLite reports ${path} as damaged: ${message}`, {
      cause: e,
      hint: "Run `sqlite3 FILE 'PRAGMA integrity_check'`; restore from a backup before writing anything.",
    });
  }
  // Reading a WAL-mode database needs its -wal and -shm files, which SQLite creates beside it.
  if ((code.startsWith('SQLITE_READONLY') || code.startsWith('SQLITE_CANTOPEN')) && inWalMode(path) && !writableDirectory(path)) {
    return new SynapseDoctorError('DB_ERROR', `cannot read ${path}: it is in WAL mode, so SQLite must create ${path}-wal and ${path}-shm, and this user cannot write to ${dirname(path)}`, {
      cause: e,
      hint: "Run as Synapse's user, or copy the file (with its -wal, Synapse stopped) to a writable directory and pass the copy.",
    });
  }
  if (code === 'SQLITE_CANTOPEN') {
    return new SynapseDoctorError('DB_NOT_FOUND', `cannot open SQLite database ${path}`, { cause: e });
  }
  return new SynapseDoctorError('DB_ERROR', `SQLite error on ${path}: ${message}`, { cause: e });
}

