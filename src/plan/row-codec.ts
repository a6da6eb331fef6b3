/**
 * Rows as they are read, written exactly into JSON and back (the undo journal, restore steps,
 * JSON plans). Plain JSON values stay as they are; the rest are tagged:
 *   bytes          {"$bytes": "<base64>"}
 *   big integers   {"$int": "123…"}      (beyond 2^53; bigint)
 *   JSON columns   {"$json": value}      (PostgreSQL json/jsonb come back parsed)
 *   arrays         {"$array": [cells]}   (PostgreSQL arrays come back as JS arrays)
 * Reading a row and writing its decoded cells back gives the same row on both engines.
 */
import { createHash } from 'node:crypto';
import type { Row, SqlValue } from '../store/engine/engine.js';

export type JsonCell =
  | string
  | number
  | boolean
  | null
  | { readonly $bytes: string }
  | { readonly $int: string }
  | { readonly $json: unknown }
  | { readonly $array: readonly JsonCell[] };

export type JournalRow = Readonly<Record<string, JsonCell>>;

export function encodeCell(v: unknown): JsonCell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string' || typeof v === 'boolean') return v;
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new RangeError(`cannot journal the number ${v}`);
    return v;
  }
  if (typeof v === 'bigint') return { $int: v.toString() };
  if (v instanceof Uint8Array) return { $bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64') };
  if (Array.isArray(v)) return { $array: v.map(encodeCell) };
  if (v instanceof Date) return v.toISOString();
  return { $json: v };
}

export function encodeRow(row: Row): JournalRow {
  const out: Record<string, JsonCell> = {};
  for (const [k, v] of Object.entries(row)) out[k] = encodeCell(v);
  return out;
}

/** A journal cell as a bind parameter (JSON and arrays as PostgreSQL reads them from text). */
export function decodeCell(cell: JsonCell): SqlValue {
  if (cell === null || typeof cell !== 'object') return cell;
  if ('$bytes' in cell) return Buffer.from(cell.$bytes, 'base64');
  if ('$int' in cell) return BigInt(cell.$int);
  if ('$json' in cell) return JSON.stringify(cell.$json);
  if ('$array' in cell) return pgArrayLiteral(cell.$array);
  throw new TypeError('unknown journal cell');
}

function pgArrayLiteral(cells: readonly JsonCell[]): string {
  const items = cells.map((c) => {
    if (c === null) return 'NULL';
    if (typeof c === 'object' && '$array' in c) return pgArrayLiteral(c.$array);
    const v = decodeCell(c);
    const text = v instanceof Uint8Array ? `\\x${Buffer.from(v).toString('hex')}` : String(v);
    return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  });
  return `{${items.join(',')}}`;
}

/** One stable text per row (keys sorted) for comparing rows as multisets. */
export function rowText(row: JournalRow): string {
  const keys = Object.keys(row).sort();
  return JSON.stringify(keys.map((k) => [k, row[k]]));
}

/** Do two row lists hold the same rows, in any order? */
export function sameRows(a: readonly JournalRow[], b: readonly JournalRow[]): boolean {
  if (a.length !== b.length) return false;
  const x = a.map(rowText).sort();
  const y = b.map(rowText).sort();
  return x.every((t, i) => t === y[i]);
}

/**
 * A cell as the engines agree on it: booleans as 0/1, integers whatever their form (number, digit
 * string, big integer), the rest tagged by kind. Values as given to an insert and the same values
 * read back compare equal on both engines.
 */
function looseCell(v: JsonCell | undefined): string {
  if (v === null || v === undefined) return 'n';
  if (typeof v === 'boolean') return v ? 'i1' : 'i0';
  if (typeof v === 'number') return Number.isInteger(v) ? `i${v}` : `f${v}`;
  if (typeof v === 'string') return /^-?\d+$/.test(v) ? `i${BigInt(v)}` : `s${v}`;
  if ('$int' in v) return `i${v.$int}`;
  if ('$bytes' in v) return `b${v.$bytes}`;
  if ('$json' in v) return `j${JSON.stringify(v.$json)}`;
  return `a${JSON.stringify(v.$array)}`;
}

