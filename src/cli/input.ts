/** Reading input documents: a FILE argument, or stdin when the argument is `-` or absent. */
import { readFile } from 'node:fs/promises';
import { SynapseDoctorError } from '../errors.js';

const MAX_INPUT_BYTES = 256 * 1024 * 1024;

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) {
    throw new SynapseDoctorError('USAGE', 'no input file given and stdin is a terminal', {
      hint: 'pass a FILE argument, or pipe the JSON in (use - to read stdin explicitly)',
    });
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const buf = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buf.length;
    if (size > MAX_INPUT_BYTES) throw new SynapseDoctorError('BAD_INPUT', 'stdin: input larger than 256 MiB');
    chunks.push(buf);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** The text of FILE, or of stdin for `-`/undefined; a missing or unreadable file is bad input (exit 3). */
export async function readInput(file: string | undefined, what = 'input'): Promise<string> {
  if (file === undefined || file === '-') return readStdin();
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : code === 'EACCES' ? 'permission denied' : (e as Error).message;
    throw new SynapseDoctorError('BAD_INPUT', `cannot read ${what} ${file}: ${why}`, { cause: e });
  }
}
