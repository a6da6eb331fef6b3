/**
 * The script and styles of the graph page, as text inlined into it (render-html.ts hashes them for
 * the Content-Security-Policy). The script reads the event data from the page's JSON data block
 * and writes event content only through `textContent`: never as markup.
 */
import { COLOURS } from './to-dot.js';

export const PAGE_STYLE = `
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #212121; }
body { display: grid; grid-template-rows: auto 1fr; grid-template-columns: 1fr 380px; height: 100vh; }
header { grid-column: 1 / 3; padding: 6px 12px; border-bottom: 1px solid #cfd8dc; background: #fafafa; display: flex; flex-wrap: wrap; gap: 6px 18px; align-items: center; }
header h1 { font-size: 15px; margin: 0; }
header .meta { margin: 0; color: #546e7a; overflow-wrap: anywhere; }
.controls button { font: inherit; padding: 1px 8px; }
.legend { list-style: none; margin: 0; padding: 0; display: flex; flex-wrap: wrap; gap: 4px 12px; }
.legend li { display: flex; align-items: center; gap: 4px; }
.swatch { display: inline-block; width: 22px; height: 12px; border: 1px solid; border-radius: 3px; }
.sw-accepted { background: ${COLOURS.accepted.fill}; border-color: ${COLOURS.accepted.stroke}; }
.sw-state { background: ${COLOURS.state.fill}; border-color: ${COLOURS.state.stroke}; }
.sw-rejected { background: ${COLOURS.rejected.fill}; border-color: ${COLOURS.rejected.stroke}; border-width: 2px; }
.sw-root { background: ${COLOURS.rejected.fill}; border-color: ${COLOURS.rejected.stroke}; border-width: 4px; }
.sw-soft-failed { background: ${COLOURS.softFailed.fill}; border-color: ${COLOURS.softFailed.stroke}; border-style: dotted; }
.sw-outlier { background: ${COLOURS.outlier.fill}; border-color: ${COLOURS.outlier.stroke}; border-style: dashed; }
.sw-prev { height: 0; border: 0; border-top: 2px solid ${COLOURS.prevEdge}; border-radius: 0; }
.sw-auth { height: 0; border: 0; border-top: 2px dashed ${COLOURS.authEdge}; border-radius: 0; }
#view { position: relative; overflow: hidden; background: #ffffff; min-height: 0; }
#view svg { display: block; width: 100%; height: 100%; }
#view g.node { cursor: pointer; }
#view g.edge { pointer-events: none; }
#view g.node.selected polygon, #view g.node.selected path { stroke: #ff6f00; stroke-width: 3px; }
body.hide-auth #view g.edge.auth { display: none; }
aside { border-left: 1px solid #cfd8dc; padding: 8px 10px; overflow: auto; min-height: 0; background: #fcfcfc; }
aside h2 { font-size: 13px; margin: 6px 0 4px; overflow-wrap: anywhere; }
pre { margin: 0; white-space: pre-wrap; overflow-wrap: anywhere; font: 12px/1.35 ui-monospace, "DejaVu Sans Mono", Menlo, monospace; }
#hover-text { min-height: 7em; padding: 4px; background: #f5f5f5; border: 1px solid #e0e0e0; }
#details-json { padding: 4px; background: #f5f5f5; border: 1px solid #e0e0e0; }
`;

