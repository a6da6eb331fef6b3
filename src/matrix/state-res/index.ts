/** State resolution (room versions 1–12), pure and synchronous. */
export { resolveState, resolveStateWithTrace, separateStateSets } from './resolve.js';
export type { ResolveStateInput, StateResResult, StateResTrace } from './resolve.js';
export { resolveStateV1 } from './v1.js';
export { authChain, authDifference, conflictedSubgraph } from './auth-chain.js';
export { EventAccess, authEdges, impliedCreateEventId } from './event-access.js';
export type { FetchEvent } from './event-access.js';
export { isPowerEvent, senderPowerLevel } from './power.js';
export { reverseTopologicalPowerOrder } from './ordering.js';
export { mainlineOf, mainlineSort } from './mainline.js';
export { iterativeAuthChecks, authMapForResolution } from './iterative-auth.js';
export type { AuthCheckOutcome } from './iterative-auth.js';
