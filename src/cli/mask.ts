/**
 * Passwords never reach the terminal: every line the CLI prints about a failure goes through
 * `scrub`, which masks the password positions of connection strings (one implementation, in
 * src/store/connection-string.ts) and nothing else.
 */
import { maskConnectionString } from '../store/connection-string.js';

export { maskConnectionString };

export function scrub(text: string): string {
  return maskConnectionString(text);
}
