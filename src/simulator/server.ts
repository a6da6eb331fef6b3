/**
 * A simulated homeserver: a name, a deterministic ed25519 signing key, local users, and the counters
 * one Synapse database allocates from (stream orderings, backfill orderings, state group ids, chain
 * ids). Each room the server takes part in keeps its own view (see room-view.ts).
 */
import { signingKeyFromString, type SigningKey } from '../matrix/signing-key.js';
import { ChainCoverIndex } from './chain-cover.js';
import { StateGroupStore, type HopCounting } from './state-groups.js';

export interface SimServerOptions {
  /** Key id (default `ed25519:sim`). */
  keyId?: string;
  /** How the database counts state-group hops (the engine it will be written to). Default 'sqlite'. */
  hopCounting?: HopCounting;
  /** Wall clock for `received_ts`, ms (default 1_700_000_000_000). */
  startTs?: number;
}

export interface SimUser {
  readonly userId: string;
  readonly displayName: string;
  readonly avatarUrl?: string;
}

export class SimServer {
  readonly name: string;
  readonly key: SigningKey;
  readonly users = new Map<string, SimUser>();
  readonly stateGroups: StateGroupStore;
  readonly chainCover = new ChainCoverIndex();
  private nextStream = 1;
  private nextBackfill = 1;
  private clock: number;

  constructor(name: string, options: SimServerOptions = {}) {
    this.name = name;
    this.key = signingKeyFromString(name, options.keyId ?? 'ed25519:sim', `synapse-doctor simulator key for ${name}`);
    this.stateGroups = new StateGroupStore(options.hopCounting ?? 'sqlite');
    this.clock = options.startTs ?? 1_700_000_000_000;
  }

  /** Registers a local user `@localpart:name`. */
  addUser(localpart: string, options: { displayName?: string; avatarUrl?: string } = {}): string {
    const userId = `@${localpart}:${this.name}`;
    this.users.set(userId, {
      userId,
      displayName: options.displayName ?? localpart,
      ...(options.avatarUrl !== undefined ? { avatarUrl: options.avatarUrl } : {}),
    });
    return userId;
  }

  isLocal(userId: string): boolean {
    return userId.endsWith(`:${this.name}`);
  }

  /** Next positive stream ordering (`events_stream_seq`). */
  nextStreamOrdering(): number {
    return this.nextStream++;
  }

  /** Next negative stream ordering (`events_backfill_stream_seq`, negated). */
  nextBackfillOrdering(): number {
    return -this.nextBackfill++;
  }

  /** Highest positive stream ordering handed out (0 when none). */
  get maxStreamOrdering(): number {
    return this.nextStream - 1;
  }

  /** Lowest negative stream ordering handed out (0 when none). */
  get minStreamOrdering(): number {
    return -(this.nextBackfill - 1);
  }

  /** `received_ts`: the server's clock, advancing a little for every event it stores. */
  receive(originTs: number): number {
    this.clock = Math.max(this.clock + 7, originTs + 25);
    return this.clock;
  }
}
