/**
 * `synapse-doctor fsck [--room ROOM] [--check ID…] [--fix [--apply]]`: integrity checks of a Synapse
 * database (src/fsck). Read-only unless --fix --apply. Exit 0 clean (notes alone are clean), 1 when
 * an error or warning is found or a check could not run.
 */
import type { Command } from 'commander';
import { SynapseDoctorError } from '../../errors.js';
import { EXIT } from '../exit-codes.js';
import { collectRepeated, globalOptions } from '../options.js';
import { writeJson, writeOut, type CliContext } from '../output.js';
import { openForPlan, openForReading } from '../open.js';
import { addPlanOptions, planOptions, runPlan } from '../plan-output.js';
import { renderFsckText } from '../render-fsck.js';
import { printable } from '../../text/printable.js';

function parseSample(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) < 1 || Number(text) > 10_000) throw new SynapseDoctorError('USAGE', `--sample ${JSON.stringify(text)} is not a whole number from 1 to 10000`);
  return Number(text);
}

export function registerFsck(program: Command, ctx: CliContext): void {
  const cmd = program
    .command('fsck')
    .description('check the integrity of the database (events, rejections, DAG, state, orderings); --fix plans the safe repairs')
    .option('--room <room>', 'only this room (id !… or alias #…)')
    .option('--check <id>', 'run only this check or group (repeatable; see --list)', collectRepeated)
    .option('--list', 'list the checks and exit')
    .option('--sample <n>', 'rows shown per finding (default 10)')
    .option('--verbose', 'also list every check that ran, with its time')
    .option('--fix', 'plan the repairs that are safe offline (a dry run unless --apply)');
  addPlanOptions(cmd).action(async (opts: Record<string, unknown>, command: Command) => {
    const g = globalOptions(command);
    const po = planOptions(opts);
    const { ALL_CHECKS } = await import('../../fsck/checks/index.js');
    const { runFsck, hasProblems, unknownCheckNames } = await import('../../fsck/run-fsck.js');
    if (opts.list === true) {
      const rows = ALL_CHECKS.map((c) => ({ id: c.id, group: c.group, severity: c.severity, fixable: c.fixable, title: c.title, why: c.why, ...(c.engines ? { engines: c.engines } : {}) }));
      if (g.json) writeJson({ format: 1, checks: rows });
      else writeOut(rows.map((r) => `${r.id.padEnd(44)} ${r.severity.padEnd(7)} ${r.fixable ? 'fixable' : '       '}  ${r.title}`).join('\n'));
      return;
    }
    const only = (opts.check as string[] | undefined) ?? [];
    const unknown = unknownCheckNames(only);
    if (unknown.length > 0) throw new SynapseDoctorError('USAGE', `unknown check ${printable(JSON.stringify(unknown[0]))} (see fsck --list)`);
    if (po.apply && opts.fix !== true) throw new SynapseDoctorError('USAGE', '--apply needs --fix: fsck alone only reads');
    const sampleSize = typeof opts.sample === 'string' ? parseSample(opts.sample) : undefined;
    const fix = opts.fix === true;
    const db = fix ? await openForPlan(g, ctx, po.apply) : await openForReading(g, ctx);
    try {
      const { resolveRoomArgument } = await import('../../store/readers/rooms.js');
      const roomId = typeof opts.room === 'string' ? await resolveRoomArgument(db.main, opts.room) : undefined;
      const options = { ...(roomId === undefined ? {} : { roomId }), ...(sampleSize === undefined ? {} : { sampleSize }), ...(only.length ? { only } : {}) };
      const report = await runFsck(db, options);
      if (!fix) {
        if (g.json) writeJson(report);
        else writeOut(renderFsckText(report, { verbose: opts.verbose === true }));
        if (hasProblems(report)) ctx.exitCode = EXIT.findings;
        return;
      }
      const { planFsckFix } = await import('../../fsck/fix-plan.js');
      const commandLine = ['fsck', '--fix', ...(roomId ? ['--room', roomId] : []), ...only.flatMap((c) => ['--check', c])].join(' ');
      const { plan, empty, unfixed } = await planFsckFix(db, report, commandLine, options);
      if (empty) {
        if (g.json) writeJson({ format: 1, nothing_to_do: true, report });
        else writeOut(`${renderFsckText(report)}\n\nNothing to repair offline: --fix would change no row.`);
        if (hasProblems(report)) ctx.exitCode = EXIT.findings;
        return;
      }
      if (!g.json) writeOut(renderFsckText(report) + '\n');
      await runPlan(g, po, db, plan, { json: { report, unfixed: unfixed.map((f) => f.check) } });
      // After an applied repair the findings it fixed are gone; what remains is reported by the next run.
      if (!po.apply && hasProblems(report)) ctx.exitCode = EXIT.findings;
      if (po.apply && unfixed.some((f) => f.severity !== 'info')) ctx.exitCode = EXIT.findings;
    } finally {
      await db.close();
    }
  });
}
