/** Small SQL text helpers shared by both engine adapters. */

/** Quotes an identifier the way both SQLite and PostgreSQL accept ("a""b"). */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Savepoint name for a nested `transaction()` at the given depth. */
export function savepointName(depth: number): string {
  return `sd_sp_${depth}`;
}
