/**
 * The worker thread of fsck's shared event pass (event-pass.ts) on an SQLite file: the pass on its
 * own read-only connection while the main thread runs the other checks; it answers with the
 * pass's counts and samples as plain data.
 */
import { workerData } from 'node:worker_threads';
import { openDatabase } from '../../store/open.js';
import { answerOnce } from '../../threads/worker-file.js';
import { eventPassData, runEventPass, type EventPassRequest } from './event-pass.js';

const req = workerData as EventPassRequest;
answerOnce(async () => {
  const store = await openDatabase({ db: req.db });
  try {
    const ctx = { db: store, sampleSize: req.sampleSize, ...(req.roomId === undefined ? {} : { roomId: req.roomId }) };
    return eventPassData(await runEventPass(ctx, { ...(req.after === undefined ? {} : { after: req.after }), ...(req.through === undefined ? {} : { through: req.through }) }));
  } finally {
    await store.close();
  }
});
