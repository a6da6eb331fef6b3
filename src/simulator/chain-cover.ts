/**
 * Synapse's auth-chain cover index, computed in memory for one database (docs/auth_chain_difference_algorithm.md
 * in Synapse; `_calculate_chain_cover_index`, `_allocate_chain_ids` and `_LinkMap` in
 * synapse/storage/databases/main/events.py).
 *
 * Every state event gets a (chain id, sequence number). An event continues the chain of its first
 * auth event with the same (type, state_key) when that chain's next sequence number is still free;
 * otherwise it starts a new chain. Links go from the event's position to the positions of those auth
 * events (in other chains) that no other auth event already reaches. Events are added one at a time in
 * the order the database persists them, which is what Synapse computes for batches too (it walks a
 * batch in topological order, updating the same maps as it goes).
 */
import { stateKeyOf } from '../matrix/pdu.js';

export type ChainPosition = readonly [chainId: number, sequenceNumber: number];

export interface ChainCoverEntry {
  readonly eventId: string;
  readonly chainId: number;
  readonly sequenceNumber: number;
  /** Links from this event's position to the listed positions (rows of event_auth_chain_links). */
  readonly links: readonly ChainPosition[];
}

/** Source chain → target chain → source sequence → target sequence (Synapse's `_LinkMap.maps`). */
class LinkMap {
  private readonly maps = new Map<number, Map<number, Map<number, number>>>();

  add(src: ChainPosition, target: ChainPosition): void {
    const [srcChain, srcSeq] = src;
    const [targetChain, targetSeq] = target;
    let byTarget = this.maps.get(srcChain);
    if (!byTarget) this.maps.set(srcChain, (byTarget = new Map()));
    let links = byTarget.get(targetChain);
    if (!links) byTarget.set(targetChain, (links = new Map()));
    // A link that another link already "crosses" adds no reachability (events.py `_LinkMap.add_link`).
    for (const [s, t] of links) if (s <= srcSeq && targetSeq <= t) return;
    links.set(srcSeq, targetSeq);
  }

  /** Is `target` reachable from `src` (same chain: lower sequence; else by following links)? */
  existsPath(src: ChainPosition, target: ChainPosition): boolean {
    const [srcChain, srcSeq] = src;
    const [targetChain, targetSeq] = target;
    if (srcChain === targetChain) return targetSeq <= srcSeq;
    const visited = new Map<number, number>();
    const search: Array<[number, number]> = [[srcChain, srcSeq]];
    while (search.length > 0) {
      const [chain, seq] = search.pop()!;
      visited.set(chain, Math.max(seq, visited.get(chain) ?? 0));
      const byTarget = this.maps.get(chain);
      if (!byTarget) continue;
      for (const [tc, links] of byTarget) {
        for (const [ss, ts] of links) {
          if (ts <= (visited.get(tc) ?? 0)) continue;
          if (ss <= seq) {
            if (tc === targetChain) {
              if (targetSeq <= ts) return true;
            } else {
              search.push([tc, ts]);
            }
          }
        }
      }
    }
    return false;
  }
}

/** The chain cover state of one database (chain ids are allocated per database, across rooms). */
export class ChainCoverIndex {
  private readonly positions = new Map<string, ChainPosition>();
  private readonly typeOf = new Map<string, string>();
  private readonly maxSeq = new Map<number, number>();
  private readonly links = new LinkMap();
  private nextChainId = 1;

  position(eventId: string): ChainPosition | undefined {
    return this.positions.get(eventId);
  }

  /**
   * Adds one state event whose auth events (as Synapse's `auth_event_ids()` lists them, which for
   * room v12 includes the create event) all have positions already.
   */
  add(eventId: string, type: string, stateKey: string, authIds: readonly string[]): ChainCoverEntry {
    const existing = this.positions.get(eventId);
    if (existing) return { eventId, chainId: existing[0], sequenceNumber: existing[1], links: [] };
    const typeKey = stateKeyOf(type, stateKey);
    for (const a of authIds) {
      if (!this.positions.has(a)) throw new Error(`chain cover: auth event ${a} of ${eventId} has no chain position`);
    }
    let position: ChainPosition | undefined;
    const sameType = authIds.find((a) => this.typeOf.get(a) === typeKey);
    if (sameType !== undefined) {
      const [chain, seq] = this.positions.get(sameType)!;
      if ((this.maxSeq.get(chain) ?? 0) < seq + 1) position = [chain, seq + 1];
    }
    if (!position) position = [this.nextChainId++, 1];
    const [chainId, sequenceNumber] = position;
    this.positions.set(eventId, position);
    this.typeOf.set(eventId, typeKey);
    this.maxSeq.set(chainId, sequenceNumber);

    const reduction = new Set(authIds.filter((a) => this.positions.get(a)![0] !== chainId));
    for (const start of authIds) {
      for (const end of authIds) {
        if (start === end) continue;
        if (this.links.existsPath(this.positions.get(start)!, this.positions.get(end)!)) reduction.delete(end);
      }
    }
    const out: ChainPosition[] = [];
    for (const a of reduction) {
      const target = this.positions.get(a)!;
      out.push(target);
      this.links.add(position, target);
    }
    return { eventId, chainId, sequenceNumber, links: out };
  }

  /** Highest chain id handed out (for PostgreSQL's `event_auth_chain_id` sequence). */
  get maxChainId(): number {
    return this.nextChainId - 1;
  }
}
