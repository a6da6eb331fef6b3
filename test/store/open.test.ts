import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isSynapseDoctorError, type SynapseDoctorError } from '../../src/errors.js';
import { maskConnectionString, parsePostgresUrl, urlFromPsycopg2Args } from '../../src/store/connection-string.js';
import { parseHomeserverYaml } from '../../src/store/homeserver-yaml.js';
import { engineOf, openDatabase } from '../../src/store/open.js';
import { ENGINES, createPgDatabase, dropPgDatabase, emptyDatabase, freshSynapseDatabase, pgAdminUrl, pgSocketDir, pgUrlFor, type FreshDatabase, rawEngine } from '../support/engines.js';

async function failure(p: Promise<unknown>): Promise<SynapseDoctorError> {
  try {
    await p;
  } catch (e) {
    if (isSynapseDoctorError(e)) return e;
    throw e;
  }
  throw new Error('expected a failure');
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'synapse-doctor-open-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('connection strings and homeserver.yaml', () => {
  it('masks passwords in URLs and keyword strings', () => {
    expect(maskConnectionString('postgres://syn:s3cr%40t@db:5432/synapse')).toBe('postgres://syn:***@db:5432/synapse');
    expect(maskConnectionString('postgresql://u:p@h/d?password=x&sslmode=require')).toBe('postgresql://u:***@h/d?password=***&sslmode=require');
    expect(maskConnectionString('host=/run password=hunter2 dbname=x')).toBe('host=/run password=*** dbname=x');
  });

  it('reads psycopg2 args: dbname or database, unix socket hosts, libpq options; ignores cp_* and Synapse-only keys', () => {
    const yaml = `
database:
  name: psycopg2
  txn_limit: 10000
  allow_unsafe_locale: true
  args:
    user: synapse_user
    password: "p@ss word"
    dbname: synapse
    host: /var/run/postgresql
    cp_min: 5
    cp_max: 10
    sslmode: prefer
    application_name: synapse
    connect_timeout: 3
`;
    const { main, state } = parseHomeserverYaml(yaml);
    expect(state).toBeUndefined();
    expect(main.kind).toBe('postgres');
    const url = parsePostgresUrl((main as { url: string }).url)!;
    expect(decodeURIComponent(url.username)).toBe('synapse_user');
    expect(decodeURIComponent(url.password)).toBe('p@ss word');
    expect(url.pathname).toBe('/synapse');
    expect(url.searchParams.get('host')).toBe('/var/run/postgresql');
    expect(url.searchParams.get('sslmode')).toBe('prefer');
    expect(url.searchParams.get('application_name')).toBe('synapse');
    expect(url.searchParams.get('connect_timeout')).toBe('3');
    expect(url.searchParams.has('cp_min')).toBe(false);
    expect(url.searchParams.has('allow_unsafe_locale')).toBe(false);
    expect(urlFromPsycopg2Args({ database: 'a', host: 'db.example', port: 6432 })).toBe('postgres://db.example:6432/a');
  });

  it('resolves a relative sqlite3 path against the working directory, as Synapse does', () => {
    const { main } = parseHomeserverYaml('database:\n  name: sqlite3\n  args:\n    database: data/homeserver.db\n', 'hs.yaml', '/srv/synapse');
    expect(main).toMatchObject({ kind: 'sqlite', path: '/srv/synapse/data/homeserver.db' });
  });

  it('reads the multi-database form and finds the state store', () => {
    const yaml = `
databases:
  basement:
    name: psycopg2
    data_stores: [main]
    args: { user: u, password: p, database: main_db, host: localhost }
  state_db:
    name: psycopg2
    data_stores: [state]
    args: { user: u, password: p, database: state_db, host: localhost }
`;
    const t = parseHomeserverYaml(yaml);
    expect((t.main as { url: string }).url).toContain('/main_db');
    expect((t.state as { url: string }).url).toContain('/state_db');
  });

  it('rejects bad YAML and unsupported engines with CONFIG_INVALID', () => {
    for (const text of ['database: [unclosed', 'database:\n  name: mysql\n', 'server_name: x\n']) {
      let err: unknown;
      try { parseHomeserverYaml(text); } catch (e) { err = e; }
      expect(isSynapseDoctorError(err) && err.code).toBe('CONFIG_INVALID');
    }
  });
});

