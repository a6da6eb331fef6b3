// Child process for the SIGKILL test of unreject: computes the cure of ROOM and applies it with a
// journal, as `unreject --apply` does; prints "start" at the first progress report and "applied"
// once committed.
//   node unreject-child.mjs DB JOURNAL ROOM
import { applyPlan, computeCure, openDatabase, planUnreject } from '../../../dist/index.js';

const [db, journal, room] = process.argv.slice(2);
const store = await openDatabase({ db, write: true });
const cure = await computeCure(store, { roomId: room, roots: 'all-wrong' });
const { plan } = await planUnreject(store, cure, `unreject --room ${room} --all-wrong`);
let started = false;
const onProgress = () => {
  if (started) return;
  started = true;
  process.stdout.write('start\n');
};
await applyPlan(store, plan, { journal, force: true, onProgress });
await store.close();
process.stdout.write('applied\n');
