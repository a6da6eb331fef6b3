/**
 * The verification report after an import, read back from both databases: every source event is
 * in the target, every source timeline event is a timeline event there with a state group, and the
 * state that group holds equals the source's state at that event (compared for every event, or an
 * even sample of `sample` events on large rooms, each distinct pair of groups read once). Read in
 * pages of the source's events: memory does not grow with the room.
 */
import { sameStateMap } from '../matrix/pdu.js';
import type { ReadStore } from '../store/open.js';
import { findEventPositions } from '../store/readers/room-dag.js';
import { countTimelineEvents, findBackwardExtremities, iterateSourceEventRefs } from '../store/readers/history.js';
import { StateGroupReader } from '../store/readers/state-groups.js';

export interface ImportVerification {
  readonly ok: boolean;
  readonly sourceEvents: number;
  readonly present: number;
  readonly sourceTimeline: number;
  readonly timelineWithState: number;
  readonly stateCompared: number;
  readonly stateEqual: number;
  readonly backwardExtremities: number;
  readonly problems: readonly string[];
}

/** Distinct (source group, target group) pairs remembered as compared; beyond that, compared again. */
const COMPARED_PAIRS = 50_000;

export async function verifyImport(source: ReadStore, target: ReadStore, roomId: string, options: { sample?: number } = {}): Promise<ImportVerification> {
  const sample = options.sample ?? 2000;
  const step = Math.max(1, Math.ceil((await countTimelineEvents(source.main, roomId)) / sample));
  const problems: string[] = [];
  const problem = (text: string): void => {
    if (problems.length < 20) problems.push(text);
  };
  const src = new StateGroupReader(source.state, 512);
  const dst = new StateGroupReader(target.state, 512);
  const compared = new Map<string, boolean>();
  let sourceEvents = 0;
  let sourceTimeline = 0;
  let present = 0;
  let timelineWithState = 0;
  let stateCompared = 0;
  let stateEqual = 0;
  for await (const page of iterateSourceEventRefs(source.main, roomId)) {
    const positions = await findEventPositions(target.main, page.map((e) => e.event_id));
    for (const e of page) {
      sourceEvents++;
      const p = positions.get(e.event_id);
      if (p && p.room_id === roomId) present++;
      else problem(`${e.event_id} is missing from the target`);
      if (e.outlier) continue;
      const n = sourceTimeline++;
      if (p && !p.outlier && p.state_group !== null) timelineWithState++;
      else problem(`${e.event_id} has no state group in the target`);
      if (n % step !== 0) continue;
      const tg = p?.state_group;
      if (e.state_group === null || tg === null || tg === undefined) continue;
      const key = `${e.state_group}:${tg}`;
      let ok = compared.get(key);
      if (ok === undefined) {
        ok = sameStateMap(await src.read(e.state_group), await dst.read(tg));
        if (compared.size < COMPARED_PAIRS) compared.set(key, ok);
      }
      stateCompared++;
      if (ok) stateEqual++;
      else problem(`the state at ${e.event_id} differs from the source's`);
    }
  }
  const backwardExtremities = (await findBackwardExtremities(target.main, roomId)).length;
  return { ok: problems.length === 0, sourceEvents, present, sourceTimeline, timelineWithState, stateCompared, stateEqual, backwardExtremities, problems };
}
