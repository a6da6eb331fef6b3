/**
 * The graph page in a real browser: Debian's Chromium (/usr/bin/chromium, installed by .ci/run when
 * missing) driven by playwright-core, the page opened from a file:// URL as an admin would. The
 * page renders the expected nodes in the expected colours, pans and zooms (the viewport transform
 * changes on wheel and drag), shows an event's JSON on click and its sender and reason on hover,
 * hides and shows auth edges; events full of markup and script raise no dialog, log no error,
 * trip no Content-Security-Policy rule and fetch nothing; a 2,000-event graph renders and
 * responds. Without Chromium every test is skipped, saying why. SQLite only: the page does not
 * depend on the engine (graph.test.ts runs the command on both).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildScenario } from '../../src/simulator/scenarios/index.js';
import { generateLoad } from '../../src/simulator/load.js';
import { runCli } from '../cli/run-cli.js';
import { freshSynapseDatabase, rawEngine } from '../support/engines.js';
import { HOSTILE, writeHostileRoom } from './hostile-room.js';

const CHROMIUM = '/usr/bin/chromium';
const skipReason = existsSync(CHROMIUM) ? undefined : `${CHROMIUM} is missing (Debian: apt-get install -y chromium; .ci/run does it)`;
if (skipReason) console.warn(`graph browser tests skipped: ${skipReason}`);

interface Watched {
  page: Page;
  dialogs: string[];
  errors: string[];
  violations: () => Promise<string[]>;
  requests: string[];
}

const RED = 'rgb(239, 154, 154)';

describe.skipIf(skipReason !== undefined)('browser: graph page', () => {
  let browser: BrowserContext;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'synapse-doctor-graph-browser-'));
    const { chromium } = await import('playwright-core');
    // a fresh profile in the test's own folder
    browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1400, height: 900 },
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await rm(dir, { recursive: true, force: true });
  });

  async function open(file: string): Promise<Watched> {
    const page = await browser.newPage();
    const w: Watched = { page, dialogs: [], errors: [], requests: [], violations: async () => page.evaluate(() => (window as unknown as { __violations: string[] }).__violations) };
    page.on('dialog', (d) => {
      w.dialogs.push(`${d.type()}: ${d.message()}`);
      void d.dismiss();
    });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning' || /Content.Security.Policy|Refused/i.test(m.text())) w.errors.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => w.errors.push(`pageerror: ${e.message}`));
    page.on('request', (r) => w.requests.push(r.url()));
    // runs before the page's own scripts (through the DevTools protocol, outside the page's CSP)
    await page.addInitScript(() => {
      const v: string[] = [];
      (window as unknown as { __violations: string[] }).__violations = v;
      document.addEventListener('securitypolicyviolation', (e) => v.push(`${e.violatedDirective} ${e.blockedURI} ${e.sample}`));
    });
    await page.goto(pathToFileURL(file).href);
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    // and painted: two animation frames after the script ran
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(undefined)))));
    return w;
  }

  async function expectClean(w: Watched, file: string): Promise<void> {
    expect(w.dialogs).toEqual([]);
    expect(w.errors).toEqual([]);
    expect(await w.violations()).toEqual([]);
    expect(w.requests).toEqual([pathToFileURL(file).href]);
  }

  async function viewportTransform(page: Page): Promise<string> {
    return page.evaluate(() => document.querySelector('#view svg .svg-pan-zoom_viewport')!.getAttribute('transform') ?? '');
  }

  async function graphPage(dbUrl: string, roomId: string, name: string, extra: string[] = []): Promise<{ file: string; data: { nodes: { id: string; event_id: string; rejection: string | null; chain_root: string | null; sender: string; type: string; json: string }[] } }> {
    const file = join(dir, name);
    const r = await runCli(['graph', '--db', dbUrl, '--room', roomId, '-o', file, ...extra]);
    expect(r.code, r.stderr).toBe(0);
    // the same selection as data, read apart from the page (which the browser alone reads)
    const json = await runCli(['graph', '--db', dbUrl, '--room', roomId, '--json', ...extra]);
    expect(json.code, json.stderr).toBe(0);
    const data = JSON.parse(json.stdout) as { nodes: { id: string; event_id: string; rejection: string | null; chain_root: string | null; sender: string; type: string; json: string }[] };
    expect((await readFile(file, 'utf8')).length).toBeGreaterThan(0);
    return { file, data };
  }

  it('renders the rejection chain: nodes, red rejected events, the root marked; pans, zooms, hovers, clicks and toggles auth edges', async () => {
    const fresh = await freshSynapseDatabase('sqlite', 94);
    try {
      const s = await buildScenario('rejection-chain', { engine: rawEngine(fresh.db), version: 94 });
      const labels = s.labels as { root: string; cascade: string[]; genuine: string; oldPlEvents: string[] };
      await fresh.db.close();
      const { file, data } = await graphPage(fresh.url, s.roomId, 'chain.html');
      const w = await open(file);
      const { page } = w;
      // every node of the data is drawn, with its status in its class and fill
      const drawn = await page.$$eval('#view g.node', (gs) => gs.map((g) => ({
        id: g.id,
        cls: g.getAttribute('class'),
        fill: getComputedStyle(g.querySelector('path, polygon')!).fill,
        stroke: Number.parseFloat(getComputedStyle(g.querySelector('path, polygon')!).strokeWidth),
      })));
      expect(drawn.map((d) => d.id).sort()).toEqual(data.nodes.map((n) => `ev_${n.id}`).sort());
      const byEvent = new Map(data.nodes.map((n) => [n.event_id, drawn.find((d) => d.id === `ev_${n.id}`)!]));
      for (const id of [labels.root, ...labels.cascade, labels.genuine]) expect(byEvent.get(id)!.fill, id).toBe(RED);
      for (const id of labels.oldPlEvents) expect(byEvent.get(id)!.fill).not.toBe(RED);
      expect(drawn.filter((d) => d.fill === RED).length).toBe(data.nodes.filter((n) => n.rejection !== null).length);
      expect(byEvent.get(labels.root)!.cls).toContain('root');
      expect(byEvent.get(labels.root)!.stroke).toBeGreaterThanOrEqual(3);
      expect(byEvent.get(labels.cascade[0]!)!.stroke).toBeLessThan(3);
      expect(await page.textContent('#legend')).toContain('root of a rejection chain');

      // zoom: the wheel changes the viewport's scale; pan: a drag moves it
      const before = await viewportTransform(page);
      const box = (await page.locator('#view').boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      await page.mouse.wheel(0, -400);
      await expect.poll(() => viewportTransform(page)).not.toBe(before);
      const zoomed = await viewportTransform(page);
      await page.mouse.move(box.x + 30, box.y + 30);
      await page.mouse.down();
      await page.mouse.move(box.x + 230, box.y + 130, { steps: 5 });
      await page.mouse.up();
      await expect.poll(() => viewportTransform(page)).not.toBe(zoomed);
      await page.click('#zoom-fit');

      // hover: sender, time and reason; click: the JSON, as text
      const rootNode = data.nodes.find((n) => n.event_id === labels.root)!;
      await page.hover(`#ev_${rootNode.id}`);
      const hover = await page.textContent('#hover-text');
      expect(hover).toContain(rootNode.sender);
      expect(hover).toContain('rejection reason: auth_error');
      expect(hover).toMatch(/time: +\d{4}-\d\d-\d\dT/);
      await page.click(`#ev_${rootNode.id}`);
      expect(await page.textContent('#details-title')).toBe(labels.root);
      expect(await page.textContent('#details-json')).toBe(rootNode.json);
      expect(JSON.parse(rootNode.json).type).toBe('m.room.power_levels');

      // the auth-edge switch
      const authShown = (): Promise<number> => page.$$eval('#view g.edge.auth', (es) => es.filter((e) => getComputedStyle(e).display !== 'none').length);
      const authCount = await page.$$eval('#view g.edge.auth', (es) => es.length);
      expect(authCount).toBeGreaterThan(0);
      expect(await authShown()).toBe(authCount);
      await page.uncheck('#toggle-auth');
      expect(await authShown()).toBe(0);
      expect(await page.$$eval('#view g.edge.prev', (es) => es.filter((e) => getComputedStyle(e).display !== 'none').length)).toBeGreaterThan(0);
      await page.check('#toggle-auth');
      expect(await authShown()).toBe(authCount);
      await expectClean(w, file);
      await page.close();
    } finally {
      await fresh.cleanup();
    }
  }, 60_000);

  it('runs nothing from hostile events: no dialog, no error, no CSP violation, the text shown as text', async () => {
    const fresh = await freshSynapseDatabase('sqlite', 94);
    try {
      const hostile = await writeHostileRoom(rawEngine(fresh.db));
      await fresh.db.close();
      const { file, data } = await graphPage(fresh.url, hostile.roomId, 'hostile.html', ['--depth', '100', '--max-events', '200']);
      const w = await open(file);
      const { page } = w;
      for (const e of hostile.events) expect(data.nodes.some((n) => n.event_id === e.id), e.type).toBe(true);
      // nothing of theirs became an element
      expect(await page.$$eval('img, iframe, object, embed, a[href], [onerror], [onload]', (x) => x.length)).toBe(0);
      expect(await page.$$eval('script', (x) => x.length)).toBe(3);
      expect(await page.$$eval('#view svg svg', (x) => x.length)).toBe(0);
      // every node: hover and click, so our script writes each hostile string into the page
      await page.click('#zoom-fit');
      for (const n of data.nodes) {
        await page.hover(`#ev_${n.id}`);
        await page.click(`#ev_${n.id}`);
        expect(await page.textContent('#details-json')).toBe(n.json);
      }
      const hoverOfRejected = data.nodes.find((n) => n.event_id === hostile.rejected)!;
      await page.hover(`#ev_${hoverOfRejected.id}`);
      expect(await page.textContent('#hover-text')).toContain(HOSTILE[1]);
      // labels reach the SVG as text, exactly (Graphviz escapes neutralised, entities literal)
      const texts = await page.$$eval('#view g.node text', (ts) => ts.map((t) => t.textContent ?? ''));
      for (const h of [HOSTILE[0], HOSTILE[1], HOSTILE[2], HOSTILE[5]]) expect(texts, h).toContain(h);
      expect(texts).toContain('line\\u2028separator\\u2029paragraph');
      const rejectedFill = await page.$eval(`#ev_${hoverOfRejected.id} path, #ev_${hoverOfRejected.id} polygon`, (p) => getComputedStyle(p).fill);
      expect(rejectedFill).toBe(RED);
      await page.waitForTimeout(300); // an onerror handler would have run by now
      await expectClean(w, file);
      await page.close();
    } finally {
      await fresh.cleanup();
    }
  }, 60_000);

  it('renders 2,000 events and still pans and zooms', async () => {
    const fresh = await freshSynapseDatabase('sqlite', 94);
    try {
      const load = await generateLoad(rawEngine(fresh.db), 94, { events: 2000, rooms: 1, chainRooms: 1 });
      await fresh.db.close();
      const started = Date.now();
      const { file, data } = await graphPage(fresh.url, load.roomIds[0]!, 'large.html', ['--max-events', '2000']);
      const cliMs = Date.now() - started;
      expect(data.nodes.length).toBeGreaterThanOrEqual(1900);
      const opened = Date.now();
      const w = await open(file);
      const readyMs = Date.now() - opened;
      const { page } = w;
      expect(await page.$$eval('#view g.node', (g) => g.length)).toBe(data.nodes.length);
      // too tall to read fitted whole: it opens at natural size on the chain's root
      const start = await page.evaluate(() => {
        const view = document.querySelector('#view')!.getBoundingClientRect();
        const root = document.querySelector('#view g.node.root')!.getBoundingClientRect();
        return { inside: root.left >= view.left && root.right <= view.right && root.top >= view.top && root.bottom <= view.bottom, height: root.height };
      });
      expect(start.inside).toBe(true);
      expect(start.height).toBeGreaterThan(20);
      const before = await viewportTransform(page);
      const box = (await page.locator('#view').boundingBox())!;
      await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
      const wheelAt = Date.now();
      await page.mouse.wheel(0, -400);
      await expect.poll(() => viewportTransform(page), { timeout: 5000 }).not.toBe(before);
      const zoomMs = Date.now() - wheelAt;
      console.log(`graph of ${data.nodes.length} events: CLI ${cliMs} ms, page ready ${readyMs} ms, zoom answered in ${zoomMs} ms`);
      expect(readyMs).toBeLessThan(30_000);
      expect(zoomMs).toBeLessThan(5_000);
      await expectClean(w, file);
      await page.close();
    } finally {
      await fresh.cleanup();
    }
  }, 180_000);
});