for (const engine of ENGINES) {
  describe(`${engine}: openDatabase`, () => {
    let fresh: FreshDatabase;
    beforeAll(async () => {
      fresh = await freshSynapseDatabase(engine, 94, { write: false });
    });
    afterAll(async () => {
      await fresh.cleanup();
    });

    it('opens by --db, by SYNAPSE_DOCTOR_DB, and by homeserver.yaml', async () => {
      const byArg = await openDatabase({ db: fresh.url });
      expect(byArg.schema.version).toBe(94);
      expect(byArg.state).toBe(byArg.main);
      expect(byArg.main.readOnly).toBe(true);
      await byArg.close();
      const byEnv = await openDatabase({ env: { SYNAPSE_DOCTOR_DB: fresh.url } });
      expect(byEnv.schema.engine).toBe(engine);
      await byEnv.close();
      const config = join(dir, `${engine}-hs.yaml`);
      if (engine === 'sqlite') {
        writeFileSync(config, `server_name: example.org\ndatabase:\n  name: sqlite3\n  args:\n    database: ${fresh.url}\n    cp_min: 1\n`);
      } else {
        const u = new URL(fresh.url);
        writeFileSync(config, `database:\n  name: psycopg2\n  txn_limit: 10000\n  args:\n    user: ${u.username}\n    password: ${decodeURIComponent(u.password)}\n    database: ${u.pathname.slice(1)}\n    host: ${u.hostname}\n    port: ${u.port}\n    cp_min: 5\n    cp_max: 10\n    application_name: synapse-doctor-test\n`);
      }
      const byConfig = await openDatabase({ config });
      expect(byConfig.schema.version).toBe(94);
      if (engine === 'postgres') {
        const app = await byConfig.main.queryOne<{ a: string }>("SELECT current_setting('application_name') AS a");
        expect(app?.a).toBe('synapse-doctor-test');
      }
      await byConfig.close();
    });

    it('refuses writes through a read-only handle', async () => {
      const db = await openDatabase({ db: fresh.url });
      await expect(engineOf(db.main).run("INSERT INTO users (name, creation_ts) VALUES ('@a:x', 1)")).rejects.toThrow(/read.?only|readonly/i);
      await db.close();
    });

    it('refuses a non-Synapse database with DB_NOT_SYNAPSE', async () => {
      const empty = await emptyDatabase(engine);
      await empty.engine.exec('CREATE TABLE something_else (x INTEGER)');
      const err = await failure(openDatabase({ db: empty.url }));
      expect(err.code).toBe('DB_NOT_SYNAPSE');
      await empty.cleanup();
    });

    it('refuses schemas 71 and 96 with SCHEMA_UNSUPPORTED and writes nothing', async () => {
      for (const version of [71, 96]) {
        const other = await freshSynapseDatabase(engine, 94);
        await rawEngine(other.db).run('UPDATE schema_version SET version = ?', [version]);
        await other.db.close();
        const err = await failure(openDatabase({ db: other.url, write: true }));
        expect(err.code).toBe('SCHEMA_UNSUPPORTED');
        expect(err.message).toContain(String(version));
        const check = await freshDbRow(engine, other.url);
        expect(check).toBe(version);
        await other.cleanup();
      }
    });
  });
}

async function freshDbRow(engine: string, url: string): Promise<number> {
  if (engine === 'sqlite') {
    const h = new Database(url, { readonly: true });
    const r = h.prepare('SELECT version FROM schema_version').get() as { version: number };
    h.close();
    return r.version;
  }
  const pg = (await import('pg')).default;
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const r = await c.query('SELECT version FROM schema_version');
  await c.end();
  return r.rows[0].version;
}

