// Child process for the SIGKILL test: opens the database read-write, builds the sample plan and
// applies it with a journal; prints "applied" when committed.
import { applyPlan, openDatabase } from '../../../dist/index.js';
import { buildSamplePlan } from './sample-plan.mjs';

const [db, journal, bulk] = process.argv.slice(2);
const store = await openDatabase({ db, write: true });
const plan = await buildSamplePlan(store, { bulkRows: Number(bulk) });
await applyPlan(store, plan, { journal, force: true });
await store.close();
process.stdout.write('applied\n');
