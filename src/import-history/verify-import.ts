/**
 * The verification report after an import, read back from both databases: every source event is
 * in the target, every source timeline event is a timeline event there with a state group, and the
 * state that group holds equals the source's state at that event (compared for every event, or an
 * even sample of `sample` events on large rooms, each distinct pair of groups read once).
 */
import { sameStateMap } from '../matrix/pdu.js';
import type { ReadStore } from '../store/open.js';
import { findEventPositions } from '../store/readers/room-dag.js';
import { findBackwardExtremities, iterateSourceEvents } from '../store/readers/history.js';
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


export async function verifyImport(source: ReadStore, target: ReadStore, roomId: string, options: { sample?: number } = {}): Promise<ImportVerification> {
  const sample = options.sample ?? 2000;
  const events: { id: string; outlier: boolean; group: number | null }[] = [];
  for await (const e of iterateSourceEvents(source.main, source.schema.capabilities, roomId)) events.push({ id: e.event_id, outlier: e.outlier, group: e.state_group });
  const positions = await findEventPositions(target.main, events.map((e) => e.id));
  const problems: string[] = [];
  let present = 0;
  let timelineWithState = 0;
  const timeline = events.filter((e) => !e.outlier);
  for (const e of events) {
    const p = positions.get(e.id);
    if (p && p.room_id === roomId) present++;
    else if (problems.length < 20) problems.push(`${e.id} is missing from the target`);
  }
  for (const e of timeline) {
    const p = positions.get(e.id);
    if (p && !p.outlier && p.state_group !== null) timelineWithState++;
    else if (problems.length < 20) problems.push(`${e.id} has no state group in the target`);
  }
  const step = Math.max(1, Math.ceil(timeline.length / sample));
  const src = new StateGroupReader(source.state, 512);
  const dst = new StateGroupReader(target.state, 512);
  const compared = new Map<string, boolean>();
  let stateCompared = 0;
  let stateEqual = 0;
  for (let i = 0; i < timeline.length; i += step) {
    const e = timeline[i]!;
    const tg = positions.get(e.id)?.state_group;
    if (e.group === null || tg === null || tg === undefined) continue;
    const key = `${e.group}:${tg}`;
    let ok = compared.get(key);
    if (ok === undefined) {
      ok = sameStateMap(await src.read(e.group), await dst.read(tg));
      compared.set(key, ok);
    }
    stateCompared++;
    if (ok) stateEqual++;
    else if (problems.length < 20) problems.push(`the state at ${e.id} differs from the source's`);
  }
  const backwardExtremities = (await findBackwardExtremities(target.main, roomId)).length;
  return { ok: problems.length === 0, sourceEvents: events.length, present, sourceTimeline: timeline.length, timelineWithState, stateCompared, stateEqual, backwardExtremities, problems };
}
