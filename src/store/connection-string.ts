/**
 * PostgreSQL connection strings: recognising them, masking passwords, and turning Synapse's
 * psycopg2 `args` into a URL that pg understands. Passwords never reach a description or a message.
 */
import type pg from 'pg';

const PG_URL = /^postgres(?:ql)?:\/\//i;
/** libpq keywords Synapse passes through that our driver has no use for. */
const IGNORED_ARGS = new Set(['cp_min', 'cp_max', 'cp_reconnect', 'cp_noisy', 'cp_openfun']);

export function isPostgresUrl(s: string): boolean {
  return PG_URL.test(s);
}

/**
 * The password positions of a connection string, and only those: a URL's `user:PASSWORD@` (any
 * scheme; up to the last `@` of the authority, as URL parsers read it), a `password=` query
 * parameter, and a libpq keyword `password=value` (quoted or not). Nothing else in a text is ever
 * touched, so a password that happens to be a substring of a host, user or database name neither
 * garbles the message nor reveals itself by what was masked.
 */
const URL_PASSWORD = /([a-z][a-z0-9+.-]*:\/\/[^:/?#@\s]*:)([^/?#\s]*)@/gi;
const QUERY_PASSWORD = /([?&]password=)([^&#\s]*)/gi;
const KEYWORD_PASSWORD = /(^|[\s,;(])(password\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s,;)]+)/gi;

/** Replaces every password position (see above) with `***`. */
export function maskConnectionString(s: string): string {
  return s.replace(URL_PASSWORD, '$1***@').replace(QUERY_PASSWORD, '$1***').replace(KEYWORD_PASSWORD, '$1$2***');
}

/** Masks the password positions of any connection string quoted in free text (error messages). */
export function maskSecrets(text: string): string {
  return maskConnectionString(text);
}

/**
 * Parses a postgres:// URL with WHATWG URL. libpq (and pg) accept an empty host with credentials
 * (`postgres://u:p@/db?host=/run/postgresql`), which WHATWG rejects: such URLs get a placeholder
 * host, reported as '' in `hostname`.
 */
export function parsePostgresUrl(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    try {
      const u = new URL(url.replace('@/', '@pg-empty-host.invalid/'));
      if (u.hostname === 'pg-empty-host.invalid') u.hostname = '';
      return u;
    } catch {
      return undefined;
    }
  }
}

/** Why a postgres:// URL cannot be used (unparsable, a bad port), or undefined when it can. */
export function postgresUrlProblem(url: string): string | undefined {
  // host[:port] is what follows the authority's last '@' (a password may hold ':' but not '@' unencoded)
  const authority = url.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split(/[/?#]/)[0] ?? '';
  const hostPort = authority.slice(authority.lastIndexOf('@') + 1);
  const portText = /^(?:\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(hostPort)?.[1];
  const u = parsePostgresUrl(url);
  const port = portText ?? u?.searchParams.get('port') ?? undefined;
  if (port !== undefined && port !== '' && !(/^\d+$/.test(port) && Number(port) >= 1 && Number(port) <= 65535)) {
    return `the port ${JSON.stringify(port)} is not a number from 1 to 65535`;
  }
  if (!u) return 'it cannot be parsed as a URL';
  return undefined;
}

/** What we print for a PostgreSQL target: `postgres://user@host:port/db` without the password. */
export function describePostgresUrl(url: string): string {
  const u = parsePostgresUrl(url);
  if (!u) return maskConnectionString(url);
  {
    const host = u.searchParams.get('host') ?? (u.hostname || 'localhost');
    const port = u.port || u.searchParams.get('port') || '5432';
    const db = decodeURIComponent(u.pathname.replace(/^\//, '')) || u.searchParams.get('dbname') || u.searchParams.get('db') || '';
    const user = decodeURIComponent(u.username) || u.searchParams.get('user') || '';
    return `postgres://${user ? `${user}@` : ''}${host.startsWith('/') ? `${host}:${port}` : `${host}:${port}`}/${db}`;
  }
}

export function passwordOfUrl(url: string): string | undefined {
  const u = parsePostgresUrl(url);
  if (!u) return undefined;
  return (u.password ? decodeURIComponent(u.password) : undefined) ?? u.searchParams.get('password') ?? undefined;
}

export function databaseOfUrl(url: string): string {
  const u = parsePostgresUrl(url);
  if (!u) return '';
  return decodeURIComponent(u.pathname.replace(/^\//, '')) || u.searchParams.get('dbname') || '';
}

/**
 * pg client settings for a URL. `connect_timeout` (seconds, libpq) becomes pg's
 * connectionTimeoutMillis; without it we give up after 10 s so an unreachable host fails clearly.
 */
export function pgConfigFromUrl(url: string): pg.ClientConfig {
  let timeout = 10_000;
  const t = parsePostgresUrl(url)?.searchParams.get('connect_timeout');
  if (t !== undefined && t !== null && Number(t) > 0) timeout = Number(t) * 1000;
  return { connectionString: url, connectionTimeoutMillis: timeout };
}

/**
 * Builds a postgres:// URL from the `args` of Synapse's `database: {name: psycopg2}` section.
 * `database` and `dbname` are both accepted (psycopg2 passes either to libpq); a host starting
 * with `/` is a unix-socket directory. Other libpq keywords (sslmode, sslrootcert, sslcert, sslkey,
 * application_name, connect_timeout, options, …) are passed through; `cp_*` keys are Twisted's
 * pool settings and are ignored.
 */
export function urlFromPsycopg2Args(args: Record<string, unknown>): string {
  const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));
  const user = str(args.user);
  const password = str(args.password);
  const database = str(args.database) ?? str(args.dbname);
  const host = str(args.host);
  const port = str(args.port);
  const params = new URLSearchParams();
  let authority = '';
  if (user !== undefined) authority += encodeURIComponent(user);
  if (password !== undefined) authority += `:${encodeURIComponent(password)}`;
  if (authority) authority += '@';
  if (host && !host.startsWith('/')) authority += host.includes(':') ? `[${host}]` : host;
  else if (host) params.set('host', host);
  if (port && !(host && host.startsWith('/'))) authority += `:${port}`;
  else if (port) params.set('port', port);
  for (const [key, value] of Object.entries(args)) {
    if (['user', 'password', 'database', 'dbname', 'host', 'port'].includes(key)) continue;
    if (IGNORED_ARGS.has(key) || key.startsWith('cp_')) continue;
    if (value === undefined || value === null || typeof value === 'object') continue;
    params.set(key, String(value));
  }
  const query = params.toString();
  return `postgres://${authority}/${encodeURIComponent(database ?? '')}${query ? `?${query}` : ''}`;
}

/** The URL with its password removed (user name, host, options kept): safe to store in a journal. */
export function urlWithoutPassword(url: string): string {
  const u = parsePostgresUrl(url);
  if (!u) return maskConnectionString(url);
  u.password = '';
  u.searchParams.delete('password');
  return u.toString();
}
