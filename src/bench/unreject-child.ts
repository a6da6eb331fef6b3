/**
 * Runs the cure of one room in a fresh process, as `synapse-doctor unreject --all-wrong --apply`
 * does (plan, journal, one transaction; no backup), and prints its wall time, the process's peak
 * memory and what it did.
 */
import { computeCure, planUnreject } from '../rejections/index.js';
import { applyPlan } from '../plan/apply.js';
import { openDatabase } from '../store/open.js';

const [db, room, journal] = process.argv.slice(2) as [string, string, string];
const started = process.hrtime.bigint();
const store = await openDatabase({ db, write: true });
const cure = await computeCure(store, { roomId: room, roots: 'all-wrong' });
const planned = process.hrtime.bigint();
const { plan } = await planUnreject(store, cure, `unreject --room ${room} --all-wrong`);
const result = await applyPlan(store, plan, { journal, force: true });
await store.close();
const done = process.hrtime.bigint();
process.stdout.write(JSON.stringify({
  seconds: Number(done - started) / 1e9,
  cureSeconds: Number(planned - started) / 1e9,
  maxRssMiB: process.resourceUsage().maxRSS / 1024,
  unrejected: cure.decisions.filter((d) => d.unreject).length,
  stateEvents: cure.unrejected.filter((w) => w.row.state_key !== null).length,
  newGroups: cure.newGroups.length,
  rows: result.rows,
}) + '\n');
