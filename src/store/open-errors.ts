/**
 * Turns driver errors raised while opening a database into one-line SynapseDoctorErrors with the
 * original kept as `cause`. Messages never include a password.
 */
import { SynapseDoctorError, isSynapseDoctorError } from '../errors.js';
import { maskSecrets } from './connection-string.js';

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNRESET', 'ENOENT']);

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
  if (code === 'SQLITE_CANTOPEN') {
    return new SynapseDoctorError('DB_NOT_FOUND', `cannot open SQLite database ${path}`, { cause: e });
  }
  return new SynapseDoctorError('DB_ERROR', `SQLite error on ${path}: ${message}`, { cause: e });
}

export function mapPostgresError(e: unknown, description: string, secrets: readonly (string | undefined)[] = []): SynapseDoctorError {
  if (isSynapseDoctorError(e)) return e;
  const code = (e as { code?: string }).code ?? '';
  const raw = maskSecrets((e as Error).message ?? String(e), secrets).split('\n')[0];
  if (code === '28P01' || code === '28000') {
    return new SynapseDoctorError('DB_AUTH_FAILED', `authentication failed for ${description}: ${raw}`, {
      cause: e,
      hint: 'Check the user and password (database.args in homeserver.yaml).',
    });
  }
  if (code === '3D000') {
    return new SynapseDoctorError('DB_NOT_FOUND', `database does not exist: ${description}`, { cause: e });
  }
  if (UNREACHABLE.has(code) || /timeout|timed out|terminated unexpectedly/i.test(raw)) {
    return new SynapseDoctorError('DB_UNREACHABLE', `cannot reach PostgreSQL at ${description} (${code || raw})`, {
      cause: e,
      hint: 'Is the server running, and are host and port right?',
    });
  }
  return new SynapseDoctorError('DB_ERROR', `PostgreSQL error on ${description}: ${raw}`, { cause: e });
}
