/**
 * The engine matrix for database tests. `ENGINES` comes from SYNAPSE_DOCTOR_ENGINES
 * ("sqlite,postgres" by default; PostgreSQL is always available through global-setup.ts).
 *
 * freshSynapseDatabase(engine, version) gives a new, private Synapse database per call:
 *   SQLite: a new file in a temp directory, built by createSynapseSchema;
 *   PostgreSQL: CREATE DATABASE … TEMPLATE of a per-version template that is built once per
 *   server (named after a hash of the fixture files, guarded by an advisory lock, so parallel
 *   forks and reruns against SYNAPSE_DOCTOR_TEST_PG share it safely).
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { inject } from 'vitest';
import type { Engine, EngineKind } from '../../src/store/engine/engine.js';
import { PostgresEngine } from '../../src/store/engine/postgres/postgres-engine.js';
import { SqliteEngine } from '../../src/store/engine/sqlite/sqlite-engine.js';
import { createSynapseSchema, type FixtureVersion } from '../../src/store/fixture-schema.js';
import { engineOf, openDatabase, type SynapseDatabase } from '../../src/store/open.js';
import { acquireWriteLock, type WriteLock } from '../../src/store/lock.js';

export const ENGINES: EngineKind[] = (process.env.SYNAPSE_DOCTOR_ENGINES ?? 'sqlite,postgres')
  .split(',')
  .map((s) => s.trim())
  .filter((s): s is EngineKind => s === 'sqlite' || s === 'postgres');

export interface FreshDatabase {
  db: SynapseDatabase;
  /** The --db argument for the CLI. */
  url: string;
  cleanup(): Promise<void>;
}
export interface EmptyDatabase {
  engine: Engine;
  url: string;
  cleanup(): Promise<void>;
}

/** Superuser URL of the test PostgreSQL server (`postgres` database). */
export function pgAdminUrl(): string {
  return inject('pgUrl');
}
/** Unix-socket directory of the embedded server ('' for an external one). */
export function pgSocketDir(): string {
  return inject('pgSocketDir');
}

/** The same server URL with another database name. */
export function pgUrlFor(database: string): string {
  const u = new URL(pgAdminUrl());
  u.pathname = `/${database}`;
  return u.toString();
}

async function withAdmin<T>(fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: pgAdminUrl() });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(5).toString('hex')}`;
}

/** Creates an empty PostgreSQL database (C collation, UTF8, as Synapse requires) and returns its name. */
export async function createPgDatabase(template?: string): Promise<string> {
  const name = uniqueName('sd_test');
  await withAdmin((c) =>
    c.query(`CREATE DATABASE "${name}" TEMPLATE "${template ?? 'template0'}" ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'`),
  );
  return name;
}

export async function dropPgDatabase(name: string): Promise<void> {
  await withAdmin((c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

const templates = new Map<FixtureVersion, Promise<string>>();

async function fixtureHash(version: FixtureVersion): Promise<string> {
  const h = createHash('sha256');
  for (const f of ['postgres.sql', 'seed.json']) h.update(await readFile(new URL(`../../schema/${version}/${f}`, import.meta.url)));
  h.update(await readFile(new URL('../../src/store/fixture-schema.ts', import.meta.url)));
  return h.digest('hex').slice(0, 12);
}

function templateFor(version: FixtureVersion): Promise<string> {
  let p = templates.get(version);
  if (!p) {
    p = buildTemplate(version);
    templates.set(version, p);
  }
  return p;
}

async function buildTemplate(version: FixtureVersion): Promise<string> {
  const name = `sd_tpl_${version}_${await fixtureHash(version)}`;
  return withAdmin(async (c) => {
    await c.query('SELECT pg_advisory_lock(727274, $1)', [version]);
    try {
      const exists = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
      if (exists.rowCount) return name;
      const building = await createPgDatabase();
      const engine = await PostgresEngine.connect({ connectionString: pgUrlFor(building) });
      try {
        await createSynapseSchema(engine, version);
      } finally {
        await engine.close();
      }
      await c.query(`ALTER DATABASE "${building}" RENAME TO "${name}"`);
      return name;
    } finally {
      await c.query('SELECT pg_advisory_unlock(727274, $1)', [version]);
    }
  });
}

export async function emptyDatabase(engine: EngineKind): Promise<EmptyDatabase> {
  if (engine === 'sqlite') {
    const dir = await mkdtemp(join(tmpdir(), 'synapse-doctor-test-'));
    const path = join(dir, 'homeserver.db');
    const e = new SqliteEngine(path, { create: true });
    return { engine: e, url: path, cleanup: async () => { await e.close(); await rm(dir, { recursive: true, force: true }); } };
  }
  const name = await createPgDatabase();
  const url = pgUrlFor(name);
  const e = await PostgresEngine.connect({ connectionString: url });
  return { engine: e, url, cleanup: async () => { await e.close(); await dropPgDatabase(name); } };
}

export async function freshSynapseDatabase(engine: EngineKind, version: FixtureVersion, options: { write?: boolean } = {}): Promise<FreshDatabase> {
  if (engine === 'sqlite') {
    const empty = await emptyDatabase('sqlite');
    try {
      await createSynapseSchema(empty.engine, version);
    } finally {
      await empty.engine.close();
    }
    const db = await openDatabase({ db: empty.url, write: options.write ?? true });
    return { db, url: empty.url, cleanup: async () => { await db.close(); await empty.cleanup(); } };
  }
  const name = await createPgDatabase(await templateFor(version));
  const url = pgUrlFor(name);
  const db = await openDatabase({ db: url, write: options.write ?? true });
  return { db, url, cleanup: async () => { await db.close(); await dropPgDatabase(name); } };
}

/** The raw engine behind a store, for a test's own setup writes (capabilities never get one). */
export function rawEngine(db: SynapseDatabase, which: 'main' | 'state' = 'main'): Engine {
  return engineOf(which === 'main' ? db.main : db.state);
}

/** The write lock on every database of a store, as applyPlan takes it. */
export function lockStore(db: SynapseDatabase): Promise<WriteLock> {
  const main = engineOf(db.main);
  const state = engineOf(db.state);
  return acquireWriteLock(state === main ? [main] : [main, state]);
}
