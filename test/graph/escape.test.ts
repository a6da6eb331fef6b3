/**
 * Escaping for each place event content lands, without a browser or a database: the JSON data
 * block reads back as the same value and cannot close its <script>; HTML escaping; DOT labels reach
 * Graphviz's SVG as exactly the text shown (label escapes such as \N and entities neutralised,
 * markup as text), and a node made of hostile strings lays out.
 */
import { describe, expect, it } from 'vitest';
import type { GraphNode, RoomGraph } from '../../src/graph/index.js';
import { dotLabelText, escapeHtml, escapeJsonForScript, layoutSvg, renderHtml, toDot } from '../../src/graph/index.js';
import { HOSTILE } from './hostile-room.js';

function node(id: string, type: string, stateKey: string | null, extra: Partial<GraphNode> = {}): GraphNode {
  return {
    id, event_id: `$${id}`, type, state_key: stateKey, sender: HOSTILE[0], origin_server_ts: 1_700_000_000_000, depth: 1, stream_ordering: 1,
    rejection: null, soft_failed: false, outlier: false, chain_root: null, chain_roots: [], focus: false, hidden_references: 0, json: HOSTILE.join('\n'), ...extra,
  };
}

const graph: RoomGraph = {
  format: 1,
  room_id: HOSTILE[1],
  selection: { mode: 'recent', around: null, depth: 10, max_events: 500, room_events: HOSTILE.length, truncated: false },
  nodes: HOSTILE.map((h, i) => node(`n${i}`, h, i % 2 === 0 ? h : null, i === 1 ? { rejection: HOSTILE[2], chain_root: 'looks-wrong' } : {})),
  edges: HOSTILE.slice(1).map((_, i) => ({ from: `n${i + 1}`, to: `n${i}`, kind: i % 2 === 0 ? 'prev' as const : 'auth' as const })),
};

const decode = (xml: string): string => xml.replace(/&(#(\d+)|#x([0-9a-f]+)|lt|gt|amp|quot|apos);/gi, (_, e: string, d?: string, x?: string) =>
  d ? String.fromCodePoint(Number(d)) : x ? String.fromCodePoint(Number.parseInt(x, 16)) : ({ lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" } as Record<string, string>)[e]!);

describe('graph escaping', () => {
  it('writes JSON a <script> element cannot be closed by, and that reads back the same', () => {
    const value = { s: [...HOSTILE, '</SCRIPT >', '<!--', '\u2029'] };
    const text = escapeJsonForScript(JSON.stringify(value));
    expect(text).not.toMatch(/[<>&\u2028\u2029]/);
    expect(JSON.parse(text)).toEqual(value);
  });

  it('escapes HTML text and attributes', () => {
    expect(escapeHtml(`<a href="x" title='y'>&`)).toBe('&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;');
  });

  it('neutralises Graphviz label escapes and entities, and quotes', () => {
    expect(dotLabelText('\\N "q" &amp;')).toBe('\\\\N \\"q\\" &amp;amp;');
    expect(dotLabelText('a\u2028b')).toBe('a\\\\u2028b');
    expect([...dotLabelText('x'.repeat(100))].length).toBe(40);
  });

  it('lays out hostile labels as exactly their text', async () => {
    const svg = await layoutSvg(graph);
    const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => decode(m[1]!));
    for (const h of [HOSTILE[0], HOSTILE[1], HOSTILE[2], HOSTILE[4], HOSTILE[5]]) expect(texts, h).toContain(h);
    expect(texts).toContain('line\\u2028separator\\u2029paragraph');
    // no element or attribute of theirs: only Graphviz's own elements in the SVG
    const tags = new Set([...svg.matchAll(/<([a-zA-Z]+)/g)].map((m) => m[1]));
    expect([...tags].sort()).toEqual(['g', 'path', 'polygon', 'svg', 'text', 'title']);
    expect(svg).not.toMatch(/<[^>]*\son[a-z]+=/i);
    expect(toDot(graph)).toContain('n1 [id="ev_n1" class="ev rejected root"');
    const page = renderHtml(graph, svg);
    expect(page).not.toContain(HOSTILE[1]);
    expect(page).not.toContain(HOSTILE[0]);
  });
});
