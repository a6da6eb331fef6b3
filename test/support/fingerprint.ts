/**
 * A whole-database fingerprint: every table's rows (as the journal encodes them, sorted) and, on
 * PostgreSQL, every sequence's position. Two databases with the same fingerprint hold the same
 * rows byte for byte.
 */
import { createHash } from 'node:crypto';
import type { ReadEngine } from '../../src/store/engine/engine.js';
import { statement } from '../../src/store/engine/engine.js';
import { quoteIdent } from '../../src/store/engine/sql-text.js';
import { encodeRow, rowText } from '../../src/plan/row-codec.js';

export async function tableFingerprints(engine: ReadEngine): Promise<Record<string, string>> {
  const tables = await engine.introspector.listTables();
  const out: Record<string, string> = {};
  for (const t of tables) {
    const rows = await engine.query(statement(`SELECT * FROM ${quoteIdent(t)}`));
    const texts = rows.map((r) => rowText(encodeRow(r))).sort();
    out[t] = `${texts.length}:${createHash('sha256').update(texts.join('\n')).digest('hex').slice(0, 16)}`;
  }
  if (engine.capabilities.sequences) {
    const seqs = await engine.query<{ relname: string }>("SELECT relname FROM pg_class WHERE relkind = 'S' ORDER BY relname");
    for (const s of seqs) {
      const row = await engine.queryOne<{ last_value: number; is_called: boolean }>(`SELECT last_value, is_called FROM ${quoteIdent(s.relname)}`);
      out[`sequence:${s.relname}`] = `${row?.last_value}:${row?.is_called}`;
    }
  }
  return out;
}

export async function fingerprint(engine: ReadEngine): Promise<string> {
  return createHash('sha256').update(JSON.stringify(await tableFingerprints(engine))).digest('hex');
}

/**
 * What a SIGKILL during an apply left, from table fingerprints: 'untouched', 'complete', or
 * 'untouched (sequences ahead)' when every table is as before and only PostgreSQL sequences moved
 * (no further than the complete run's): applyPlan moves sequences just before COMMIT, because
 * setval is not transactional, so a kill in between skips ids, which Synapse never minds.
 * Otherwise 'torn', naming what differs.
 */
export function killOutcome(now: Record<string, string>, before: Record<string, string>, complete: Record<string, string>): string {
  const keys = [...new Set([...Object.keys(now), ...Object.keys(before)])];
  const differs = keys.filter((k) => now[k] !== before[k]);
  if (differs.length === 0) return 'untouched';
  if (keys.every((k) => now[k] === complete[k])) return 'complete';
  const at = (v: string | undefined): number => Number(v?.split(':')[0]);
  if (differs.every((k) => k.startsWith('sequence:') && at(now[k]) > at(before[k]) && at(now[k]) <= at(complete[k]))) return 'untouched (sequences ahead)';
  return `torn (${differs.filter((k) => now[k] !== complete[k]).join(', ')})`;
}
