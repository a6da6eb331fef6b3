/** Every fsck check, in report order. Each group lives in its own module. */
import type { FsckCheckDefinition } from '../check.js';

export const ALL_CHECKS: readonly FsckCheckDefinition[] = [];
