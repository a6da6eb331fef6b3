/** The `inspect` capability: what is in a Synapse database, as plain data. */
export { inspectDatabase, eventTime } from './inspect-database.js';
export type { InspectOptions, InspectTarget } from './inspect-database.js';
export type { EventTime, Finding, FindingId, InspectReport, IntegrityCheck, NonStateAuthCheck, RoomReport } from './report.js';
