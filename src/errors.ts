/**
 * One error type for everything the tool refuses or fails to do. `code` is a stable string that also
 * appears in `--json` output; `exitClass` picks the process exit code (see src/cli/exit-codes.ts).
 */
export type ErrorCode =
  | 'USAGE'
  | 'DB_NOT_FOUND'
  | 'DB_NOT_SYNAPSE'
  | 'DB_AUTH_FAILED'
  | 'DB_UNREACHABLE'
  | 'DB_ERROR'
  | 'DB_LOCKED'
  | 'CONFIG_INVALID'
  | 'SCHEMA_UNSUPPORTED'
  | 'SYNAPSE_RUNNING'
  | 'LOCK_HELD'
  | 'BACKGROUND_UPDATES_PENDING'
  | 'PLAN_STALE'
  | 'NO_EXTREMITY_TO_KEEP'
  | 'VERIFY_FAILED'
  | 'ROOM_NOT_FOUND'
  | 'EVENT_NOT_FOUND'
  | 'BAD_EVENT_JSON'
  | 'BAD_INPUT'
  | 'INTERNAL';

/** How the CLI classifies a failure; each class has one exit code. */
export type ExitClass = 'usage' | 'input' | 'database' | 'safety' | 'verify' | 'internal';

const CLASS_OF: Record<ErrorCode, ExitClass> = {
  USAGE: 'usage',
  DB_NOT_FOUND: 'input',
  DB_NOT_SYNAPSE: 'input',
  CONFIG_INVALID: 'input',
  ROOM_NOT_FOUND: 'input',
  EVENT_NOT_FOUND: 'input',
  BAD_EVENT_JSON: 'input',
  BAD_INPUT: 'input',
  DB_AUTH_FAILED: 'database',
  DB_UNREACHABLE: 'database',
  DB_ERROR: 'database',
  DB_LOCKED: 'database',
  SCHEMA_UNSUPPORTED: 'safety',
  SYNAPSE_RUNNING: 'safety',
  LOCK_HELD: 'safety',
  BACKGROUND_UPDATES_PENDING: 'safety',
  PLAN_STALE: 'safety',
  NO_EXTREMITY_TO_KEEP: 'safety',
  VERIFY_FAILED: 'verify',
  INTERNAL: 'internal',
};

export class SynapseDoctorError extends Error {
  readonly code: ErrorCode;
  readonly hint?: string;
  constructor(code: ErrorCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'SynapseDoctorError';
    this.code = code;
    if (options.hint !== undefined) this.hint = options.hint;
  }
  get exitClass(): ExitClass {
    return CLASS_OF[this.code];
  }
}

export function isSynapseDoctorError(e: unknown): e is SynapseDoctorError {
  return e instanceof SynapseDoctorError;
}
