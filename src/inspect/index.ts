/** The `inspect` capability: what is in a Synapse database, as plain data. */
export { inspectDatabase, eventTime } from './inspect-database.js';
export type { InspectOptions, InspectTarget } from './inspect-database.js';
export type { EventTime, InspectReport, RoomReport } from './report.js';
