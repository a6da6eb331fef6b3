/**
 * Every global option is defined once here (name, flag, environment variable), after
 * node-pg-migrate's args.ts. Commands read them through `globalOptions(command)`.
 */
import { Option, type Command } from 'commander';

export const ENV_DB = 'SYNAPSE_DOCTOR_DB';

export interface GlobalOptions {
  /** SQLite path or postgres:// URL (default: $SYNAPSE_DOCTOR_DB). */
  db?: string;
  /** homeserver.yaml to read the database settings from. */
  config?: string;
  /** Separate database holding Synapse's state tables (the `state` logical database). */
  stateDb?: string;
  json: boolean;
  debug: boolean;
  force: boolean;
}

export function addGlobalOptions(program: Command): Command {
  return program
    .addOption(new Option('--db <path|url>', `SQLite file or postgres:// URL of the Synapse database (default: $${ENV_DB})`))
    .addOption(new Option('--config <homeserver.yaml>', "read the database settings from Synapse's config"))
    .addOption(new Option('--state-db <url>', 'separate database holding the state_groups* tables'))
    .addOption(new Option('--json', 'machine-readable output on stdout'))
    .addOption(new Option('--debug', 'print stack traces and causes of errors'))
    .addOption(new Option('--force', 'proceed despite safety warnings where a command allows it'));
}

export function globalOptions(command: Command): GlobalOptions {
  const o = command.optsWithGlobals() as Partial<GlobalOptions>;
  return {
    ...(o.db !== undefined ? { db: o.db } : {}),
    ...(o.config !== undefined ? { config: o.config } : {}),
    ...(o.stateDb !== undefined ? { stateDb: o.stateDb } : {}),
    json: o.json === true,
    debug: o.debug === true,
    force: o.force === true,
  };
}

/** Looks for a flag before parsing completes (needed to format usage errors). */
export function argvHasFlag(argv: readonly string[], flag: string): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes(flag);
}

/** commander's argument parser for an option given several times (`--room A --room B`): every value, in order. */
export function collectRepeated(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
