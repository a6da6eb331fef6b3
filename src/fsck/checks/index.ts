/** Every fsck check, in report order. Each group lives in its own module. */
import type { FsckCheckDefinition } from '../check.js';
import { DAG_CHECKS } from './dag.js';
import { EVENTS_CHECKS } from './events.js';
import { REJECTIONS_CHECKS } from './rejections.js';
import { SOFT_FAILURE_CHECKS } from './soft-failure.js';
import { ORDERINGS_CHECKS } from './orderings.js';
import { STATE_CHECKS } from './state.js';

export const ALL_CHECKS: readonly FsckCheckDefinition[] = [
  ...EVENTS_CHECKS,
  ...REJECTIONS_CHECKS,
  ...DAG_CHECKS,
  ...SOFT_FAILURE_CHECKS,
  ...STATE_CHECKS,
  ...ORDERINGS_CHECKS,
];
