/** PostgreSQL's positional placeholders: `?` → `$1, $2, …` (see replacePlaceholders for what is skipped). */
import { replacePlaceholders } from '../sql-text.js';

export function toDollarParams(sql: string): string {
  return replacePlaceholders(sql, (n) => `$${n + 1}`);
}
