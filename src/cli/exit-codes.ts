/**
 * The one table of process exit codes. Only src/cli/main.ts applies it (style guide §6.4).
 *
 * | exit | meaning |
 * | 0    | success; nothing wrong found |
 * | 1    | findings: a diagnostic found problems; for `pdu`: denied, hash mismatch, signature invalid |
 * | 2    | usage: unknown flag, missing argument; also malformed input to a `pdu` command |
 * | 3    | bad input: missing file, not a Synapse database, unknown room, bad config, bad JSON |
 * | 4    | database: cannot connect or authenticate, database locked |
 * | 5    | refused for safety: Synapse running, unsupported schema, lock held, pending background updates |
 * | 6    | verification failed after writing (the transaction was rolled back) |
 * | 70   | internal error: a bug |
 * | 130  | interrupted (SIGINT) |
 */
import type { ExitClass } from '../errors.js';

export const EXIT = {
  success: 0,
  findings: 1,
  usage: 2,
  input: 3,
  database: 4,
  safety: 5,
  verify: 6,
  internal: 70,
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Exit code of an error class; `malformedInputIsUsage` is set by `pdu` commands (the rule). */
export function exitCodeForClass(exitClass: ExitClass, options: { malformedInputIsUsage?: boolean } = {}): ExitCode {
  switch (exitClass) {
    case 'usage':
      return EXIT.usage;
    case 'input':
      return options.malformedInputIsUsage ? EXIT.usage : EXIT.input;
    case 'database':
      return EXIT.database;
    case 'safety':
      return EXIT.safety;
    case 'verify':
      return EXIT.verify;
    case 'internal':
      return EXIT.internal;
  }
}
