/**
 * Reads the database settings of a Synapse homeserver.yaml, the way Synapse accepts them
 * (synapse/config/database.py; docs/usage/configuration/config_documentation.md, "database" and
 * "databases"):
 *   database: { name: sqlite3, args: { database: PATH } }
 *   database: { name: psycopg2, args: { user, password, database|dbname, host, port, …libpq } }
 *   databases: { <name>: { name, args, data_stores: [main, state] }, … }
 * A relative SQLite path is resolved against the current working directory, as Synapse (sqlite3 in
 * the Synapse process) does: NOT against the directory of the YAML file. `allow_unsafe_locale` and
 * `txn_limit` are Synapse-level settings, `cp_*` keys Twisted's pool: none reach the driver.
 * With no database section Synapse defaults to sqlite3 with `homeserver.db` in the cwd: we refuse
 * instead of guessing (CONFIG_INVALID).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { SynapseDoctorError } from '../errors.js';
import { urlFromPsycopg2Args } from './connection-string.js';

/** `from`: where the target was named (`database.args.database in /etc/synapse/homeserver.yaml`), for messages. */
export type DatabaseTarget = { kind: 'sqlite'; path: string; from?: string } | { kind: 'postgres'; url: string; from?: string };
export interface ConfiguredDatabases {
  main: DatabaseTarget;
  /** Set only when the `state` data store lives in a different database from `main`. */
  state?: DatabaseTarget;
}

const SYNAPSE_ONLY_ARGS = new Set(['allow_unsafe_locale', 'txn_limit']);

function invalid(file: string, message: string, cause?: unknown): SynapseDoctorError {
  return new SynapseDoctorError('CONFIG_INVALID', `${file}: ${message}`, {
    hint: 'See the "database" section of Synapse\'s configuration manual.',
    cause,
  });
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function targetOf(file: string, section: Record<string, unknown>, where: string, cwd: string): DatabaseTarget {
  const name = section.name;
  const args = section.args === undefined || section.args === null ? {} : section.args;
  if (!isRecord(args)) throw invalid(file, `${where}.args must be a mapping`);
  if (name === 'sqlite3') {
    const db = args.database;
    if (typeof db !== 'string' || db === '') throw invalid(file, `${where}.args.database must name the SQLite file`);
    if (db === ':memory:') throw invalid(file, `${where} is an in-memory SQLite database; there is nothing to inspect`);
    return { kind: 'sqlite', path: resolve(cwd, db), from: `${where}.args.database (${JSON.stringify(db)}${db.startsWith('/') ? '' : `, relative to the current directory ${cwd}, as Synapse reads it`}) in ${file}` };
  }
  if (name === 'psycopg2' || name === 'psycopg') {
    const driverArgs: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(args)) if (!SYNAPSE_ONLY_ARGS.has(k)) driverArgs[k] = v;
    return { kind: 'postgres', url: urlFromPsycopg2Args(driverArgs) };
  }
  throw invalid(file, `unsupported ${where}.name ${JSON.stringify(name)} (expected sqlite3 or psycopg2)`);
}

export function parseHomeserverYaml(text: string, file = 'homeserver.yaml', cwd = process.cwd()): ConfiguredDatabases {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (e) {
    throw invalid(file, `not valid YAML (${(e as Error).message.split('\n')[0]})`, e);
  }
  if (!isRecord(doc)) throw invalid(file, 'not a YAML mapping');
  if (doc.database !== undefined && doc.databases !== undefined) {
    throw invalid(file, 'has both "database" and "databases"; Synapse accepts only one');
  }
  if (isRecord(doc.database)) return { main: targetOf(file, doc.database, 'database', cwd) };
  if (isRecord(doc.databases)) {
    let main: DatabaseTarget | undefined;
    let state: DatabaseTarget | undefined;
    let mainKey = '';
    let stateKey = '';
    for (const [key, section] of Object.entries(doc.databases)) {
      if (!isRecord(section)) throw invalid(file, `databases.${key} must be a mapping`);
      const stores = section.data_stores;
      if (!Array.isArray(stores)) throw invalid(file, `databases.${key}.data_stores must be a list`);
      const target = targetOf(file, section, `databases.${key}`, cwd);
      if (stores.includes('main')) { main = target; mainKey = key; }
      if (stores.includes('state')) { state = target; stateKey = key; }
    }
    if (!main) throw invalid(file, 'no database in "databases" holds the main data store');
    if (!state || stateKey === mainKey) return { main };
    return { main, state };
  }
  throw invalid(file, 'has no "database" section', undefined);
}

export function readHomeserverYaml(path: string, cwd = process.cwd()): ConfiguredDatabases {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new SynapseDoctorError('CONFIG_INVALID', code === 'ENOENT' ? `config file ${path} does not exist` : `cannot read config ${path}: ${code ?? String(e)}`, { cause: e });
  }
  if (text.startsWith('SQLite format 3\u0000')) {
    throw new SynapseDoctorError('CONFIG_INVALID', `${path} is an SQLite database, not a homeserver.yaml`, { hint: `Use --db ${path} for an SQLite file.` });
  }
  return parseHomeserverYaml(text, path, cwd);
}
