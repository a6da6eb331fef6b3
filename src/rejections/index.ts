export { findRejections, type ChainReport, type FindRejectionsOptions, type RejectedEventReport, type RejectionsReport, type RoomRejections } from './find.js';
export { classifyRejected, type Classification, type RejectionClass } from './classify.js';
export { explainEvent, type EventExplanation, type RelatedEvent } from './explain.js';
