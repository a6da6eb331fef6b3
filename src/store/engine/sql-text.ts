/** Small SQL text helpers shared by both engine adapters. */

/** Quotes an identifier the way both SQLite and PostgreSQL accept ("a""b"). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Savepoint name for a nested `transaction()` at the given depth. */
export function savepointName(depth: number): string {
  return `sd_sp_${depth}`;
}

/**
 * Replaces each `?` placeholder by `replace(n)` (n from 0), skipping string literals ('…', E'…'),
 * quoted identifiers ("…"), dollar-quoted bodies ($tag$…$tag$) and comments: a `?` inside any of
 * those stays as it is. (PostgreSQL's jsonb `?` operators cannot be written through this layer; use
 * jsonb_exists() instead.)
 */
export function replacePlaceholders(sql: string, replace: (n: number) => string): string {
  let out = '';
  let n = 0;
  let i = 0;
  while (i < sql.length) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const end = skipQuoted(sql, i, c);
      out += sql.slice(i, end);
      i = end;
    } else if (c === '-' && sql[i + 1] === '-') {
      const nl = sql.indexOf('\n', i);
      const end = nl === -1 ? sql.length : nl;
      out += sql.slice(i, end);
      i = end;
    } else if (c === '/' && sql[i + 1] === '*') {
      const close = sql.indexOf('*/', i + 2);
      const end = close === -1 ? sql.length : close + 2;
      out += sql.slice(i, end);
      i = end;
    } else if (c === '$' && !/[A-Za-z0-9_]/.test(sql[i - 1] ?? '')) {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(sql.slice(i));
      if (tag) {
        const close = sql.indexOf(tag[0], i + tag[0].length);
        const end = close === -1 ? sql.length : close + tag[0].length;
        out += sql.slice(i, end);
        i = end;
      } else {
        out += c;
        i++;
      }
    } else if (c === '?') {
      out += replace(n++);
      i++;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

/** Index just past the literal or identifier that starts at `start` (doubled quotes escape). */
function skipQuoted(sql: string, start: number, quote: string): number {
  // E'…' strings also allow backslash escapes.
  const backslashEscapes = quote === "'" && /[eE]/.test(sql[start - 1] ?? '') && !/[A-Za-z0-9_]/.test(sql[start - 2] ?? '');
  let i = start + 1;
  while (i < sql.length) {
    const c = sql[i];
    if (backslashEscapes && c === '\\') { i += 2; continue; }
    if (c === quote) {
      if (sql[i + 1] === quote) { i += 2; continue; }
      return i + 1;
    }
    i++;
  }
  return sql.length;
}

/** Inlines literals for a statement's parameters (for SQL files only), checking the count. */
export function inlineParams(sql: string, params: readonly unknown[], literal: (v: never) => string): string {
  let used = 0;
  const text = replacePlaceholders(sql, (n) => {
    if (n >= params.length) throw new RangeError(`statement has more placeholders than its ${params.length} parameters`);
    used = n + 1;
    return literal(params[n] as never);
  });
  if (used !== params.length) throw new RangeError(`statement has ${used} placeholders for ${params.length} parameters`);
  return text;
}

/**
 * Characters never written raw into an SQL file: they would hide or rewrite text on the terminal
 * an admin reads it in (C0/C1 controls except tab and newline, DEL, bidi controls, line and
 * paragraph separators, BOM), and NUL, which neither engine's text can hold in a literal.
 */
export const UNSAFE_IN_SCRIPT = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029\ufeff]/;

/** A finite number as SQL text that reads back as the same double (or integer). */
export function numberLiteral(n: number): string {
  if (!Number.isFinite(n)) throw new RangeError(`${n} cannot be written as an SQL literal`);
  return Object.is(n, -0) ? '0' : String(n);
}
