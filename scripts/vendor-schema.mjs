#!/usr/bin/env node
/**
 * Regenerates schema/<version>/{sqlite,postgres}.sql and schema/<version>/seed.json from
 *   - dumps of real, freshly prepared Synapse databases (../shared/synapse-schema by default):
 *     `sqlite3 .schema` and `pg_dump -s` output for schema 72 (Synapse 1.67.0) and 94 (1.157.1);
 *   - a git mirror of Synapse (for the delta file lists and the rows full_schemas/72 inserts).
 *
 * Usage: node scripts/vendor-schema.mjs [--dumps DIR] [--synapse GIT_DIR]
 *
 * DDL output: each statement preceded by a line "-- statement" (src/store/fixture-schema.ts splits
 * on it; the file still runs as one script), statement text as dumped. PostgreSQL: pg_dump
 * session noise (SET, set_config, \restrict, OWNER TO, "--" comments) is dropped; everything else
 * (tables, defaults, constraints incl. NOT VALID, indexes, triggers, functions, sequences, identity
 * columns, COMMENT ON) is kept as dumped. SQLite: kept verbatim except internal tables sqlite3
 * cannot re-create (sqlite_sequence, sqlite_stat*) and FTS shadow tables that the virtual table
 * creates itself.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const opt = (name, fallback) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : args[i + 1];
};
const dumps = resolve(opt('--dumps', join(root, '..', 'shared', 'synapse-schema')));
const synapse = resolve(opt('--synapse', '/work/.mirror/element-hq+synapse/repo'));

// A fresh database is built from the newest full schema <= SCHEMA_VERSION, then every delta above
// it runs and schema_version ends at (SCHEMA_VERSION, upgraded = true) (prepare_database.py,
// _setup_new_database / _upgrade_existing_database). Synapse 1.67 only had full_schemas/54, so its
// fresh databases hold the deltas 55..72; 1.157 starts from full_schemas/72 and runs 73..94.
const VERSIONS = [
  { version: 72, tag: 'v1.67.0', synapse: '1.67.0', fullSchema: 54, upgraded: true, compat: 72 },
  { version: 94, tag: 'v1.157.1', synapse: '1.157.1', fullSchema: 72, upgraded: true, compat: 84 },
];
/** full_schemas/72 was itself dumped from a fresh schema-72 database; its INSERTs are the seed rows. */
const SEED_ROWS_TAG = 'v1.157.1';
const ENGINES = ['sqlite', 'postgres'];
const STATEMENT_MARK = '-- statement';

const git = (...a) => execFileSync('git', ['-C', synapse, ...a], { encoding: 'utf8', maxBuffer: 64 << 20 });

/** Splits SQL text into statements, honouring quotes, dollar quotes, comments and trigger bodies. */
function splitStatements(sql) {
  const out = [];
  let start = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      i++;
      while (i < sql.length && !(sql[i] === c && sql[i + 1] !== c)) i += sql[i] === c ? 2 : 1;
      i++;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      i = nl === -1 ? sql.length : nl;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      i = close === -1 ? sql.length : close + 2;
    } else if (c === '$' && /^\$[A-Za-z_]*\$/.test(sql.slice(i))) {
      const tag = /^\$[A-Za-z_]*\$/.exec(sql.slice(i))[0];
      const close = sql.indexOf(tag, i + tag.length);
      i = close === -1 ? sql.length : close + tag.length;
    } else if (c === ';') {
      const text = sql.slice(start, i);
      const isTrigger = /^\s*CREATE\s+TRIGGER/i.test(stripComments(text)) && !/^\s*CREATE\s+TRIGGER[\s\S]*EXECUTE\s+(FUNCTION|PROCEDURE)/i.test(text);
      if (!isTrigger || /\bEND\s*$/i.test(text)) {
        out.push(text);
        start = i + 1;
      }
      i++;
    } else {
      i++;
    }
  }
  if (sql.slice(start).trim()) out.push(sql.slice(start));
  return out;
}

function stripComments(s) {
  return s.replace(/--[^\n]*/g, '').replace(/\/\*[\s\S]*?\*\//g, '');
}

function tidy(stmt) {
  // Drop leading blank lines and whole-line "--" comments before the statement, keep the rest.
  const lines = stmt.split('\n');
  while (lines.length && (lines[0].trim() === '' || /^\s*--/.test(lines[0]))) lines.shift();
  // Trailing spaces stay: SQLite keeps a statement's text up to the ';' in sqlite_master.
  return lines.join('\n');
}

function vendorPostgres(text) {
  const body = text
    .split('\n')
    .filter((l) => !/^\\(un)?restrict\b/.test(l))
    .join('\n');
  return splitStatements(body)
    .map(tidy)
    .filter((s) => s !== '')
    .filter((s) => !/^SET\s/i.test(s))
    .filter((s) => !/^SELECT\s+pg_catalog\.set_config/i.test(s))
    .filter((s) => !/\sOWNER\s+TO\s/i.test(s));
}

function vendorSqlite(text) {
  const ftsTables = [...text.matchAll(/CREATE\s+VIRTUAL\s+TABLE\s+(\w+)\s+USING\s+fts/gi)].map((m) => m[1]);
  const shadow = new RegExp(`^CREATE TABLE IF NOT EXISTS '(${ftsTables.join('|')})_(content|segments|segdir|docsize|stat)'`);
  return splitStatements(text)
    .map(tidy)
    .filter((s) => s !== '')
    .filter((s) => !/^CREATE TABLE sqlite_(sequence|stat\d)\b/i.test(s))
    .filter((s) => !(ftsTables.length && shadow.test(s)));
}

/** Delta files Synapse applies to a fresh database of the given engine, in Synapse's order. */
function appliedDeltas(tag, fromVersion, toVersion, engine) {
  const files = git('ls-tree', '-r', '--name-only', tag, 'synapse/storage/schema/').split('\n');
  const out = [];
  for (let v = fromVersion; v <= toVersion; v++) {
    const inVersion = [];
    for (const path of files) {
      const m = /^synapse\/storage\/schema\/(common|main|state)\/delta\/(\d+)\/([^/]+)$/.exec(path);
      if (!m || Number(m[2]) !== v) continue;
      const name = m[3];
      const applies = name.endsWith('.py') || name.endsWith('.sql') || name.endsWith(`.sql.${engine}`);
      if (applies) inVersion.push({ version: v, file: `${v}/${name}`, store: m[1], name });
    }
    // prepare_database.py sorts the files of one version by file name across data stores.
    inVersion.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.store < b.store ? -1 : a.store > b.store ? 1 : 0));
    out.push(...inVersion.map(({ version, file, store }) => ({ version, file, store })));
  }
  return out;
}

