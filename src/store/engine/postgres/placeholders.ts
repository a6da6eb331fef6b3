/**
 * Rewrites `?` placeholders to PostgreSQL's `$1, $2, …`, skipping string literals ('…', E'…'),
 * quoted identifiers ("…"), dollar-quoted bodies ($tag$…$tag$) and comments. A `?` inside any of
 * those stays as it is. (The jsonb `?` operators cannot be written through this layer; use
 * jsonb_exists() instead.)
 */
export function toDollarParams(sql: string): string {
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
      out += `$${++n}`;
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
