/**
 * SQLite driver errors as SynapseDoctorErrors (the original kept as `cause`). The engine maps every
 * failure of every call through here, so no caller sees a raw better-sqlite3 error.
 */
import { SynapseDoctorError, isSynapseDoctorError } from '../../../errors.js';

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
  if (code === 'SQLITE_CANTOPEN') {
    return new SynapseDoctorError('DB_NOT_FOUND', `cannot open SQLite database ${path}`, { cause: e });
  }
  return new SynapseDoctorError('DB_ERROR', `SQLite error on ${path}: ${message}`, { cause: e });
}

