/**
 * `toDot`: a RoomGraph as Graphviz DOT. Arrows point from an event to the event it cites (as
 * `prev_events` and `auth_events` do), the oldest event at the top. Prev
 * edges are solid and shape the layout; auth edges are dashed and do not (`constraint=false`).
 *
 * Labels carry event content, which is hostile. Inside a DOT quoted string only `"` and `\` are
 * special to the parser, but Graphviz then reads label escapes (`\N` node name, `\G` graph name,
 * `\l` `\r` `\n` line breaks, …) and HTML entities (`&lt;`): every `\` is doubled (a literal
 * backslash), `"` escaped, `&` written as `&amp;` (a literal ampersand), control and bidi
 * characters shown as visible `\uXXXX` escapes, and long strings cut. Ids and classes are ours.
 */
import { printable } from '../text/printable.js';
import type { GraphEdge, GraphNode, RoomGraph } from './build-graph.js';

const LABEL_CHARS = 40;

export const COLOURS = {
  accepted: { fill: '#ffffff', stroke: '#455a64' },
  state: { fill: '#e3f2fd', stroke: '#1565c0' },
  rejected: { fill: '#ef9a9a', stroke: '#b71c1c' },
  softFailed: { fill: '#fff59d', stroke: '#8d6e00' },
  outlier: { fill: '#e0e0e0', stroke: '#757575' },
  prevEdge: '#37474f',
  authEdge: '#7e57c2',
} as const;

/** A label line: printable, cut, then escaped for a DOT quoted string read as a Graphviz label. */
export function dotLabelText(text: string): string {
  let t = printable(text);
  if ([...t].length > LABEL_CHARS) t = `${[...t].slice(0, LABEL_CHARS - 1).join('')}…`;
  return t.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/&/g, '&amp;');
}

/** The CSS classes of a node (also used by the page's script and styles). */
export function nodeClasses(n: GraphNode): string[] {
  const c = ['ev'];
  if (n.state_key !== null) c.push('state');
  if (n.rejection !== null) c.push('rejected');
  if (n.chain_root !== null) c.push('root');
  if (n.soft_failed) c.push('soft-failed');
  if (n.outlier) c.push('outlier');
  if (n.focus) c.push('focus');
  return c;
}

function nodeLine(n: GraphNode): string {
  const lines = [dotLabelText(n.type)];
  if (n.state_key !== null) lines.push(dotLabelText(n.state_key === '' ? '(state key "")' : n.state_key));
  const flags: string[] = [];
  if (n.chain_root === 'looks-wrong') flags.push('ROOT (looks wrong)');
  else if (n.chain_root === 'genuinely-invalid') flags.push('ROOT (genuinely invalid)');
  else if (n.rejection !== null) flags.push('rejected');
  if (n.soft_failed) flags.push('soft-failed');
  if (n.outlier) flags.push('outlier');
  lines.push(dotLabelText(n.event_id.slice(0, 12)) + (flags.length > 0 ? ` · ${flags.join(', ')}` : ''));
  const colours = n.rejection !== null ? COLOURS.rejected : n.soft_failed ? COLOURS.softFailed : n.outlier ? COLOURS.outlier : n.state_key !== null ? COLOURS.state : COLOURS.accepted;
  const style = ['rounded', 'filled'];
  if (n.outlier) style.push('dashed');
  else if (n.soft_failed) style.push('dotted');
  const attrs = [
    `id="ev_${n.id}"`,
    `class="${nodeClasses(n).join(' ')}"`,
    `label="${lines.join('\\n')}"`,
    `fillcolor="${colours.fill}"`,
    `color="${colours.stroke}"`,
    `style="${style.join(',')}"`,
  ];
  if (n.chain_root !== null) attrs.push('penwidth=4');
  else if (n.rejection !== null) attrs.push('penwidth=2');
  if (n.focus) attrs.push('peripheries=2');
  return `  ${n.id} [${attrs.join(' ')}];`;
}

/** Above this many events auth edges are drawn solid: see `edgeLine`. */
export const DASHED_AUTH_MAX_EVENTS = 400;

/**
 * One edge statement (the auth ones are also added after the layout, see layout.ts). Auth edges
 * are dashed only in graphs of up to DASHED_AUTH_MAX_EVENTS events: thousands of dashed edges
 * spanning the whole graph (every event cites the create event) took Chromium a minute to paint
 * at 2,000 events; solid, they paint in milliseconds. They keep their own colour and arrowhead.
 */
export function edgeLine(e: GraphEdge, index: number, dashedAuth = true): string {
  // written cited -> citing and drawn backwards: ranks then grow from the oldest event, so every
  // part of the graph starts at the top, and the arrow still points to the cited event
  return e.kind === 'prev'
    ? `  ${e.to} -> ${e.from} [id="e_${index}" class="prev" dir=back color="${COLOURS.prevEdge}"];`
    : `  ${e.to} -> ${e.from} [id="e_${index}" class="auth" dir=back color="${COLOURS.authEdge}"${dashedAuth ? ' style=dashed' : ' penwidth=0.6'} arrowtail=empty constraint=false];`;
}

export interface DotOptions {
  /** Include auth edges (default true). The layout pass leaves them out and adds them afterwards. */
  readonly authEdges?: boolean;
}

export function toDot(graph: RoomGraph, options: DotOptions = {}): string {
  const out = [
    'digraph room {',
    '  rankdir=TB; nodesep=0.25; ranksep=0.35; bgcolor="transparent";',
    ...(graph.nodes.length > 500 ? ['  mclimit=0.2; nslimit=2; nslimit1=2; searchsize=10;'] : []),
    '  node [shape=box fontname="Helvetica,Arial,sans-serif" fontsize=10 margin="0.08,0.03" height=0.3];',
    '  edge [arrowsize=0.6 arrowtail=normal];',
    ...graph.nodes.map(nodeLine),
  ];
  graph.edges.forEach((e, i) => {
    if (e.kind === 'prev' || options.authEdges !== false) out.push(edgeLine(e, i, graph.nodes.length <= DASHED_AUTH_MAX_EVENTS));
  });
  out.push('}', '');
  return out.join('\n');
}
