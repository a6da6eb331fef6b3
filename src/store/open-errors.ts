/** Driver-error mapping lives with each engine; re-exported here for the code that opens databases. */
export { mapSqliteError } from './engine/sqlite/sqlite-errors.js';
export { mapPostgresError } from './engine/postgres/postgres-errors.js';
