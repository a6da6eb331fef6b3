/**
 * `synapse-doctor graph --room ROOM [--around EVENT_ID] [--depth N] [--max-events N]
 * [--format html|svg|dot] [-o FILE]`: a picture of the room's DAG (read-only). The selection is
 * src/graph/build-graph.ts, the layout Graphviz (src/graph/layout.ts), the page
 * src/graph/render-html.ts.
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { SynapseDoctorError } from '../../errors.js';
import { globalOptions } from '../options.js';
import { warn, writeJson, writeOut, type CliContext } from '../output.js';
import { openForReading } from '../open.js';
import { printable } from '../table.js';

const FORMATS = ['html', 'svg', 'dot'] as const;
type Format = (typeof FORMATS)[number];

function parseCount(text: string, flag: string, min: number): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < min) {
    throw new SynapseDoctorError('USAGE', `${flag} ${printable(JSON.stringify(text))} is not a whole number${min > 0 ? ' above 0' : ''}`);
  }
  return Number(text);
}

/** The default page name: graph-<room id with only file-name characters>.html, in the current directory. */
export function defaultGraphFile(roomId: string): string {
  return `graph-${roomId.replace(/^!/, '').replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 80)}.html`;
}

export function registerGraph(program: Command, ctx: CliContext): void {
  program
    .command('graph')
    .description("draw the room's DAG around an event or its rejection chains (HTML page, SVG or DOT)")
    .requiredOption('--room <room>', 'the room (id !… or alias #…)')
    .option('--around <event_id>', 'centre on this event (default: the rejection chains of the room, else its most recent events)')
    .option('--depth <n>', 'prev and auth hops from the event(s) in the centre, both ways (default 10)')
    .option('--max-events <n>', 'at most this many events, the nearest kept (default 500; a warning says when some were left out)')
    .option('--format <format>', 'html (a self-contained page, the default), svg, or dot (Graphviz text)', 'html')
    .option('-o, --output <file>', 'write here (overwritten). Without it: dot and svg go to stdout, html to graph-<room>.html in the current directory')
    .addHelpText('after', `
Rejected events are red, chain roots have a thick border and "ROOT", soft-failed events are yellow
with a dotted border, outliers grey and dashed, state events blue with their type and state key.
Prev edges are solid; auth edges dashed and shown by default (the page has a switch to hide them).
--json prints the selected graph as data (nodes, edges, selection) instead of drawing it.`)
    .action(async (opts: { room: string; around?: string; depth?: string; maxEvents?: string; format: string; output?: string }, cmd: Command) => {
      const g = globalOptions(cmd);
      if (!(FORMATS as readonly string[]).includes(opts.format)) throw new SynapseDoctorError('USAGE', `--format ${printable(JSON.stringify(opts.format))}: choose html, svg or dot`);
      const format = opts.format as Format;
      if (opts.around !== undefined && (!opts.around.startsWith('$') || opts.around.length < 2)) {
        throw new SynapseDoctorError('USAGE', `--around ${printable(JSON.stringify(opts.around))} is not an event id (they start with $; quote it in the shell: '$abc…')`);
      }
      const depth = opts.depth === undefined ? undefined : parseCount(opts.depth, '--depth', 0);
      const maxEvents = opts.maxEvents === undefined ? undefined : parseCount(opts.maxEvents, '--max-events', 1);
      const { buildGraph, toDot, layoutSvg, renderHtml } = await import('../../graph/index.js');
      const db = await openForReading(g, ctx);
      let graph;
      try {
        const { resolveRoomArgument } = await import('../../store/readers/rooms.js');
        const roomId = await resolveRoomArgument(db.main, opts.room);
        graph = await buildGraph(db, {
          roomId,
          ...(opts.around !== undefined ? { around: opts.around } : {}),
          ...(depth !== undefined ? { depth } : {}),
          ...(maxEvents !== undefined ? { maxEvents } : {}),
        });
      } finally {
        await db.close();
      }
      if (graph.selection.truncated) warn(ctx, `the graph shows ${graph.nodes.length} events: more were within reach (--max-events ${graph.selection.max_events}, --depth ${graph.selection.depth})`);
      if (g.json && opts.output === undefined) {
        writeJson(graph);
        return;
      }
      let text: string;
      if (g.json) text = `${JSON.stringify(graph, null, 2)}\n`;
      else if (format === 'dot') text = toDot(graph);
      else {
        const svg = await layoutSvg(graph);
        text = format === 'svg' ? `<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n${svg}` : renderHtml(graph, svg);
      }
      const file = opts.output ?? (format === 'html' && !g.json ? defaultGraphFile(graph.room_id) : undefined);
      if (file === undefined) {
        process.stdout.write(text);
        return;
      }
      const path = resolve(file);
      try {
        await writeFile(path, text);
      } catch (e) {
        throw new SynapseDoctorError('BAD_INPUT', printable(`cannot write ${path}: ${(e as Error).message}`), { cause: e });
      }
      const rejected = graph.nodes.filter((n) => n.rejection !== null).length;
      writeOut(printable(`wrote ${path}: ${graph.nodes.length} events (${rejected} rejected), ${graph.edges.length} edges`));
    });
}
