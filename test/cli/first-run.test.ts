/** First-run behaviour through the built binary: help lists the options that apply; odd --db files fail fast. */
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneErrorLine, runCli } from './run-cli.js';

describe('cli: first run', () => {
  it("every command's --help lists the global options (--db, --config, --json)", async () => {
    for (const cmd of [['inspect'], ['rejections'], ['explain'], ['undo']]) {
      const r = await runCli([...cmd, '--help']);
      expect(r.code).toBe(0);
      for (const flag of ['--db', '--config', '--json']) expect(r.stdout, `${cmd.join(' ')} --help`).toContain(flag);
    }
  });

  it('a FIFO given as --db is refused at once (exit 3), not read forever', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sd-fifo-'));
    try {
      const fifo = join(dir, 'homeserver.db');
      execFileSync('mkfifo', [fifo]);
      const started = Date.now();
      const r = await runCli(['inspect', '--db', fifo]);
      expect(r.code).toBe(3);
      expect(expectOneErrorLine(r.stderr).message).toMatch(/not a regular file/);
      expect(Date.now() - started).toBeLessThan(10_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
