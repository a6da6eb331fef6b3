// Child process for the SIGKILL tests: opens the database read-write, builds a plan and applies it
// with a journal; prints "applied" when committed.
//   node apply-child.mjs DB JOURNAL ROWS [sample|bulk] [one|per-chunk]
import { applyPlan, openDatabase } from '../../../dist/index.js';
import { buildMissingRowsPlan, buildSamplePlan } from './sample-plan.mjs';

const [db, journal, rows, kind = 'sample', transactions = 'one'] = process.argv.slice(2);
const store = await openDatabase({ db, write: true });
const plan = kind === 'bulk' ? await buildMissingRowsPlan(store, Number(rows)) : await buildSamplePlan(store, { bulkRows: Number(rows) });
let started = false;
const onProgress = () => {
  if (started) return;
  started = true;
  process.stdout.write('start\n'); // the test times its kill from here
};
await applyPlan(store, plan, { journal, force: true, transactions, chunkRows: 500, onProgress });
await store.close();
process.stdout.write('applied\n');
