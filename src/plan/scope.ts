/** The SQL that names a step's scope, and reading the rows in it (before- and after-images). */
import type { ReadEngine, SqlValue, Statement } from '../store/engine/engine.js';
import { statement } from '../store/engine/engine.js';
import { quoteIdent } from '../store/engine/sql-text.js';
import type { RowValues, Scope } from './plan.js';
import { encodeRow, type JournalRow } from './row-codec.js';

/** Key tuples per statement: well inside both engines' bind-parameter limits. */
export const KEYS_PER_STATEMENT = 500;

/** The scope as a WHERE condition (no leading WHERE). Key scopes with many values are split by the caller. */
export function scopeCondition(scope: Scope): Statement {
  if ('where' in scope) return scope.where;
  const { key, values } = scope;
  if (values.length === 0) return statement('1 = 0');
  const params: SqlValue[] = [];
  if (key.length === 1) {
    for (const v of values) params.push(v[0] ?? null);
    return statement(`${quoteIdent(key[0]!)} IN (${values.map(() => '?').join(', ')})`, params);
  }
  // (a = ? AND b = ?) OR …: a VALUES list would leave PostgreSQL typing the parameters as text
  const tuple = `(${key.map((k) => `${quoteIdent(k)} = ?`).join(' AND ')})`;
  for (const v of values) params.push(...v);
  return statement(`(${values.map(() => tuple).join(' OR ')})`, params);
}

/** Splits a key scope into pieces small enough for one statement each. */
export function splitScope(scope: Scope): Scope[] {
  if ('where' in scope || scope.values.length <= KEYS_PER_STATEMENT) return [scope];
  const out: Scope[] = [];
  for (let i = 0; i < scope.values.length; i += KEYS_PER_STATEMENT) out.push({ key: scope.key, values: scope.values.slice(i, i + KEYS_PER_STATEMENT) });
  return out;
}

/** The distinct key tuples of some rows. */
export function keyScope(columns: readonly string[], key: readonly string[], rows: readonly RowValues[]): Scope {
  return keyScopeCounted(columns, key, rows).scope;
}

/** The distinct key tuples of some rows, and how many rows fall in each piece splitScope makes of them. */
export function keyScopeCounted(columns: readonly string[], key: readonly string[], rows: readonly RowValues[]): { scope: Extract<Scope, { key: readonly string[] }>; pieces: number[] } {
  const idx = key.map((k) => {
    const i = columns.indexOf(k);
    if (i < 0) throw new RangeError(`key column ${k} is not among the inserted columns`);
    return i;
  });
  const seen = new Map<unknown, number>();
  const values: SqlValue[][] = [];
  const pieces: number[] = [];
  for (const row of rows) {
    const tuple = idx.map((i) => row[i] ?? null);
    // one text or number column (event ids): the value itself tells tuples apart; others by
    // their JSON, marked so that it never equals a plain text value
    const one = tuple.length === 1 && (typeof tuple[0] === 'string' || typeof tuple[0] === 'number') ? tuple[0] : undefined;
    const t = one ?? `\u0000${JSON.stringify(tuple.map(jsonParam))}`;
    let at = seen.get(t);
    if (at === undefined) {
      at = values.length;
      seen.set(t, at);
      values.push(tuple);
    }
    const piece = Math.floor(at / KEYS_PER_STATEMENT);
    pieces[piece] = (pieces[piece] ?? 0) + 1;
  }
  return { scope: { key, values }, pieces };
}

/** Every row in the scope, encoded for the journal. */
export async function readScope(engine: ReadEngine, table: string, scope: Scope): Promise<JournalRow[]> {
  const out: JournalRow[] = [];
  for (const piece of splitScope(scope)) {
    const cond = scopeCondition(piece);
    const rows = await engine.query(statement(`SELECT * FROM ${quoteIdent(table)} WHERE ${cond.sql}`, cond.params));
    for (const r of rows) out.push(encodeRow(r));
  }
  return out;
}

/** Scopes as they are written into journals and JSON plans. */
export function scopeToJson(scope: Scope): unknown {
  if ('where' in scope) return { where: { sql: scope.where.sql, params: scope.where.params.map(jsonParam) } };
  return { key: scope.key, values: scope.values.map((v) => v.map(jsonParam)) };
}

export function scopeFromJson(json: unknown): Scope {
  const j = json as { where?: { sql: string; params: unknown[] }; key?: string[]; values?: unknown[][] };
  if (j.where) return { where: statement(j.where.sql, j.where.params.map(paramFromJson)) };
  if (Array.isArray(j.key) && Array.isArray(j.values)) return { key: j.key, values: j.values.map((v) => v.map(paramFromJson)) };
  throw new TypeError('not a scope');
}

export function jsonParam(v: SqlValue): unknown {
  if (typeof v === 'bigint') return { $int: v.toString() };
  if (v instanceof Uint8Array) return { $bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  return v;
}

export function paramFromJson(v: unknown): SqlValue {
  if (v !== null && typeof v === 'object') {
    const o = v as { $int?: string; $bytes?: string };
    if (typeof o.$int === 'string') return BigInt(o.$int);
    if (typeof o.$bytes === 'string') return Buffer.from(o.$bytes, 'base64');
    throw new TypeError('not a parameter');
  }
  if (v === undefined) throw new TypeError('not a parameter');
  return v as SqlValue;
}
