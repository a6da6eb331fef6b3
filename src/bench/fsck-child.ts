/**
 * Runs the whole fsck (every check in ALL_CHECKS) on one database in a fresh process, as
 * `synapse-doctor fsck` would, and prints its wall time, the process's peak memory and each check's
 * time (what the bench reports).
 */
import { runFsck } from '../fsck/run-fsck.js';
import { openDatabase } from '../store/open.js';

const db = process.argv[2]!;
const started = process.hrtime.bigint();
const store = await openDatabase({ db });
const report = await runFsck(store);
await store.close();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(JSON.stringify({
  seconds,
  // CPU time of this process (user + system): what the run costs on a machine shared with others
  cpuSeconds: (process.cpuUsage().user + process.cpuUsage().system) / 1e6,
  maxRssMiB: process.resourceUsage().maxRSS / 1024,
  checks: report.checks.map((c) => ({ id: c.id, status: c.status, ms: c.ms, ...(c.note ? { note: c.note } : {}) })),
  totals: report.totals,
}) + '\n');
