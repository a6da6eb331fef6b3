/** The `extremities` capability: list a room's forward extremities, and plan Synapse's admin-API prune offline. */
export { DEFAULT_WALK_LIMIT, findExtremities, type Extremity, type ExtremityListing, type ListOptions } from './list-extremities.js';
export { extremityFlags, planPruneExtremities, type PruneOptions, type PrunePlanResult } from './prune-plan.js';
