/**
 * fsck group `rejections`: where a rejection is recorded, and the rows a rejected event must not have.
 * Synapse reads whether an event is rejected from the rejections table only (events_worker.py
 * `_fetch_event_rows`, LEFT JOIN rejections); events.rejection_reason is written beside it and read
 * by one query (research notes §3.2). A rejected event gets events, event_json, state_events,
 * event_auth, the chain cover, event_to_state_groups and rejections rows, and nothing else (events.py
 * `_persist_events_txn`: `_store_rejected_events_txn` drops rejected events before
 * `_update_metadata_tables_txn`; never a forward extremity or current state).
 *
 * The findings inspect reports (rejected in current state, accepted events citing a rejected auth
 * event, rejected or outlier forward extremities) come from inspect's own code
 * (src/inspect/findings.ts `findRoomFindings`), run once per fsck and shared by four checks here.
 */
import type { FsckCheckDefinition, FsckContext, FsckFinding } from '../check.js';
import { findRoomFindings, WHY } from '../../inspect/findings.js';
import type { FindingId } from '../../inspect/report.js';
import { iterateRejectedWithAcceptedRows, iterateRejectionDisagreements } from '../../store/readers/fsck-rejections.js';
import { perContext, tally } from '../sample.js';

/** Background update (delta 72/03) that fills events.rejection_reason for rows written before 1.52. */
const POPULATE_REJECTIONS = 'events_populate_state_key_rejections';

const inspectFindings = perContext((ctx) => findRoomFindings(ctx.db.main, ctx.db.schema.capabilities, ctx.roomId));

/** inspect's finding `id` as fsck findings of `check`. */
async function fromInspect(check: FsckCheckDefinition, ctx: FsckContext, id: FindingId, advice: string): Promise<FsckFinding[]> {
  const out: FsckFinding[] = [];
  const rooms = await inspectFindings(ctx);
  for (const room of [...rooms.keys()].sort()) {
    const r = rooms.get(room)!;
    for (const f of r.findings) {
      if (f.id !== id) continue;
      const cited = f.cited_event_ids;
      const sample = f.sample_event_ids.slice(0, ctx.sampleSize).map((event_id) => ({ event_id }));
      const partial = id === 'accepted-cites-rejected-auth-event' && r.nonStateAuthCheck !== null && !r.nonStateAuthCheck.complete;
      out.push({
        check: check.id, severity: check.severity, room_id: f.room_id, count: f.count,
        sample: cited ? [...sample, { cited_rejected_event_ids: cited }] : sample,
        why: check.why, fixable: false,
        advice: partial ? `${advice} (non-state events were read only in a window of ${r.nonStateAuthCheck!.checked_events}: the count may be low; \`rejections --room\` reads the whole room)` : advice,
      });
    }
  }
  return out;
}

const disagree: FsckCheckDefinition = {
  id: 'rejections.reason-disagrees',
  group: 'rejections',
  title: 'rejections and events.rejection_reason disagreeing',
  severity: 'warning',
  why: 'Synapse decides from the rejections table alone, but computes a room\'s latest event position from events.rejection_reason, and the next tool or Synapse version that trusts the column sees another set of rejected events.',
  fixable: false,
  async run(ctx) {
    const caps = ctx.db.schema.capabilities;
    if (!caps.rejectionsTable || !caps.eventsRejectionReason) return [];
    const populating = ctx.db.schema.backgroundUpdates.some((u) => u.update_name === POPULATE_REJECTIONS);
    const t = tally(ctx);
    for await (const r of iterateRejectionDisagreements(ctx.db.main, ctx.roomId)) {
      // until the background update has run, old rows have no rejection_reason: expected, not wrong
      if (populating && r.has_event && r.rejection_reason === null) continue;
      const kind = !r.has_event ? 'rejections row without events row' : r.reason === null ? 'rejection_reason without rejections row' : 'rejections row without rejection_reason';
      t.add(r.room_id, () => ({ event_id: r.event_id, kind, reason: r.reason, rejection_reason: r.rejection_reason }));
    }
    return t.findings(this, () => ({ advice: 'decide which is right: `explain EVENT` re-checks the event; `unreject` clears a wrong rejection in both places.' }));
  },
};

const inCurrentState: FsckCheckDefinition = {
  id: 'rejections.rejected-in-current-state',
  group: 'rejections',
  title: 'rejected events in current_state_events',
  severity: 'error',
  why: WHY['rejected-in-current-state'],
  fixable: false,
  run(ctx) {
    return fromInspect(this, ctx, 'rejected-in-current-state', 'if the rejection is wrong, `unreject --room ROOM` cures it (and the chain behind it); otherwise the current state must be recomputed by Synapse (not offline).');
  },
};

const rejectedExtremity: FsckCheckDefinition = {
  id: 'rejections.rejected-forward-extremity',
  group: 'rejections',
  title: 'rejected forward extremities',
  severity: 'error',
  why: `${WHY['rejected-forward-extremity']} Clients then fail in /sync with "Could not find event" (matrix-org/synapse#12571).`,
  fixable: false,
  run(ctx) {
    return fromInspect(this, ctx, 'rejected-forward-extremity', '`extremities --prune` replaces them with their accepted ancestors; `unreject` if the rejection is wrong.');
  },
};

const outlierExtremity: FsckCheckDefinition = {
  id: 'rejections.outlier-forward-extremity',
  group: 'rejections',
  title: 'outlier forward extremities',
  severity: 'error',
  why: WHY['outlier-forward-extremity'],
  fixable: false,
  run(ctx) {
    return fromInspect(this, ctx, 'outlier-forward-extremity', '`extremities --prune` replaces them with timeline events.');
  },
};

const citesRejected: FsckCheckDefinition = {
  id: 'rejections.accepted-cites-rejected',
  group: 'rejections',
  title: 'accepted events citing a rejected auth event',
  severity: 'error',
  why: `${WHY['accepted-cites-rejected-auth-event']} (matrix-org/synapse#9595)`,
  fixable: false,
  run(ctx) {
    return fromInspect(this, ctx, 'accepted-cites-rejected-auth-event', 'the cited event was probably rejected wrongly: `rejections --room ROOM` then `unreject`.');
  },
};

const acceptedRows: FsckCheckDefinition = {
  id: 'rejections.rejected-has-accepted-rows',
  group: 'rejections',
  title: 'rejected events with rows only accepted events get',
  severity: 'warning',
  why: 'Synapse writes these rows only for accepted events: a rejected event that has them was accepted once and marked rejected afterwards, so extremities, memberships and relations still count an event Synapse now refuses to load.',
  fixable: false,
  async run(ctx) {
    const t = tally(ctx);
    for await (const r of iterateRejectedWithAcceptedRows(ctx.db.main, ctx.db.schema.capabilities.rejectionsTable, ctx.roomId)) {
      t.add(r.room_id, () => ({ event_id: r.event_id, tables: r.tables }));
    }
    return t.findings(this, () => ({ advice: 'if the rejection is wrong (an event marked rejected after the fact), `unreject --room ROOM` restores it; otherwise the rows are leftovers of the event\'s accepted past.' }));
  },
};

export const REJECTIONS_CHECKS: readonly FsckCheckDefinition[] = [disagree, inCurrentState, rejectedExtremity, outlierExtremity, citesRejected, acceptedRows];
