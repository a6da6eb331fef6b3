/**
 * `renderHtml`: one self-contained page for a laid-out RoomGraph. Nothing is fetched: the SVG, the
 * styles, svg-pan-zoom (its dist file, read from node_modules) and our script are inlined, and a
 * Content-Security-Policy allows exactly those (sha256 hashes of the inlined script and style
 * texts; no 'unsafe-inline', no network, no frames, no forms).
 *
 * Event content lands in three contexts, each escaped for its own: HTML text and attributes
 * (escapeHtml), the SVG (Graphviz writes label text as XML text, see to-dot.ts for what reaches
 * it), and the JSON data block read by the script (escapeJsonForScript: `<`, `>`, `&`, U+2028 and
 * U+2029 as \u escapes, so no `</script>` or `<!--` can end or change the block). The script
 * puts event content on the page only through textContent.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { GraphNode, RoomGraph } from './build-graph.js';
import { PAGE_SCRIPT, PAGE_STYLE } from './page-script.js';

/** Text or an attribute value (double- or single-quoted) in HTML. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON text that is safe inside a <script> element (and still the same JSON). */
export function escapeJsonForScript(json: string): string {
  return json.replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}

let panZoomSource: string | undefined;
function svgPanZoomSource(): string {
  if (panZoomSource === undefined) {
    const path = createRequire(import.meta.url).resolve('svg-pan-zoom/dist/svg-pan-zoom.min.js');
    panZoomSource = readFileSync(path, 'utf8');
    // inlined as is: it must not be able to close its <script> element
    if (/<\/script|<!--/i.test(panZoomSource)) throw new Error('svg-pan-zoom dist file cannot be inlined');
  }
  return panZoomSource;
}

function statusOf(n: GraphNode): string {
  const s: string[] = [];
  s.push(n.rejection !== null ? 'rejected' : 'accepted');
  if (n.soft_failed) s.push('soft-failed');
  if (n.outlier) s.push('outlier');
  return s.join(', ');
}

function time(ts: number): string {
  const d = new Date(ts);
  return Number.isFinite(d.getTime()) ? d.toISOString() : String(ts);
}

const MODE_TEXT: Record<RoomGraph['selection']['mode'], string> = {
  around: 'around one event',
  'rejection-chains': "the room's rejection chains",
  recent: "the room's most recent events",
};

export function renderHtml(graph: RoomGraph, svg: string): string {
  const data = {
    room_id: graph.room_id,
    nodes: graph.nodes.map((n) => ({
      id: n.id,
      event_id: n.event_id,
      type: n.type,
      state_key: n.state_key,
      sender: n.sender,
      time: time(n.origin_server_ts),
      depth: n.depth,
      stream_ordering: n.stream_ordering,
      status: statusOf(n),
      rejection: n.rejection,
      chain_root: n.chain_root,
      chain_roots: n.chain_roots,
      hidden_references: n.hidden_references,
      json: n.json,
    })),
  };
  const panZoom = svgPanZoomSource();
  const csp = [
    "default-src 'none'",
    `script-src ${sha256(panZoom)} ${sha256(PAGE_SCRIPT)}`,
    `style-src ${sha256(PAGE_STYLE)}`,
    'img-src data:',
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
  const sel = graph.selection;
  const rejected = graph.nodes.filter((n) => n.rejection !== null).length;
  const auth = graph.edges.filter((e) => e.kind === 'auth').length;
  const meta = [
    `room ${graph.room_id}`,
    `${MODE_TEXT[sel.mode]}${sel.around !== null ? ` ${sel.around}` : ''}`,
    `${graph.nodes.length} of ${sel.room_events} events${sel.truncated ? ` (cut at --max-events ${sel.max_events} or the bounded read)` : ''}`,
    `${rejected} rejected`,
    `${graph.edges.length - auth} prev and ${auth} auth edges`,
  ].join(' · ');
  // the SVG sizes itself to the page; Graphviz's point sizes would make it a fixed picture
  const sized = svg.replace(/^<svg width="[^"]*" height="[^"]*"/, '<svg width="100%" height="100%"');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${escapeHtml(csp)}">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(`Room graph: ${graph.room_id}`)}</title>
<style>${PAGE_STYLE}</style>
</head>
<body>
<header>
<h1>synapse-doctor graph</h1>
<p class="meta" id="meta">${escapeHtml(meta)}</p>
<div class="controls"><label><input type="checkbox" id="toggle-auth" checked> auth edges</label> <button type="button" id="zoom-in" title="zoom in">+</button> <button type="button" id="zoom-out" title="zoom out">&#8722;</button> <button type="button" id="zoom-fit">fit</button></div>
<ul class="legend" id="legend">
<li><span class="swatch sw-accepted"></span>accepted</li>
<li><span class="swatch sw-state"></span>state event (type, state key)</li>
<li><span class="swatch sw-rejected"></span>rejected</li>
<li><span class="swatch sw-root"></span>root of a rejection chain</li>
<li><span class="swatch sw-soft-failed"></span>soft-failed</li>
<li><span class="swatch sw-outlier"></span>outlier</li>
<li><span class="swatch sw-prev"></span>prev event</li>
<li><span class="swatch sw-auth"></span>auth event (dashed up to 400 events, then solid)</li>
</ul>
<p class="meta">Arrows point to the event cited; oldest at the top. Drag to pan, wheel to zoom; hover for sender, time and reason, click for the JSON.</p>
</header>
<main id="view">
${sized}</main>
<aside>
<h2>Event</h2>
<pre id="hover-text">Hover over an event.</pre>
<h2 id="details-title">Click an event to see its JSON</h2>
<pre id="details-json"></pre>
</aside>
<script type="application/json" id="graph-data">${escapeJsonForScript(JSON.stringify(data))}</script>
<script>${panZoom}</script>
<script>${PAGE_SCRIPT}</script>
</body>
</html>
`;
}