/**
 * Do the rows read now hold the rows an insert was given (journal entries marked `given`: the
 * inserted columns, as given, not read back)? Compared on the given columns, cells loosely.
 */
export function holdsGivenRows(current: readonly JournalRow[], given: readonly JournalRow[]): boolean {
  if (current.length !== given.length) return false;
  if (given.length === 0) return true;
  const text = (row: JournalRow, cols: readonly string[]): string => JSON.stringify(cols.map((c) => looseCell(row[c])));
  const byCols = new Map<string, string[]>();
  for (const g of given) {
    const cols = Object.keys(g).sort();
    const sig = cols.join('\u0000');
    (byCols.get(sig) ?? byCols.set(sig, []).get(sig)!).push(text(g, cols));
  }
  if (byCols.size !== 1) return false; // one insert step gives one column list
  const [sig, texts] = [...byCols][0]!;
  const cols = sig.split('\u0000');
  const now = current.map((r) => text(r, cols)).sort();
  texts.sort();
  return now.every((t, i) => t === texts[i]);
}

/**
 * The after-image of an insert that met no existing row in its scope, as the journal keeps it: not
 * the rows (an import would journal every event's JSON again) but how many, on which columns, and
 * a SHA-256 over their cells compared loosely (as holdsGivenRows does), in any order. Undo reads
 * the scope and checks the rows there still add up to it.
 */
export interface GivenDigest {
  readonly rows: number;
  readonly columns: readonly string[];
  /** The columns the rows are sorted by before hashing (the step's key). */
  readonly key: readonly string[];
  readonly sha256: string;
  /** Rows in each piece of the scope (splitScope), for scripts that guard each piece's count. */
  readonly pieces: readonly number[];
}

/** A cell as the digest reads it (kinds as looseCell tells them apart): numbers as numbers, the rest as text. */
const NULL = 0;
const NUMBER = 1;
const TEXT = 2;
const OTHER = 3;

function digestCell(v: JsonCell | SqlValue | undefined, kinds: Uint8Array, nums: Float64Array, k: number): string | undefined {
  if (v === null || v === undefined) {
    kinds[k] = NULL;
    return undefined;
  }
  if (typeof v === 'number' || typeof v === 'boolean') {
    kinds[k] = NUMBER;
    nums[k] = Number(v);
    return undefined;
  }
  // integers whatever their form (a number, digits, a big integer): one number when it is exact
  let int: bigint | undefined;
  if (typeof v === 'bigint') int = v;
  else if (typeof v === 'string') int = /^-?\d+$/.test(v) ? BigInt(v) : undefined;
  else if (!(v instanceof Uint8Array) && '$int' in v) int = BigInt(v.$int);
  if (int !== undefined && Number.isSafeInteger(Number(int))) {
    kinds[k] = NUMBER;
    nums[k] = Number(int);
    return undefined;
  }
  const text = int !== undefined ? `i${int}` : typeof v === 'string' ? v : looseCell(v instanceof Uint8Array ? encodeCell(v) : (v as JsonCell));
  kinds[k] = int !== undefined || typeof v !== 'string' ? OTHER : TEXT;
  nums[k] = text.length;
  return text;
}

/**
 * SHA-256 over rows (each its cells, in `columns` order) sorted by their key cells, then by all of
 * them: the numbers and kinds of every cell, and the texts in order. Event JSON is hashed once, not
 * escaped, copied or sorted (the digest reads every imported event).
 */
