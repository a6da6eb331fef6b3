/**
 * PostgreSQL driver errors as SynapseDoctorErrors (the original kept as `cause`), with any password
 * masked. The engine maps every failure of every call through here.
 */
import { SynapseDoctorError, isSynapseDoctorError } from '../../../errors.js';
import { maskSecrets } from '../../connection-string.js';

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EAI_AGAIN', 'ECONNRESET', 'ENOENT']);

export function mapPostgresError(e: unknown, description: string): SynapseDoctorError {
  if (isSynapseDoctorError(e)) return e;
  const code = (e as { code?: string }).code ?? '';
  const raw = maskSecrets((e as Error).message ?? String(e)).split('\n')[0];
  if (code === '28P01' || code === '28000') {
    return new SynapseDoctorError('DB_AUTH_FAILED', `authentication failed for ${description}: ${raw}`, {
      cause: e,
      hint: 'Check the user and password (database.args in homeserver.yaml).',
    });
  }
  if (/password must be a string|no password (was )?(supplied|provided)/i.test(raw)) {
    return new SynapseDoctorError('DB_AUTH_FAILED', `no password for ${description}`, {
      cause: e,
      hint: 'Give it in the URL (--db postgres://user:PASSWORD@…), in PGPASSWORD, or in ~/.pgpass; journals never store passwords.',
    });
  }
  if (code === '3D000') {
    // libpq and pg connect to a database named like the user when the URL names none
    if (description.endsWith('/')) {
      return new SynapseDoctorError('DB_NOT_FOUND', `${raw} on ${description}: the URL names no database, so PostgreSQL tried the user's name`, {
        cause: e,
        hint: 'Name Synapse\'s database in the URL: postgres://USER@HOST:PORT/synapse (database.args.database in homeserver.yaml).',
      });
    }
    return new SynapseDoctorError('DB_NOT_FOUND', `database does not exist: ${description}`, { cause: e });
  }
  if (code === '42501') {
    return new SynapseDoctorError('DB_ERROR', `permission denied on ${description}: ${raw}`, {
      cause: e,
      hint: 'Connect as the user Synapse uses (database.args.user), or let this user read Synapse\'s tables: GRANT SELECT ON ALL TABLES IN SCHEMA public TO <user>; writing needs Synapse\'s own user.',
    });
  }
  if (UNREACHABLE.has(code) || /timeout|timed out|terminated unexpectedly/i.test(raw)) {
    return new SynapseDoctorError('DB_UNREACHABLE', `cannot reach PostgreSQL at ${description} (${code || raw})`, {
      cause: e,
      hint: 'Is the server running, and are host and port right?',
    });
  }
  return new SynapseDoctorError('DB_ERROR', `PostgreSQL error on ${description}: ${raw}`, { cause: e });
}
