/**
 * Opens a Synapse database from `--db` (an SQLite path or a postgres:// URL), `--config`
 * (homeserver.yaml) or SYNAPSE_DOCTOR_DB, checks that it is Synapse's and of a supported schema, and
 * returns the engines. Read-only unless `write` is set. Never creates a database.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { SynapseDoctorError } from '../errors.js';
import type { Engine, ReadEngine } from './engine/engine.js';
import { SqliteEngine } from './engine/sqlite/sqlite-engine.js';
import { describePostgresUrl, isPostgresUrl, maskConnectionString, pgConfigFromUrl, postgresUrlProblem, urlWithoutPassword } from './connection-string.js';
import type { DatabaseTarget } from './homeserver-yaml.js';
import { hasTable } from './introspect.js';
import { mapPostgresError, mapSqliteError } from './open-errors.js';
import { detectSchema, type SchemaInfo } from './schema-version.js';

export interface OpenOptions {
  /** SQLite file path or postgres:// URL; defaults to env SYNAPSE_DOCTOR_DB. */
  db?: string;
  /** Path of Synapse's homeserver.yaml. */
  config?: string;
  /** Separate database holding the `state` data store (same forms as `db`). */
  stateDb?: string;
  write?: boolean;
  env?: NodeJS.ProcessEnv;
}

/**
 * What diagnosing capabilities get: read-only engines (no write method type-checks) and the
 * schema. `state` holds state_groups*; the same object as `main` unless the state tables live
 * elsewhere.
 */
export interface ReadStore {
  readonly main: ReadEngine;
  readonly state: ReadEngine;
  readonly schema: SchemaInfo;
  /** How to open each database again (an SQLite path, a postgres:// URL without password): for journals. */
  readonly locators: { readonly main: string; readonly state?: string };
}

/** An opened database: a ReadStore that can be closed. Writing goes through applyPlan (src/plan). */
export interface SynapseDatabase extends ReadStore {
  close(): Promise<void>;
}

/**
 * The full engine behind a store's read-only view: for applyPlan, liveness and the lock (src/plan,
 * src/store), and for fixture builders and tests. Capabilities never call it.
 */
export function engineOf(engine: ReadEngine): Engine {
  const e = engine as Partial<Engine>;
  if (typeof e.transaction !== 'function' || e.hooks === undefined) throw new TypeError(`${engine.description} is not an engine`);
  return engine as Engine;
}

/** A store over engines opened directly (fixtures, the simulator, tests). Closing is the caller's. */
export async function storeFromEngine(main: Engine, state: Engine = main): Promise<SynapseDatabase> {
  const schema = await detectSchema(main);
  const locators = state === main ? { main: main.locator } : { main: main.locator, state: state.locator };
  return { main, state, schema, locators, close: async () => undefined };
}

function locatorOf(target: DatabaseTarget): string {
  return target.kind === 'sqlite' ? target.path : urlWithoutPassword(target.url);
}

/** `--db` / `--state-db` / SYNAPSE_DOCTOR_DB as a target; a PostgreSQL URL that cannot be parsed is a usage error. */
export function targetFromArgument(db: string, option = '--db'): DatabaseTarget {
  if (!isPostgresUrl(db)) return { kind: 'sqlite', path: resolve(db) };
  const problem = postgresUrlProblem(db);
  if (problem !== undefined) {
    throw new SynapseDoctorError('USAGE', `${option}: ${maskConnectionString(db)} is not a usable PostgreSQL URL: ${problem}`, {
      hint: 'Write it as postgres://USER@HOST:PORT/DATABASE, the password after the user name and a colon, percent-encoded where it holds @ : / # ?.',
    });
  }
  return { kind: 'postgres', url: db };
}