/** Which data store's delta queued a background update (its ordering is <version><file no>). */
function storeOfUpdate(tag, ordering, name, deltas) {
  const version = Math.floor(ordering / 100);
  const prefix = String(ordering % 100).padStart(2, '0');
  const candidates = deltas.filter((d) => d.version === version && d.file.slice(String(version).length + 1).startsWith(prefix));
  for (const d of candidates) {
    const path = `synapse/storage/schema/${d.store}/delta/${d.file}`;
    if (git('show', `${tag}:${path}`).includes(name)) return d.store;
  }
  return 'main';
}

function pendingUpdates(version, engine, tag, deltas) {
  // No dump of the pending list exists for 72 (see the report / README): none are seeded.
  if (version === 72) return [];
  const text = readFileSync(join(dumps, String(version), `pending-background-updates.${engine}.txt`), 'utf8');
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const [ordering, update_name, depends_on] = l.split('|');
      return {
        update_name,
        ordering: Number(ordering),
        depends_on: depends_on ? depends_on : null,
        store: storeOfUpdate(tag, Number(ordering), update_name, deltas),
      };
    });
}

/** Rows that Synapse's schema files insert into a fresh database (besides the schema tables). */
function seedRows(version, engine) {
  const full = git('show', `${SEED_ROWS_TAG}:synapse/storage/schema/main/full_schemas/72/full.sql.${engine}`);
  const rows = full.split('\n').filter((l) => /^INSERT INTO /.test(l)).map((l) => l.replace(/;\s*$/, ''));
  if (version >= 94) {
    // Values these deltas compute on an empty database (their SELECTs over empty tables):
    rows.push(
      "INSERT INTO device_lists_changes_converted_stream_position (stream_id, room_id) VALUES (1, '')", // main/delta/73/12
      'INSERT INTO room_forgetter_stream_pos (stream_id) VALUES (0)', // main/delta/76/04
      'INSERT INTO delayed_events_stream_pos (stream_id) VALUES (0)', // main/delta/88/01
      engine === 'postgres' // main/delta/88/05_drop_old_otks.sql.<engine>, verbatim
        ? "INSERT INTO scheduled_tasks(id, action, status, timestamp) VALUES ('delete_old_otks_task', 'delete_old_otks', 'scheduled', extract(epoch from current_timestamp) * 1000)"
        : "INSERT INTO scheduled_tasks(id, action, status, timestamp) VALUES ('delete_old_otks_task', 'delete_old_otks', 'scheduled', strftime('%s', 'now') * 1000)",
      'INSERT INTO device_lists_changes_in_room_max_pruned_stream_id (stream_id) VALUES (0)', // main/delta/94/04
    );
  }
  return rows;
}

for (const v of VERSIONS) {
  const outDir = join(root, 'schema', String(v.version));
  mkdirSync(outDir, { recursive: true });
  const seed = {
    synapse: v.synapse,
    schemaVersion: v.version,
    upgraded: v.upgraded,
    compatVersion: v.compat,
    appliedDeltas: {},
    backgroundUpdates: {},
    rows: {},
  };
  for (const engine of ENGINES) {
    const dump = readFileSync(join(dumps, String(v.version), `schema.${engine}.sql`), 'utf8');
    const statements = engine === 'postgres' ? vendorPostgres(dump) : vendorSqlite(dump);
    const header = `-- Synapse ${v.synapse} (schema ${v.version}), ${engine}: generated by scripts/vendor-schema.mjs from a dump of a freshly prepared database. Do not edit.\n\n`;
    writeFileSync(join(outDir, `${engine}.sql`), header + statements.map((s) => `${STATEMENT_MARK}\n${s};\n`).join('\n'));
    const deltas = appliedDeltas(v.tag, v.fullSchema + 1, v.version, engine);
    seed.appliedDeltas[engine] = deltas;
    seed.backgroundUpdates[engine] = pendingUpdates(v.version, engine, v.tag, deltas);
    seed.rows[engine] = seedRows(v.version, engine);
    console.log(`schema/${v.version}/${engine}.sql: ${statements.length} statements, ${deltas.length} deltas, ${seed.backgroundUpdates[engine].length} background updates`);
  }
  writeFileSync(join(outDir, 'seed.json'), JSON.stringify(seed, null, 1) + '\n');
}
