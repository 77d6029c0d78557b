import { GraphQLError } from 'graphql';
import type { AuthenticatedPrincipal } from '../../shared/auth/authenticate';
import { ErrorCode } from '../../shared/errors';

/**
 * The websocket budget, apart from any socket library: how many sockets the process holds, by
 * stage and by credential subject, how many operations one socket may keep open, and how long a
 * socket may stay unauthenticated. The adapter (subscription-server.ts) asks it at the upgrade,
 * at connection_init, at every subscribe, and tells it when a socket goes away; the budget never
 * touches a socket except through the `evict` callback the adapter gives it.
 */
export interface SocketBudgetOptions {
  /** Authenticated sockets in this process. */
  socketsMax: number;
  /** Sockets that have not authenticated yet: a budget apart from socketsMax. */
  unauthenticatedSocketsMax: number;
  /**
   * A socket that has sent nothing for this long after its upgrade may be evicted to make room
   * for a new one when the unauthenticated budget is full. Honest clients send connection_init
   * within a round trip; a socket idle past this is most likely holding a slot on purpose.
   */
  unauthenticatedEvictAfterMs: number;
  /** How long a socket may wait before sending connection_init (then it is closed with 4408). */
  initTimeoutMs: number;
  /** Authenticated sockets one credential subject may hold, by its role. */
  socketsPerSubjectMax?(principal: AuthenticatedPrincipal): number;
  /** Operations open at once on one socket. */
  subscriptionsPerSocketMax: number;
  now?(): number;
}

/**
 * Where a socket stands against the budgets. A socket counts toward the unauthenticated budget
 * from its upgrade until it authenticates or closes (`authenticating` once its connection_init
 * arrived: no longer evictable), then toward the shared and the per-subject budgets until it
 * closes.
 */
export interface SocketSlot {
  stage: 'unauthenticated' | 'authenticating' | 'authenticated' | 'closed';
  subjectKey?: string;
  readonly openedAtMs: number;
  /** Set by the adapter: closes the socket when the budget evicts it. */
  evict: () => void;
}

/** Why an authenticated socket was refused a slot. */
export type SlotRefusal =
  { reason: 'PROCESS_FULL' } | { reason: 'SUBJECT_FULL'; limit: number } | { reason: 'CLOSED' };

export interface SocketBudget {
  readonly initTimeoutMs: number;
  /** A slot for a new upgrade, or undefined when both the shared cap or the unauthenticated budget are full. */
  open(evict: () => void): SocketSlot | undefined;
  /** connection_init arrived: the socket is no longer an idle one that may be evicted. */
  initiated(slot: SocketSlot): void;
  /**
   * Moves an authenticated socket to the shared and per-subject budgets. Synchronous, so two
   * sockets of one subject authenticating at once cannot both take the last slot.
   */
  authenticate(slot: SocketSlot, principal: AuthenticatedPrincipal): SlotRefusal | undefined;
  /** Gives the slot back (idempotent): the socket closed, or never completed its handshake. */
  release(slot: SocketSlot): void;
  /** The refusal of one more operation on a socket that has `open` open (itself included). */
  operationRefusal(open: number): GraphQLError | undefined;
  counts(): { unauthenticated: number; authenticated: number };
}

export function createSocketBudget(options: SocketBudgetOptions): SocketBudget {
  return new Budget(options);
}

class Budget implements SocketBudget {
  readonly initTimeoutMs: number;
  private readonly now: () => number;
  private readonly tally = { unauthenticated: 0, authenticated: 0 };
  private readonly perSubject = new Map<string, number>();
  // In order of upgrade: the first idle one is the oldest, the first to evict.
  private readonly unauthenticated = new Set<SocketSlot>();

  constructor(private readonly options: SocketBudgetOptions) {
    this.initTimeoutMs = options.initTimeoutMs;
    this.now = options.now ?? Date.now;
  }

  open(evict: () => void): SocketSlot | undefined {
    if (this.tally.authenticated >= this.options.socketsMax) return undefined;
    const full = this.tally.unauthenticated >= this.options.unauthenticatedSocketsMax;
    if (full && !this.evictIdle()) return undefined;
    const slot: SocketSlot = { stage: 'unauthenticated', openedAtMs: this.now(), evict };
    this.tally.unauthenticated += 1;
    this.unauthenticated.add(slot);
    return slot;
  }

  initiated(slot: SocketSlot): void {
    if (slot.stage === 'unauthenticated') slot.stage = 'authenticating';
  }

  authenticate(slot: SocketSlot, principal: AuthenticatedPrincipal): SlotRefusal | undefined {
    if (slot.stage !== 'unauthenticated' && slot.stage !== 'authenticating')
      return { reason: 'CLOSED' };
    if (this.tally.authenticated >= this.options.socketsMax) return { reason: 'PROCESS_FULL' };
    const subjectKey = `${principal.role}:${principal.subject}`;
    const limit = this.options.socketsPerSubjectMax?.(principal) ?? Infinity;
    const held = this.perSubject.get(subjectKey) ?? 0;
    if (held >= limit) return { reason: 'SUBJECT_FULL', limit };
    this.release(slot);
    this.tally.authenticated += 1;
    this.perSubject.set(subjectKey, held + 1);
    slot.stage = 'authenticated';
    slot.subjectKey = subjectKey;
    return undefined;
  }

  release(slot: SocketSlot): void {
    if (slot.stage === 'unauthenticated' || slot.stage === 'authenticating') {
      this.tally.unauthenticated -= 1;
      this.unauthenticated.delete(slot);
    }
    if (slot.stage === 'authenticated') {
      this.tally.authenticated -= 1;
      const held = (this.perSubject.get(slot.subjectKey!) ?? 1) - 1;
      if (held > 0) this.perSubject.set(slot.subjectKey!, held);
      else this.perSubject.delete(slot.subjectKey!);
    }
    slot.stage = 'closed';
  }

  operationRefusal(open: number): GraphQLError | undefined {
    const limit = this.options.subscriptionsPerSocketMax;
    if (open <= limit) return undefined;
    return new GraphQLError(
      `At most ${limit} operations may be open on one websocket; complete one or open another socket.`,
      { extensions: { code: ErrorCode.RATE_LIMITED, reason: 'TOO_MANY_SUBSCRIPTIONS', limit } },
    );
  }

  counts(): { unauthenticated: number; authenticated: number } {
    return { ...this.tally };
  }

  /** Frees the oldest unauthenticated slot idle for longer than the eviction age, if any. */
  private evictIdle(): boolean {
    const cutoffMs = this.now() - this.options.unauthenticatedEvictAfterMs;
    for (const slot of this.unauthenticated) {
      if (slot.openedAtMs > cutoffMs) return false;
      if (slot.stage !== 'unauthenticated') continue;
      this.release(slot);
      slot.evict();
      return true;
    }
    return false;
  }
}
