/** Every fsck check, in report order. Each group lives in its own module. */
import type { FsckCheckDefinition } from '../check.js';
import { ORDERINGS_CHECKS } from './orderings.js';
import { STATE_CHECKS } from './state.js';

export const ALL_CHECKS: readonly FsckCheckDefinition[] = [
  ...STATE_CHECKS,
  ...ORDERINGS_CHECKS,
];
