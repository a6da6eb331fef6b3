/** The room graph: select (build-graph.ts), write as DOT (to-dot.ts), lay out (layout.ts), render a page (render-html.ts). */
export { buildGraph, DEFAULT_DEPTH, DEFAULT_MAX_EVENTS, MAX_JSON_CHARS } from './build-graph.js';
export type { GraphEdge, GraphNode, GraphOptions, RoomGraph } from './build-graph.js';
export { dotLabelText, toDot } from './to-dot.js';
export { layoutSvg } from './layout.js';
export { escapeHtml, escapeJsonForScript, renderHtml } from './render-html.js';
