export { findRejections, type ChainReport, type FindRejectionsOptions, type RejectedEventReport, type RejectionsReport, type RoomRejections } from './find.js';
export { classifyRejected, type Classification, type RejectionClass } from './classify.js';
export { explainEvent, type EventExplanation, type RelatedEvent } from './explain.js';
export { computeCure, type Cure, type CureDecision, type CureRequest } from './cure.js';
export { planUnreject, type UnrejectPlanResult } from './unreject-plan.js';
