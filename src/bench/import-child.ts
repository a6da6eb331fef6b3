/**
 * Runs `import-history --apply` of one room in a fresh process, as the CLI does (plan, journal,
 * one transaction per batch, no backup), and prints its wall time, peak memory and counts.
 */
import { planImport } from '../import-history/plan-import.js';
import { applyPlan } from '../plan/apply.js';
import { openDatabase } from '../store/open.js';

const [from, to, room, journal, batch] = process.argv.slice(2) as [string, string, string, string, string];
const started = process.hrtime.bigint();
const source = await openDatabase({ db: from });
const target = await openDatabase({ db: to, write: true });
const { plan, summary } = await planImport(source, target, { roomId: room, batchSize: Number(batch) }, `import-history --room ${room}`);
const planned = process.hrtime.bigint();
const result = await applyPlan(target, plan, { journal, force: true, transactions: 'per-chunk' });
await source.close();
await target.close();
const done = process.hrtime.bigint();
process.stdout.write(JSON.stringify({
  seconds: Number(done - started) / 1e9,
  planSeconds: Number(planned - started) / 1e9,
  maxRssMiB: process.resourceUsage().maxRSS / 1024,
  events: summary.missing,
  rows: result.rows,
}) + '\n');
