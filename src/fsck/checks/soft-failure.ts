/**
 * fsck group `soft-failure`: soft-failed events (internal_metadata.soft_failed, set when an event
 * passes auth against its own state but not against the current state; federation_event.py
 * `_check_for_soft_fail`). Not an error by itself; listed because they are invisible to clients and
 * never forward extremities, which explains "missing" messages (matrix-org/synapse#10066).
 */
import type { FsckCheckDefinition } from '../check.js';
import { eventPass, startEventPassAside } from './event-pass.js';

const softFailed: FsckCheckDefinition = {
  id: 'soft-failure.soft-failed',
  group: 'soft-failure',
  title: 'soft-failed events',
  severity: 'info',
  why: 'Synapse keeps soft-failed events out of clients\' timelines and never builds on them, so they look like lost messages to users (matrix-org/synapse#10066); a long run of them in a room points at a wrong current state.',
  fixable: false,
  startAside: startEventPassAside,
  async run(ctx) {
    return (await eventPass(ctx)).softFailed.findings(this, () => ({ advice: 'if many events of one room are soft-failed, check its current state (`fsck --check state`, `rejections --room ROOM`).' }));
  },
};

export const SOFT_FAILURE_CHECKS: readonly FsckCheckDefinition[] = [softFailed];