/** Opens one engine on a target, mapping driver failures to SynapseDoctorError. */
export async function openEngine(target: DatabaseTarget, write: boolean): Promise<Engine> {
  if (target.kind === 'sqlite') {
    const path = target.path;
    if (!existsSync(path)) {
      throw new SynapseDoctorError('DB_NOT_FOUND', `SQLite database ${path} does not exist${target.from ? ` (${target.from})` : ''}`, {
        hint: target.from ? 'Run from the directory Synapse runs in, or make the path absolute.' : 'Pass the path from database.args.database in homeserver.yaml, or a postgres:// URL.',
      });
    }
    const st = statSync(path);
    if (st.isDirectory()) {
      throw new SynapseDoctorError('DB_NOT_SYNAPSE', `${path} is a directory, not an SQLite database`);
    }
    // A FIFO, socket or device would block or stream forever: only regular files are databases.
    if (!st.isFile()) {
      throw new SynapseDoctorError('DB_NOT_SYNAPSE', `${path} is not a regular file (a pipe, socket or device), so not an SQLite database`);
    }
    let engine: SqliteEngine | undefined;
    try {
      engine = new SqliteEngine(path, { readOnly: !write });
      // Reading the schema forces SQLite to parse the header: a non-database fails here.
      await engine.query('SELECT count(*) AS n FROM sqlite_master');
      return engine;
    } catch (e) {
      await engine?.close();
      throw mapSqliteError(e, path);
    }
  }
  const description = describePostgresUrl(target.url);
  // loaded when wanted: an SQLite user (and every worker thread reading an SQLite file) starts
  // without the PostgreSQL driver (about 40 ms)
  const { PostgresEngine } = await import('./engine/postgres/postgres-engine.js');
  try {
    return await PostgresEngine.connect(pgConfigFromUrl(target.url), { readOnly: !write, description, locator: urlWithoutPassword(target.url), urlForAnotherThread: target.url });
  } catch (e) {
    throw mapPostgresError(e, description);
  }
}

async function resolveTargets(options: OpenOptions): Promise<{ main: DatabaseTarget; state?: DatabaseTarget }> {
  const env = options.env ?? process.env;
  const db = options.db ?? (options.config === undefined ? env.SYNAPSE_DOCTOR_DB : undefined);
  if (db !== undefined && db !== '' && options.config !== undefined) {
    throw new SynapseDoctorError('USAGE', 'give either --db or --config, not both');
  }
  let targets: { main: DatabaseTarget; state?: DatabaseTarget };
  // the YAML parser is loaded only to read a homeserver.yaml (about 30 ms at start otherwise)
  if (options.config !== undefined) targets = (await import('./homeserver-yaml.js')).readHomeserverYaml(options.config);
  else if (db) targets = { main: targetFromArgument(db) };
  else {
    throw new SynapseDoctorError('USAGE', 'no database given', {
      hint: 'Use --db PATH|postgres://…, --config homeserver.yaml, or set SYNAPSE_DOCTOR_DB.',
    });
  }
  if (options.stateDb) {
    const state = targetFromArgument(options.stateDb, '--state-db');
    if (state.kind === 'sqlite' || targets.main.kind === 'sqlite') {
      throw new SynapseDoctorError('USAGE', '--state-db names a separate PostgreSQL state database; an SQLite homeserver keeps its state tables in its one file', {
        hint: 'Drop --state-db (Synapse splits the state store only on PostgreSQL).',
      });
    }
    // the same database named twice is one database
    if (urlWithoutPassword(state.url) !== urlWithoutPassword(targets.main.url)) targets.state = state;
  }
  return targets;
}

export async function openDatabase(options: OpenOptions): Promise<SynapseDatabase> {
  const targets = await resolveTargets(options);
  const write = options.write ?? false;
  const opened: Engine[] = [];
  try {
    const main = await openEngine(targets.main, write);
    opened.push(main);
    const schema = await detectSchema(main);
    let state = main;
    if (targets.state) {
      state = await openEngine(targets.state, write);
      opened.push(state);
      await detectSchema(state);
      if (!(await hasTable(state, 'state_groups'))) {
        throw new SynapseDoctorError('DB_NOT_SYNAPSE', `${state.description} holds no state_groups table; it is not Synapse's state database`);
      }
    }
    let closed = false;
    const locators = targets.state ? { main: locatorOf(targets.main), state: locatorOf(targets.state) } : { main: locatorOf(targets.main) };
    return {
      main,
      state,
      schema,
      locators,
      async close() {
        if (closed) return;
        closed = true;
        for (const e of opened.reverse()) await e.close();
      },
    };
  } catch (e) {
    for (const engine of opened) await engine.close().catch(() => undefined);
    throw e;
  }
}