function digestOf(cellsOf: (i: number) => readonly (JsonCell | SqlValue | undefined)[], n: number, width: number, keyAt: readonly number[]): string {
  const kinds = new Uint8Array(n * width);
  const nums = new Float64Array(n * width);
  const texts: (string | undefined)[] = new Array<string | undefined>(n * width);
  for (let i = 0; i < n; i++) {
    const cells = cellsOf(i);
    for (let c = 0; c < width; c++) texts[i * width + c] = digestCell(cells[c], kinds, nums, i * width + c);
  }
  const cmpCell = (a: number, b: number): number => {
    if (kinds[a] !== kinds[b]) return kinds[a]! - kinds[b]!;
    if (kinds[a] === NUMBER) return nums[a]! - nums[b]!;
    const x = texts[a] ?? '';
    const y = texts[b] ?? '';
    return x < y ? -1 : x > y ? 1 : 0;
  };
  const order = Array.from({ length: n }, (_x, i) => i);
  order.sort((a, b) => {
    for (const c of keyAt) {
      const d = cmpCell(a * width + c, b * width + c);
      if (d !== 0) return d;
    }
    for (let c = 0; c < width; c++) {
      const d = cmpCell(a * width + c, b * width + c);
      if (d !== 0) return d;
    }
    return 0;
  });
  const sortedKinds = new Uint8Array(n * width);
  const sortedNums = new Float64Array(n * width);
  const sortedTexts: string[] = [];
  let k = 0;
  for (const i of order) {
    for (let c = 0; c < width; c++, k++) {
      sortedKinds[k] = kinds[i * width + c]!;
      sortedNums[k] = nums[i * width + c]!;
      const t = texts[i * width + c];
      if (t !== undefined) sortedTexts.push(t);
    }
  }
  // the lengths are among the numbers: the texts joined are unambiguous (one update: each is costly)
  return createHash('sha256').update(sortedTexts.join('')).update(sortedKinds).update(new Uint8Array(sortedNums.buffer)).digest('hex');
}

/** The digest of rows as an insert gives them (values in `columns` order, `key` among them). */
export function digestGiven(columns: readonly string[], key: readonly string[], values: readonly (readonly SqlValue[])[], pieces: readonly number[]): GivenDigest {
  const keyAt = key.map((k) => columns.indexOf(k)).filter((i) => i >= 0);
  const sha256 = digestOf((i) => values[i]!, values.length, columns.length, keyAt);
  return { rows: values.length, columns: [...columns], key: keyAt.map((i) => columns[i]!), sha256, pieces: [...pieces] };
}

/** Do the rows read now add up to the digest (on its columns, loosely)? */
export function holdsDigest(current: readonly JournalRow[], d: GivenDigest): boolean {
  if (current.length !== d.rows) return false;
  const keyAt = d.key.map((k) => d.columns.indexOf(k));
  return digestOf((i) => d.columns.map((c) => current[i]![c]), current.length, d.columns.length, keyAt) === d.sha256;
}

/** An image check: exact rows, rows as given to an insert, or (given a digest) rows adding up to it. */
export function imageHolds(current: readonly JournalRow[], image: readonly JournalRow[], given: boolean | undefined, digest?: GivenDigest): boolean {
  if (digest) return holdsDigest(current, digest);
  return given ? holdsGivenRows(current, image) : sameRows(current, image);
}

/** A value compared with a check's expectation: booleans as 0/1, numeric strings as numbers. */
export function normaliseScalar(v: unknown): SqlValue {
  if (v === undefined || v === null) return null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string' && /^-?\d+$/.test(v) && Number.isSafeInteger(Number(v))) return Number(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('hex');
  return v as SqlValue;
}

/** Journal rows grouped by their column lists, each cell decoded to a parameter: ready for multi-row INSERTs. */
export function groupJournalRows(rows: readonly JournalRow[]): { cols: string[]; values: SqlValue[][] }[] {
  const groups = new Map<string, { cols: string[]; values: SqlValue[][] }>();
  for (const row of rows) {
    const cols = Object.keys(row);
    const sig = cols.join('\u0000');
    let g = groups.get(sig);
    if (!g) groups.set(sig, (g = { cols, values: [] }));
    g.values.push(cols.map((c) => decodeCell(row[c]!)));
  }
  return [...groups.values()];
}