export const PAGE_SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('graph-data').textContent);
  var byId = Object.create(null);
  data.nodes.forEach(function (n) { byId[n.id] = n; });
  var svg = document.querySelector('#view svg');
  var hoverText = document.getElementById('hover-text');
  var title = document.getElementById('details-title');
  var json = document.getElementById('details-json');
  // svg-pan-zoom adds "overflow: hidden" as a style attribute unless one is there; set through the
  // CSSOM, which the Content-Security-Policy allows (a style attribute it would refuse).
  svg.style.overflow = 'hidden';
  var panZoom = svgPanZoom(svg, {
    panEnabled: true, zoomEnabled: true, controlIconsEnabled: false, dblClickZoomEnabled: false,
    mouseWheelZoomEnabled: true, preventMouseEventsDefault: true, zoomScaleSensitivity: 0.25,
    minZoom: 0.01, maxZoom: 40, fit: true, center: true
  });
  // A tall graph fitted whole is unreadable: start at natural size on what matters most (the
  // event drawn around, else a chain root, else a rejected event, else the newest); "fit" shows all.
  function startView() {
    // zoom limits are relative to the fitted view: let a tall graph reach 20x natural size
    panZoom.setMaxZoom(Math.max(40, 20 / panZoom.getSizes().realZoom));
    if (panZoom.getSizes().realZoom >= 0.6) return;
    var target = svg.querySelector('g.node.focus') || svg.querySelector('g.node.root') || svg.querySelector('g.node.rejected');
    if (!target) { var all = svg.querySelectorAll('g.node'); target = all[all.length - 1]; }
    if (!target) { panZoom.zoom(1 / panZoom.getSizes().realZoom); return; }
    // the target's centre in the viewport's coordinates (svg-pan-zoom draws its frames later, so
    // screen positions read now would be stale): through Graphviz's own group transform
    var box = target.getBBox();
    var centre = new DOMPoint(box.x + box.width / 2, box.y + box.height / 2);
    var group = target.parentNode.transform && target.parentNode.transform.baseVal.consolidate();
    if (group) centre = centre.matrixTransform(group.matrix);
    panZoom.zoom(1 / panZoom.getSizes().realZoom);
    var view = svg.getBoundingClientRect();
    var zoom = panZoom.getSizes().realZoom;
    panZoom.pan({ x: view.width / 2 - centre.x * zoom, y: view.height / 2 - centre.y * zoom });
  }
  startView();
  function nodeOf(target) {
    var g = target && target.closest ? target.closest('g.node') : null;
    if (!g || g.id.indexOf('ev_') !== 0) return null;
    return byId[g.id.slice(3)] || null;
  }
  function describe(n) {
    var lines = [];
    lines.push(n.type + (n.state_key === null ? '' : '  [state key: ' + JSON.stringify(n.state_key) + ']'));
    lines.push('event:   ' + n.event_id);
    lines.push('sender:  ' + n.sender);
    lines.push('time:    ' + n.time);
    lines.push('depth ' + n.depth + ', stream ordering ' + n.stream_ordering);
    lines.push('status:  ' + n.status);
    if (n.rejection !== null) lines.push('rejection reason: ' + n.rejection);
    if (n.chain_root !== null) lines.push('root of a rejection chain (' + n.chain_root + ')');
    else if (n.chain_roots.length > 0) lines.push('in the rejection chain of ' + n.chain_roots.join(', '));
    if (n.hidden_references > 0) lines.push(n.hidden_references + ' cited event(s) not shown');
    return lines.join('\\n');
  }
  var selected = null;
  svg.addEventListener('mouseover', function (e) {
    var n = nodeOf(e.target);
    if (n) hoverText.textContent = describe(n);
  });
  svg.addEventListener('click', function (e) {
    var n = nodeOf(e.target);
    if (!n) return;
    if (selected) selected.classList.remove('selected');
    selected = document.getElementById('ev_' + n.id);
    if (selected) selected.classList.add('selected');
    title.textContent = n.event_id;
    hoverText.textContent = describe(n);
    json.textContent = n.json;
  });
  var toggle = document.getElementById('toggle-auth');
  function applyToggle() { document.body.classList.toggle('hide-auth', !toggle.checked); }
  toggle.addEventListener('change', applyToggle);
  applyToggle();
  document.getElementById('zoom-in').addEventListener('click', function () { panZoom.zoomIn(); });
  document.getElementById('zoom-out').addEventListener('click', function () { panZoom.zoomOut(); });
  document.getElementById('zoom-fit').addEventListener('click', function () { panZoom.resize(); panZoom.fit(); panZoom.center(); });
  window.addEventListener('resize', function () { panZoom.resize(); });
  document.body.setAttribute('data-ready', 'true');
})();
`;
