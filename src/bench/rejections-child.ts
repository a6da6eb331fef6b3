/**
 * Runs `findRejections` on one database in a fresh process, as `synapse-doctor rejections` would,
 * and prints its wall time and the process's peak memory (what the bench reports).
 */
import { findRejections } from '../rejections/index.js';
import { openDatabase } from '../store/open.js';

const db = process.argv[2]!;
const started = process.hrtime.bigint();
const store = await openDatabase({ db });
const report = await findRejections(store);
await store.close();
const seconds = Number(process.hrtime.bigint() - started) / 1e9;
process.stdout.write(JSON.stringify({ seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024, rejected: report.totals.rejected, chains: report.totals.chains, looksWrong: report.totals.looks_wrong }) + '\n');
