/**
 * Runs the built binary (bin/synapse-doctor.js → dist/cli/main.js) as a child process. Build first:
 * `npx tsc -p tsconfig.build.json` (`npm test` does it).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/synapse-doctor.js', import.meta.url));
const MAIN = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export function runCli(args: readonly string[], options: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string } = {}): Promise<CliRun> {
  if (!existsSync(MAIN)) throw new Error('dist/cli/main.js is missing: run `npx tsc -p tsconfig.build.json` first');
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...options.env };
    if (options.env === undefined || !('SYNAPSE_DOCTOR_DB' in options.env)) delete env.SYNAPSE_DOCTOR_DB;
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: options.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}

/** stderr lines that look like a stack trace. */
export function stackLines(text: string): string[] {
  return text.split('\n').filter((l) => /^\s+at\s/.test(l));
}

/** The error output contract: `synapse-doctor: …` then at most a `hint: …` line, no stack. */
export function expectOneErrorLine(stderr: string): { message: string; hint?: string } {
  const lines = stderr.trimEnd().split('\n');
  if (!lines[0].startsWith('synapse-doctor: ')) throw new Error(`unexpected stderr: ${stderr}`);
  if (lines.length > 2 || (lines.length === 2 && !lines[1].startsWith('hint: '))) throw new Error(`more than one error line: ${stderr}`);
  return lines.length === 2 ? { message: lines[0], hint: lines[1] } : { message: lines[0] };
}
