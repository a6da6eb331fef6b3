import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOneErrorLine, runCli } from './run-cli.js';

describe('cli: demo', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'synapse-doctor-demo-test-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('builds the rejection chain, inspects it and prints commands that work', async () => {
    const target = join(dir, 'demo');
    const r = await runCli(['demo', target]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    const db = join(target, 'homeserver.db');
    expect(existsSync(db)).toBe(true);
    expect(r.stdout).toMatch(/^rejected events\s+[1-9]\d*$/m);
    // the walk: each command printed before it runs, the cure applied, inspect again
    const walk = ['rejections', 'explain', 'unreject', 'inspect'].map((c) => r.stdout.indexOf(`$ npx synapse-doctor ${c} --db ${db}`));
    expect(walk.every((i) => i > 0)).toBe(true);
    expect([...walk].sort((x, y) => x - y)).toEqual(walk);
    expect(r.stdout).toMatch(/This was a dry run/);
    expect(r.stdout).toMatch(/every check passed/);
    expect(r.stdout).toMatch(/^rejected events\s+1$/m); // inspect after the cure: the genuine one
    const cured = await runCli(['rejections', '--db', db, '--json']);
    expect(cured.code).toBe(0); // nothing looks wrong any more

    // the room drawn before and after the cure: the chain red before, none of it red after
    const before = join(target, 'graph-before.html');
    const after = join(target, 'graph-after.html');
    expect(r.stdout).toContain(`before: ${before}\n  after:  ${after}\n`);
    expect(r.stdout.indexOf('graph-before.html')).toBeLessThan(r.stdout.indexOf(`$ npx synapse-doctor unreject --db ${db}`));
    const pageData = async (file: string): Promise<{ event_id: string; rejection: string | null; chain_root: string | null }[]> =>
      JSON.parse(/<script type="application\/json" id="graph-data">([^<]*)<\/script>/.exec(await readFile(file, 'utf8'))![1]!).nodes;
    const nodesBefore = await pageData(before);
    const nodesAfter = await pageData(after);
    expect(nodesAfter.map((n) => n.event_id)).toEqual(nodesBefore.map((n) => n.event_id));
    const chainBefore = nodesBefore.filter((n) => n.rejection !== null);
    expect(chainBefore.length).toBeGreaterThan(1);
    expect(chainBefore.filter((n) => n.chain_root === 'looks-wrong').length).toBe(1);
    const redAfter = new Set(nodesAfter.filter((n) => n.rejection !== null).map((n) => n.event_id));
    for (const n of chainBefore) expect(redAfter.has(n.event_id), n.event_id).toBe(n.chain_root === 'genuinely-invalid');
    expect(await readFile(before, 'utf8')).toMatch(/<g id="ev_n\d+" class="node ev state rejected root[^"]*">\n<title>n\d+<\/title>\n<path fill="#ef9a9a"/);
    expect(await readFile(after, 'utf8')).not.toContain('fill="#ef9a9a"');

    // the printed undo brings the broken room back
    const undoLine = /npx synapse-doctor undo (\S+)/.exec(r.stdout.slice(r.stdout.indexOf('Try next:')));
    expect(undoLine).not.toBeNull();
    const undo = await runCli(['undo', undoLine![1]!.replace(/^'|'$/g, ''), '--apply', '--no-backup', '--journal', join(target, 'undo.jsonl')]);
    expect(undo.code, undo.stderr).toBe(0);
    const rejections = await runCli(['rejections', '--db', db, '--json']);
    expect(rejections.code).toBe(1); // a chain that looks wrong
    const chain = JSON.parse(rejections.stdout).rooms[0].chains.find((c: { verdict: string }) => c.verdict === 'looks-wrong');
    expect(r.stdout).toContain(`$ npx synapse-doctor explain --db ${db} '${chain.root.event_id}'`);
    const explain = await runCli(['explain', '--db', db, chain.root.event_id]);
    expect(explain.code, explain.stderr).toBe(0);
    expect(explain.stdout).toMatch(/why: unexplained/);

    const inspect = await runCli(['inspect', '--db', db, '--json']);
    expect(inspect.code).toBe(0);
    const report = JSON.parse(inspect.stdout);
    expect(report.rooms[0].rejected_events.by_reason.auth_error).toBeGreaterThan(1);

    // the printed pdu examples run as printed and say what the demo claims
    const root = await runCli(['pdu', 'auth', '--room-version', '10', '--event', join(target, 'root-event.json'), '--auth-events', join(target, 'root-auth-events.json'), '--json']);
    expect(root.code).toBe(0);
    expect(JSON.parse(root.stdout).allowed).toBe(true);
    const cascade = await runCli(['pdu', 'auth', '--room-version', '10', '--event', join(target, 'cascade-event.json'), '--auth-events', join(target, 'cascade-auth-events.json'), '--json']);
    expect(cascade.code).toBe(1);
    expect(JSON.parse(cascade.stdout)).toMatchObject({ allowed: false });
    const rootEvent = JSON.parse(await readFile(join(target, 'root-event.json'), 'utf8'));
    const id = await runCli(['pdu', 'event-id', '--room-version', '10', '--json'], { input: JSON.stringify(rootEvent) });
    expect(inspect.stdout).not.toContain('"' + 'undefined');
    expect(JSON.parse(id.stdout).event_id).toMatch(/^\$[A-Za-z0-9_-]{43}$/);
  });

  it('refuses to overwrite an existing database (exit 3)', async () => {
    const target = join(dir, 'again');
    expect((await runCli(['demo', target])).code).toBe(0);
    const r = await runCli(['demo', target]);
    expect(r.code).toBe(3);
    expect(expectOneErrorLine(r.stderr).message).toContain('already exists');
  });

  it('uses a new temporary folder by default and can answer in JSON', async () => {
    const r = await runCli(['demo', '--json'], { env: { TMPDIR: dir } });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.database.startsWith(dir)).toBe(true);
    expect(out.inspect.format).toBe(1);
    expect(out.next[0]).toContain('inspect --db');
    expect(out.cure.map((c: string) => c.split(' ')[2])).toEqual(['rejections', 'explain', 'unreject', 'unreject', 'inspect']);
  });
});
