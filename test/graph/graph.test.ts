/**
 * `graph` through the built CLI on both engines: on the rejection-chain scenario the DOT, SVG and
 * HTML outputs carry the chain's events, the root marked and the rejected events red; --around,
 * --depth and --max-events bound what is drawn; the output does not change between runs; an unknown
 * room or event is one line and exit 3. The healthy scenario's soft-failed event is styled apart.
 * On the database a real Synapse 1.67 wrote (../shared/real-synapse/dev-chain, when present; a
 * copy is read), the chain drawn is the one its notes name.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildScenario } from '../../src/simulator/scenarios/index.js';
import { expectOneErrorLine, runCli } from '../cli/run-cli.js';
import { ENGINES, freshSynapseDatabase, rawEngine, type FreshDatabase } from '../support/engines.js';

interface Node { id: string; event_id: string; rejection: string | null; chain_root: string | null; soft_failed: boolean; outlier: boolean; focus: boolean; state_key: string | null; type: string }
interface Graph { selection: { mode: string; truncated: boolean; depth: number; max_events: number }; nodes: Node[]; edges: { from: string; to: string; kind: string }[] }

const RED = '#ef9a9a';

for (const kind of ENGINES) {
  describe(`${kind}: graph`, () => {
    let fresh: FreshDatabase;
    let dir: string;
    let roomId: string;
    let labels: { root: string; cascade: string[]; genuine: string; oldPlEvents: string[]; before: string };
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'synapse-doctor-graph-'));
      fresh = await freshSynapseDatabase(kind, 94);
      const s = await buildScenario('rejection-chain', { engine: rawEngine(fresh.db), version: 94 });
      roomId = s.roomId;
      labels = s.labels as typeof labels;
      await fresh.db.close();
    });
    afterAll(async () => {
      await fresh.cleanup();
      await rm(dir, { recursive: true, force: true });
    });

    const graph = async (...args: string[]): Promise<Graph> => {
      const r = await runCli(['graph', '--db', fresh.url, '--room', roomId, '--json', ...args]);
      expect(r.code, r.stderr).toBe(0);
      return JSON.parse(r.stdout) as Graph;
    };

    it('draws the rejection chains: every chain event, the roots marked, the rejected red, in DOT, SVG and HTML', async () => {
      const g = await graph();
      expect(g.selection.mode).toBe('rejection-chains');
      const byEvent = new Map(g.nodes.map((n) => [n.event_id, n]));
      for (const id of [labels.root, ...labels.cascade, labels.genuine]) expect(byEvent.get(id)?.rejection, id).toBe('auth_error');
      for (const id of labels.oldPlEvents) expect(byEvent.get(id)?.rejection).toBeNull();
      expect(byEvent.get(labels.root)!.chain_root).toBe('looks-wrong');
      expect(byEvent.get(labels.genuine)!.chain_root).toBe('genuinely-invalid');
      expect(g.nodes.filter((n) => n.chain_root !== null).map((n) => n.event_id).sort()).toEqual([labels.root, labels.genuine].sort());
      // the root cites its prev event; the cascade cites the root as an auth event
      const root = byEvent.get(labels.root)!;
      expect(g.edges.some((e) => e.to === root.id && e.kind === 'auth' && e.from === byEvent.get(labels.cascade[0]!)!.id)).toBe(true);
      const state = g.nodes.filter((n) => n.state_key !== null);
      expect(state.map((n) => n.type)).toContain('m.room.power_levels');

      const dot = await runCli(['graph', '--db', fresh.url, '--room', roomId, '--format', 'dot']);
      expect(dot.code, dot.stderr).toBe(0);
      expect(dot.stdout).toMatch(/^digraph room \{/);
      expect(dot.stdout).toContain(`${root.id} [id="ev_${root.id}" class="ev state rejected root"`);
      expect(dot.stdout).toMatch(new RegExp(`${root.id} \\[[^\\]]*ROOT \\(looks wrong\\)[^\\]]*penwidth=4`));
      expect(dot.stdout.match(new RegExp(`fillcolor="${RED}"`, 'g'))?.length).toBe(g.nodes.filter((n) => n.rejection !== null).length);
      expect(dot.stdout).toContain('m.room.power_levels');

      const svg = await runCli(['graph', '--db', fresh.url, '--room', roomId, '--format', 'svg']);
      expect(svg.code, svg.stderr).toBe(0);
      expect(svg.stdout).toMatch(/^<\?xml[^>]*>\n<svg /);
      expect(svg.stdout).toMatch(new RegExp(`<g id="ev_${root.id}" class="node ev state rejected root">\\n<title>${root.id}</title>\\n<path fill="${RED}" stroke="#b71c1c" stroke-width="4"`));
      expect(svg.stdout.match(/<g id="ev_n\d+" class="node /g)?.length).toBe(g.nodes.length);
      expect(svg.stdout.match(/class="edge auth"/g)?.length).toBe(g.edges.filter((e) => e.kind === 'auth').length);

      const file = join(dir, `${kind}-chain.html`);
      const html = await runCli(['graph', '--db', fresh.url, '--room', roomId, '-o', file]);
      expect(html.code, html.stderr).toBe(0);
      expect(html.stdout).toBe(`wrote ${file}: ${g.nodes.length} events (${g.nodes.filter((n) => n.rejection !== null).length} rejected), ${g.edges.length} edges\n`);
      const page = await readFile(file, 'utf8');
      const csp = /<meta http-equiv="Content-Security-Policy" content="([^"]+)">/.exec(page)![1]!.replace(/&#39;/g, "'");
      expect(csp).toMatch(/^default-src 'none'; script-src 'sha256-[^']+' 'sha256-[^']+'; style-src 'sha256-[^']+'; img-src data:/);
      expect(csp).not.toContain('unsafe');
      expect(page).not.toMatch(/<script[^>]+src=|<link|@import|url\(/i);
      const data = JSON.parse(/<script type="application\/json" id="graph-data">([^<]*)<\/script>/.exec(page)![1]!) as { nodes: { event_id: string; rejection: string | null }[] };
      expect(data.nodes.map((n) => n.event_id)).toEqual(g.nodes.map((n) => n.event_id));
    });

    it('writes the page to graph-<room>.html in the current directory without -o, and says where', async () => {
      const cwd = await mkdtemp(join(dir, `${kind}-cwd-`));
      const r = await runCli(['graph', '--db', fresh.url, '--room', roomId], { cwd });
      expect(r.code, r.stderr).toBe(0);
      const name = `graph-${roomId.slice(1).replace(/[^A-Za-z0-9._-]/g, '_')}.html`;
      expect(r.stdout).toMatch(new RegExp(`^wrote ${join(cwd, name).replace(/[.$]/g, '\\$&')}: \\d+ events`));
      expect(await readFile(join(cwd, name), 'utf8')).toMatch(/^<!DOCTYPE html>/);
    });

    it('is deterministic: the same database gives the same bytes', async () => {
      const a = join(dir, `${kind}-a.html`);
      const b = join(dir, `${kind}-b.html`);
      for (const f of [a, b]) expect((await runCli(['graph', '--db', fresh.url, '--room', roomId, '-o', f])).code).toBe(0);
      expect(await readFile(a, 'utf8')).toBe(await readFile(b, 'utf8'));
      const d1 = await runCli(['graph', '--db', fresh.url, '--room', roomId, '--format', 'dot', '--around', labels.root]);
      const d2 = await runCli(['graph', '--db', fresh.url, '--room', roomId, '--format', 'dot', '--around', labels.root]);
      expect(d1.stdout).toBe(d2.stdout);
    });

    it('bounds the drawing with --around, --depth and --max-events', async () => {
      const one = await graph('--around', labels.root, '--depth', '1');
      expect(one.selection.mode).toBe('around');
      const root = one.nodes.find((n) => n.event_id === labels.root)!;
      expect(root.focus).toBe(true);
      // every other node is one reference away from the root, in one direction or the other
      for (const n of one.nodes) {
        if (n === root) continue;
        expect(one.edges.some((e) => (e.from === root.id && e.to === n.id) || (e.from === n.id && e.to === root.id)), n.event_id).toBe(true);
      }
      expect(one.nodes.some((n) => n.event_id === labels.cascade[0])).toBe(true); // a dependent (descendant)
      expect(one.nodes.some((n) => n.type === 'm.room.create')).toBe(true); // an auth event (ancestor)
      const zero = await graph('--around', labels.root, '--depth', '0');
      expect(zero.nodes.map((n) => n.event_id)).toEqual([labels.root]);
      const wide = await graph('--around', labels.root, '--depth', '50');
      expect(wide.nodes.length).toBeGreaterThan(one.nodes.length);

      const r = await runCli(['graph', '--db', fresh.url, '--room', roomId, '--json', '--around', labels.root, '--max-events', '3']);
      expect(r.code).toBe(0);
      const capped = JSON.parse(r.stdout) as Graph;
      expect(capped.nodes.length).toBe(3);
      expect(capped.selection.truncated).toBe(true);
      expect(capped.nodes.some((n) => n.event_id === labels.root)).toBe(true); // the nearest are kept
      expect(r.stderr).toMatch(/^synapse-doctor: warning: the graph shows 3 events: more were within reach/);
    });

    it('refuses an unknown room, an unknown event and bad options in one line', async () => {
      const room = await runCli(['graph', '--db', fresh.url, '--room', '!nope:example.org']);
      expect(room.code).toBe(3);
      expect(expectOneErrorLine(room.stderr).message).toContain('!nope:example.org');
      const ev = await runCli(['graph', '--db', fresh.url, '--room', roomId, '--around', '$missing']);
      expect(ev.code).toBe(3);
      expect(expectOneErrorLine(ev.stderr).message).toContain('$missing is not in this database');
      for (const bad of [['--format', 'png'], ['--depth', '-1'], ['--max-events', '0'], ['--around', 'nope']]) {
        const u = await runCli(['graph', '--db', fresh.url, '--room', roomId, ...bad]);
        expect(u.code, bad.join(' ')).toBe(2);
        expectOneErrorLine(u.stderr);
      }
    });
  });
}

for (const kind of ENGINES) {
  describe(`${kind}: graph of a room without chains`, () => {
    it("draws the most recent events, the soft-failed one styled apart", async () => {
      const fresh = await freshSynapseDatabase(kind, 94);
      try {
        const s = await buildScenario('healthy', { engine: rawEngine(fresh.db), version: 94 });
        await fresh.db.close();
        const r = await runCli(['graph', '--db', fresh.url, '--room', s.roomId, '--json']);
        expect(r.code, r.stderr).toBe(0);
        const g = JSON.parse(r.stdout) as Graph;
        expect(g.selection.mode).toBe('recent');
        expect(g.nodes.every((n) => n.rejection === null)).toBe(true);
        const soft = g.nodes.filter((n) => n.soft_failed);
        expect(soft.length).toBeGreaterThan(0);
        const few = JSON.parse((await runCli(['graph', '--db', fresh.url, '--room', s.roomId, '--json', '--max-events', '5'])).stdout) as Graph;
        expect(few.nodes.length).toBe(5);
        expect(few.nodes.map((n) => n.event_id)).toEqual(g.nodes.slice(-5).map((n) => n.event_id)); // the newest
        const dot = await runCli(['graph', '--db', fresh.url, '--room', s.roomId, '--format', 'dot']);
        for (const n of soft) expect(dot.stdout).toMatch(new RegExp(`${n.id} \\[id="ev_${n.id}" class="ev[^"]* soft-failed"[^\\]]*fillcolor="#fff59d"[^\\]]*style="rounded,filled,dotted"`));
        expect(dot.stdout).not.toContain(RED);
      } finally {
        await fresh.cleanup();
      }
    });
  });
}

for (const kind of ENGINES) {
  describe(`${kind}: graph of a room version 12 room`, () => {
    it('draws the auth edge to the create event that v12 events cite through the room id', async () => {
      const fresh = await freshSynapseDatabase(kind, 94);
      try {
        const s = await buildScenario('rejection-chain', { engine: rawEngine(fresh.db), version: 94, roomVersion: '12' });
        const labels = s.labels as { root: string; create: string };
        await fresh.db.close();
        const r = await runCli(['graph', '--db', fresh.url, '--room', s.roomId, '--json', '--around', labels.root, '--depth', '1']);
        expect(r.code, r.stderr).toBe(0);
        const g = JSON.parse(r.stdout) as Graph;
        const create = g.nodes.find((n) => n.event_id === labels.create)!;
        const root = g.nodes.find((n) => n.event_id === labels.root)!;
        expect(create.type).toBe('m.room.create');
        expect(g.edges).toContainEqual({ from: root.id, to: create.id, kind: 'auth' });
        expect(g.edges.some((e) => e.from === create.id)).toBe(false);
      } finally {
        await fresh.cleanup();
      }
    });
  });
}

const REAL = fileURLToPath(new URL('../../../shared/real-synapse/', import.meta.url));

describe.skipIf(!existsSync(`${REAL}dev-chain/hsP-broken.db`))('real Synapse 1.67: graph of dev-chain P', () => {
  it('draws the chain its notes name: the root marked, every collateral event red', async () => {
    const truth = JSON.parse(await readFile(`${REAL}dev-chain.json`, 'utf8')) as { room_id: string; root_rejected_event_ids: string[]; collateral_event_ids: string[] };
    const dir = await mkdtemp(join(tmpdir(), 'synapse-doctor-graph-real-'));
    try {
      const db = join(dir, 'hsP.db');
      await copyFile(`${REAL}dev-chain/hsP-broken.db`, db);
      const r = await runCli(['graph', '--db', db, '--room', truth.room_id, '--json']);
      expect(r.code, r.stderr).toBe(0);
      const g = JSON.parse(r.stdout) as Graph;
      const byEvent = new Map(g.nodes.map((n) => [n.event_id, n]));
      expect(byEvent.get(truth.root_rejected_event_ids[0]!)?.chain_root).toBe('looks-wrong');
      for (const id of truth.collateral_event_ids) expect(byEvent.get(id)?.rejection, id).not.toBeNull();
      const page = await runCli(['graph', '--db', db, '--room', truth.room_id, '-o', join(dir, 'p.html')]);
      expect(page.code, page.stderr).toBe(0);
      expect(await readFile(join(dir, 'p.html'), 'utf8')).toContain('class="node ev state rejected root"');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
