/**
 * A sample of hostile inputs through the built CLI (`npx tsc -p tsconfig.build.json` first): every
 * `pdu` subcommand exits 0/1 with a result or 2 with one clean stderr line; never 70, never a stack.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneErrorLine, runCli, stackLines, type CliRun } from '../../cli/run-cli.js';
import { SPEC_SEED } from '../fixtures.js';
import { hostileInputs } from './inputs.js';

const SAMPLE = [
  '10,000 nested arrays', '10,000 nested objects in content', 'a 3 MB string', '1e400', '123456789012345678901234567890',
  '__proto__ and constructor keys', 'a lone surrogate', 'NUL characters', 'a BOM at the start', 'trailing garbage',
  'terminal escapes in garbage', 'an empty file', 'a JSON array', 'a JSON string', 'content an array', 'state_key a number',
  'auth_events strings of garbage', 'prev_events an object', 'event_id with odd characters',
];
const inputs = hostileInputs().filter((i) => SAMPLE.includes(i.name));

let dir: string;
const goodEvent = { room_id: '!r:a.test', type: 'm.room.message', sender: '@a:a.test', content: {}, depth: 1, origin_server_ts: 1, prev_events: [], auth_events: [] };
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'synapse-doctor-hostile-'));
  await writeFile(join(dir, 'keys.json'), JSON.stringify({ 'a.test': { 'ed25519:1': 'AAAA' } }));
  await writeFile(join(dir, 'good.json'), JSON.stringify(goodEvent));
  await writeFile(join(dir, 'empty-list.json'), '[]');
  await writeFile(join(dir, 'two-sets.json'), '[[],[]]');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function expectClean(run: CliRun, what: string): void {
  expect(stackLines(run.stderr), what).toEqual([]);
  expect(run.signal, what).toBeNull();
  // 3: incomplete input to `pdu auth` (a cited auth event is missing: undecided, not denied)
  expect([0, 1, 2, 3], `${what}: exit ${run.code}, stderr ${run.stderr.slice(0, 300)}`).toContain(run.code);
  if (run.code === 3) expect(run.stderr).toMatch(/^synapse-doctor: incomplete input: /);
  if (run.code === 2 || run.code === 3) {
    expectOneErrorLine(run.stderr);
    expect(run.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f\u202a-\u202e\ufeff]/);
  }
}

describe('pdu commands through the CLI on hostile input', () => {
  inputs.forEach((input, i) => {
    it(input.name, async () => {
      const f = join(dir, `in-${i}.json`);
      await writeFile(f, input.text);
      const list = join(dir, `list-${i}.json`);
      await writeFile(list, `[${input.text}]`);
      const d = (name: string): string => join(dir, name);
      // one subcommand per input, rotating, plus canonical on every input
      const runs: [string, string[]][] = [
        ['canonical', ['pdu', 'canonical', f]],
        ['event-id', ['pdu', 'event-id', '--room-version', '10', '--json', f]],
        ['redact', ['pdu', 'redact', '--room-version', '11', f]],
        ['check-hash', ['pdu', 'check-hash', '--json', f]],
        ['sign', ['pdu', 'sign', '--seed', SPEC_SEED, '--server', 'a.test', '--key-id', 'ed25519:1', '--room-version', '10', f]],
        ['verify', ['pdu', 'verify', '--keys', d('keys.json'), '--room-version', '5', '--json', f]],
        ['verify keys', ['pdu', 'verify', '--keys', f, '--room-version', '5', '--json', d('good.json')]],
        ['verify no version', ['pdu', 'verify', '--keys', d('keys.json'), '--json', f]],
        ['sign key file', ['pdu', 'sign', '--signing-key', f, '--server', 'a.test', d('good.json')]],
        ['auth', ['pdu', 'auth', '--room-version', '10', '--event', f, '--auth-events', d('empty-list.json'), '--json']],
        ['auth list', ['pdu', 'auth', '--room-version', '1', '--event', d('good.json'), '--state', list]],
        ['resolve', ['pdu', 'resolve', '--room-version', '12', '--state-sets', d('two-sets.json'), '--events', list, '--json']],
        ['resolve sets', ['pdu', 'resolve', '--room-version', '10', '--state-sets', f, '--events', d('empty-list.json')]],
      ];
      const picked = [runs[0]!, runs[1 + (i % (runs.length - 1))]!];
      for (const [name, args] of picked) {
        const t0 = performance.now();
        const run = await runCli(args);
        expectClean(run, `${name} on ${input.name}`);
        expect(performance.now() - t0).toBeLessThan(15_000);
        if (!input.object && name !== 'canonical' && !name.endsWith('list') && name !== 'resolve') expect(run.code, name).toBe(2);
        // a JSON document is never a signing.key, and its text is never echoed (it would be a private key)
        if (name === 'sign key file') expect(run.code).toBe(2);
      }
    });
  });

  it('stdin: hostile input piped in, and unknown room versions', async () => {
    for (const input of inputs.slice(0, 6)) {
      expectClean(await runCli(['pdu', 'event-id', '--room-version', '3', '-'], { input: input.text }), `stdin ${input.name}`);
    }
    for (const v of ['13', 'bogus', '\u001b[31m']) {
      const run = await runCli(['pdu', 'redact', '--room-version', v, join(dir, 'good.json')]);
      expectClean(run, `room version ${v}`);
      expect(run.code).toBe(2);
    }
  });
});
