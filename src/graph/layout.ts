/**
 * `layoutSvg`: the graph laid out by Graphviz (compiled to WebAssembly, @viz-js/viz) as SVG.
 *
 * Two passes, both Graphviz: `dot` places the nodes and routes the prev edges, writing the laid-out
 * graph as DOT; the auth edges are then added to that text and `nop2` (neato -n2: keep every
 * position) routes only them. Laying out auth edges with `dot` itself (even with
 * `constraint=false`) runs out of memory on a few hundred events: every event cites the create
 * event and the power levels, so their edges span the whole graph.
 */
import { SynapseDoctorError } from '../errors.js';
import type { RoomGraph } from './build-graph.js';
import { DASHED_AUTH_MAX_EVENTS, edgeLine, toDot } from './to-dot.js';

type Viz = Awaited<ReturnType<typeof import('@viz-js/viz').instance>>;
let vizInstance: Promise<Viz> | undefined;

function viz(): Promise<Viz> {
  vizInstance ??= import('@viz-js/viz').then((m) => m.instance());
  return vizInstance;
}

function render(v: Viz, dot: string, options: { format: string; engine: string }): string {
  const r = v.render(dot, options);
  if (r.status !== 'success') {
    const errors = r.errors.filter((e) => e.level !== 'warning').map((e) => e.message.trim());
    throw new SynapseDoctorError('INTERNAL', `Graphviz could not lay out the graph: ${errors.join('; ') || 'unknown error'}`);
  }
  return r.output;
}

export async function layoutSvg(graph: RoomGraph): Promise<string> {
  const v = await viz();
  const laid = render(v, toDot(graph, { authEdges: false }), { format: 'dot', engine: 'dot' }).trimEnd();
  const close = laid.lastIndexOf('}');
  const auth: string[] = [];
  graph.edges.forEach((e, i) => {
    if (e.kind === 'auth') auth.push(edgeLine(e, i, graph.nodes.length <= DASHED_AUTH_MAX_EVENTS));
  });
  const withAuth = `${laid.slice(0, close)}\n${auth.join('\n')}\n}\n`;
  const svg = render(v, withAuth, { format: 'svg', engine: 'nop2' });
  // the <svg> element alone (no XML prologue, doctype or generator comment)
  const start = svg.indexOf('<svg');
  if (start < 0) throw new SynapseDoctorError('INTERNAL', 'Graphviz returned no SVG');
  return `${svg.slice(start).trimEnd()}\n`;
}