describe('sqlite: opening failures', () => {
  it('a missing file is DB_NOT_FOUND and is not created', async () => {
    const path = join(dir, 'missing.db');
    const err = await failure(openDatabase({ db: path, write: true }));
    expect(err.code).toBe('DB_NOT_FOUND');
    const { existsSync } = await import('node:fs');
    expect(existsSync(path)).toBe(false);
  });
  it('a file that is not SQLite is DB_NOT_SYNAPSE', async () => {
    const path = join(dir, 'junk.db');
    writeFileSync(path, 'this is not a database, just some text that is long enough to have a header'.repeat(20));
    const err = await failure(openDatabase({ db: path }));
    expect(err.code).toBe('DB_NOT_SYNAPSE');
  });
  it('--db and --config together is a usage error; nothing given is a usage error', async () => {
    expect((await failure(openDatabase({ db: 'x.db', config: 'hs.yaml', env: {} }))).code).toBe('USAGE');
    expect((await failure(openDatabase({ env: {} }))).code).toBe('USAGE');
  });
});

describe.skipIf(!ENGINES.includes('postgres'))('postgres: opening failures', () => {
  it('a wrong password is DB_AUTH_FAILED and the password never shows', async () => {
    const u = new URL(pgAdminUrl());
    u.password = 'Wr0ngSecretPassw0rd';
    const err = await failure(openDatabase({ db: u.toString() }));
    expect(err.code).toBe('DB_AUTH_FAILED');
    expect(err.message).not.toContain('Wr0ngSecretPassw0rd');
    expect(String(err.hint)).not.toContain('Wr0ngSecretPassw0rd');
  });
  it('a missing database is DB_NOT_FOUND', async () => {
    const err = await failure(openDatabase({ db: pgUrlFor('no_such_database_here') }));
    expect(err.code).toBe('DB_NOT_FOUND');
    expect(err.message).toContain('no_such_database_here');
  });
  it('an unreachable port is DB_UNREACHABLE', async () => {
    const err = await failure(openDatabase({ db: 'postgres://u:SecretXyz@127.0.0.1:1/synapse?connect_timeout=2' }));
    expect(err.code).toBe('DB_UNREACHABLE');
    expect(err.message).not.toContain('SecretXyz');
  });
  it('a non-Synapse database is DB_NOT_SYNAPSE', async () => {
    const name = await createPgDatabase();
    const err = await failure(openDatabase({ db: pgUrlFor(name) }));
    expect(err.code).toBe('DB_NOT_SYNAPSE');
    await dropPgDatabase(name);
  });
  it('the description never holds the password; unix sockets work through ?host=', async () => {
    const fresh = await freshSynapseDatabase('postgres', 72);
    try {
      const u = new URL(fresh.url);
      expect(fresh.db.main.description).not.toContain(decodeURIComponent(u.password));
      const socket = pgSocketDir();
      if (socket) {
        const url = `postgres://${u.username}:${u.password}@/${u.pathname.slice(1)}?host=${encodeURIComponent(socket)}&port=${u.port}`;
        const db = await openDatabase({ db: url });
        expect(db.schema.version).toBe(72);
        expect(db.main.description).toContain(socket);
        expect(db.main.description).not.toContain(decodeURIComponent(u.password));
        const viaYaml = parseHomeserverYaml(`database:\n  name: psycopg2\n  args:\n    user: ${u.username}\n    password: ${decodeURIComponent(u.password)}\n    dbname: ${u.pathname.slice(1)}\n    host: ${socket}\n    port: ${u.port}\n`);
        const db2 = await openDatabase({ db: (viaYaml.main as { url: string }).url });
        expect(db2.schema.version).toBe(72);
        await db2.close();
        await db.close();
      }
    } finally {
      await fresh.cleanup();
    }
  });
});
