/**
 * `synapse-doctor demo [DIR]`: builds the "rejection chain" scenario as an SQLite database in DIR
 * (a new temporary folder by default), inspects it, then walks the cure, each command printed
 * before it runs: `rejections`, `explain` on the root, `unreject --all-wrong` (dry run), the same
 * with --apply, and `inspect` again; last, how to undo it and what to try next. Around the cure it
 * draws the room (`graph`, around the chain's root) to graph-before.html and graph-after.html
 * beside the database and prints where they are. With --json it builds and inspects only, and
 * lists the commands.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { SynapseDoctorError } from '../../errors.js';
import { globalOptions } from '../options.js';
import { writeJson, writeOut, type CliContext } from '../output.js';
import { renderInspectText } from '../render-inspect.js';
import { shellQuote } from '../shell-quote.js';

export function registerDemo(program: Command, ctx: CliContext): void {
  program
    .command('demo [dir]')
    .description('build a demo Synapse database with a rejection chain (SQLite), inspect it, show next steps')
    .action(async (dirArg: string | undefined, _opts: unknown, cmd: Command) => {
      const g = globalOptions(cmd);
      const dir = dirArg === undefined ? await mkdtemp(join(tmpdir(), 'synapse-doctor-demo-')) : resolve(dirArg);
      if (dirArg !== undefined) await mkdir(dir, { recursive: true });
      const path = join(dir, 'homeserver.db');
      if (existsSync(path)) {
        throw new SynapseDoctorError('BAD_INPUT', `${path} already exists; the demo never overwrites a database`, {
          hint: 'choose another directory, or omit DIR to use a new temporary one',
        });
      }
      const { buildDemoDatabase } = await import('../demo-build.js');
      let demo;
      try {
        demo = await buildDemoDatabase(path);
      } catch (e) {
        // leave no half-built database behind (it would block the next attempt)
        await Promise.all(['', '-wal', '-shm', '-journal'].map((suffix) => rm(path + suffix, { force: true })));
        throw e;
      }
      const { openForReading } = await import('../open.js');
      const { inspectDatabase } = await import('../../inspect/index.js');
      const db = await openForReading({ ...g, db: path }, ctx);
      let report;
      try {
        report = await inspectDatabase(db);
      } finally {
        await db.close();
      }
      const q = shellQuote(path);
      const cure: string[][] = [
        ['rejections', '--db', path],
        ['explain', '--db', path, demo.rootEventId],
        ['unreject', '--db', path, '--room', demo.roomId, '--all-wrong'],
        ['unreject', '--db', path, '--room', demo.roomId, '--all-wrong', '--apply'],
        ['inspect', '--db', path],
      ];
      const shown = (args: string[]): string => `npx synapse-doctor ${args.map(shellQuote).join(' ')}`;
      const next = [
        `npx synapse-doctor inspect --db ${q} --room ${shellQuote(demo.roomId)} --json`,
        ...demo.files.map((f) => f.command),
      ];
      if (g.json) {
        writeJson({ format: 1, database: path, room_id: demo.roomId, scenario: demo.scenario, inspect: report, cure: cure.map(shown), next });
        return;
      }
      writeOut(`Built scenario "${demo.scenario}" in ${path}\n${demo.description}\n`);
      writeOut(renderInspectText(report, { details: true }));
      const { run } = await import('../main.js');
      // the same picture before and after: the room around the chain's root, far enough to hold it all
      const graphArgs = (file: string): string[] => ['graph', '--db', path, '--room', demo.roomId, '--around', demo.rootEventId, '--depth', '100', '-o', join(dir, file)];
      const graphs = { before: join(dir, 'graph-before.html'), after: join(dir, 'graph-after.html') };
      writeOut(`\nFirst a picture of the room around the root, as it is:\n\n$ ${shown(graphArgs('graph-before.html'))}\n`);
      if ((await run(graphArgs('graph-before.html'))) !== 0) throw new SynapseDoctorError('INTERNAL', 'the demo could not draw the room before the cure');
      writeOut('\nNow the cure, one command at a time:\n');
      for (const args of cure) {
        writeOut(`\n$ ${shown(args)}\n`);
        const code = await run(args);
        const expected = args[0] === 'rejections' ? [0, 1] : [0];
        if (!expected.includes(code)) throw new SynapseDoctorError('INTERNAL', `the demo step "${shown(args)}" failed (exit ${code})`);
      }
      writeOut(`\nAnd the same picture after the cure:\n\n$ ${shown(graphArgs('graph-after.html'))}\n`);
      if ((await run(graphArgs('graph-after.html'))) !== 0) throw new SynapseDoctorError('INTERNAL', 'the demo could not draw the room after the cure');
      writeOut(`\nThe room before and after the cure (open them in a browser; red: rejected):\n  before: ${graphs.before}\n  after:  ${graphs.after}\n`);
      const { readdir } = await import('node:fs/promises');
      const journal = (await readdir(dir)).find((f) => f.includes('synapse-doctor-unreject') && f.endsWith('.journal.jsonl'));
      writeOut(['', 'Try next:', ...(journal ? [`  npx synapse-doctor undo ${shellQuote(join(dir, journal))}   # the broken room again (add --apply)`] : []), ...next.map((c) => `  ${c}`)].join('\n'));
    });
}
