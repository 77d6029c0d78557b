import type { PrismaClient } from '../../../generated/prisma/client';
import { assertCanReadUser } from '../../shared/auth/authorize';
import { WalletStatus } from '../wallet/wallet.types';
import type { Principal } from '../../shared/auth/principal';
import {
  AppError,
  ErrorCode,
  badUserInput,
  isDatabaseUnavailable,
  serviceUnavailable,
} from '../../shared/errors';
import { logger } from '../../shared/logger';
import { validateUserId } from '../../shared/validation';
import type { AssetService } from '../assets/asset.service';
import { walletStore } from '../wallet/wallet.store';
import { subscriptionStore } from './subscription.store';
import type { BalanceChange, BalanceChangedArgs } from './subscription.types';
import type { WalletEventBus, WalletEventBusStatus } from './wallet-event-bus';
import type { WalletEvent } from './wallet-events';

export interface SubscriptionServiceOptions {
  /** Changes a stream may hold before it is ended as a slow consumer. */
  bufferMax: number;
  /** Ledger entries per read. */
  pageSize: number;
}

/** What the process holds for live subscriptions; every number returns to 0 when they all end. */
export interface SubscriptionCounters {
  streams: number;
  /** Balance changes read from the ledger and not yet taken by their consumer, over all streams. */
  bufferedChanges: number;
  /** Ledger and wallet reads in flight (shared by streams waiting at the same position). */
  readsInFlight: number;
  bus: WalletEventBusStatus;
}

/** The reason a slow consumer's subscription ended; it resumes with afterSequence. */
export const bufferFullReason = 'SUBSCRIPTION_BUFFER_FULL';

/**
 * Live balance changes. A notification is only a wake-up: each stream reads the wallet's entries
 * after the last sequence it has, from the ledger, so the ledger's order is the stream's order,
 * nothing is skipped or repeated, and a lost notification costs latency, never an entry.
 *
 * Streams at the same position in the same wallet share one read (1,000 dashboards watching one
 * player cost one query per change, not 1,000), and the resulting BalanceChange objects are
 * shared too.
 */
export class SubscriptionService {
  private readonly streams = new Set<BalanceStream>();
  private readonly reads = new Map<string, Promise<BalanceChange[]>>();
  private readonly snapshots = new Map<string, Promise<Map<string, bigint>>>();
  readonly pageSize: number;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly assets: AssetService,
    readonly bus: WalletEventBus,
    readonly options: SubscriptionServiceOptions,
  ) {
    // A backlog page only ever lands in an empty buffer, so it must fit in one.
    this.pageSize = Math.max(1, Math.min(options.pageSize, options.bufferMax));
  }

  /**
   * Opens a stream of the user's balance changes: all wallets, or one asset's; with
   * afterSequence, that wallet's later entries first. Everything that can refuse the
   * subscription (authorization, input, an unknown asset, a cursor beyond the wallet) is checked
   * before the stream is returned, so the client gets the error instead of a silent stream.
   */
  async balanceChanged(
    principal: Principal,
    args: BalanceChangedArgs,
  ): Promise<AsyncIterableIterator<BalanceChange>> {
    assertCanReadUser(principal, args.userId);
    const userId = validateUserId(args.userId);
    const afterSequence = args.afterSequence ?? null;
    if (afterSequence !== null && (args.asset === null || args.asset === undefined)) {
      throw badUserInput(
        'afterSequence needs asset: a sequence belongs to one wallet.',
        'afterSequence',
      );
    }
    if (afterSequence !== null && afterSequence < 0n)
      throw badUserInput('afterSequence must be 0 or more.', 'afterSequence');
    const assetCode =
      args.asset === null || args.asset === undefined
        ? null
        : (await this.assets.require(args.asset)).asset.code;
    const stream = new BalanceStream(this, userId, assetCode, afterSequence);
    await stream.start();
    return stream;
  }

  counters(): SubscriptionCounters {
    let bufferedChanges = 0;
    for (const stream of this.streams) bufferedChanges += stream.buffered;
    return {
      streams: this.streams.size,
      bufferedChanges,
      readsInFlight: this.reads.size + this.snapshots.size,
      bus: this.bus.status(),
    };
  }

  /** Ends every stream (gateway shutdown); their consumers see the end of the stream. */
  closeAll(): void {
    for (const stream of [...this.streams]) void stream.return();
  }

  /** Streams register once started and unregister when they end (internal to this module). */
  register(stream: BalanceStream): void {
    this.streams.add(stream);
  }

  unregister(stream: BalanceStream): void {
    this.streams.delete(stream);
  }

  /**
   * The wallet's changes after `cursor`, oldest first, at most a page. Concurrent callers at the
   * same position share one read; `shared` tells a caller it joined one already under way, which
   * may have started before the change that woke the caller committed.
   */
  async readAfter(
    userId: string,
    assetCode: string,
    cursor: bigint,
  ): Promise<{ changes: BalanceChange[]; shared: boolean }> {
    const key = `${userId}\u0000${assetCode}\u0000${cursor}`;
    const pending = this.reads.get(key);
    if (pending) return { changes: await pending, shared: true };
    const read = this.loadChanges(userId, assetCode, cursor).finally(() => this.reads.delete(key));
    this.reads.set(key, read);
    return { changes: await read, shared: false };
  }

  /**
   * The last sequence of the user's wallets (or of one), read from the database. With a `shareKey`
   * concurrent callers with the same key share the read; without one the read is always fresh.
   */
  async walletHeads(
    userId: string,
    assetCode: string | null,
    shareKey?: string,
  ): Promise<Map<string, bigint>> {
    if (shareKey === undefined) return this.loadHeads(userId, assetCode);
    const key = `${userId}\u0000${assetCode ?? ''}\u0000${shareKey}`;
    const pending = this.snapshots.get(key);
    if (pending) return pending;
    const read = this.loadHeads(userId, assetCode).finally(() => this.snapshots.delete(key));
    this.snapshots.set(key, read);
    return read;
  }

  private async loadHeads(userId: string, assetCode: string | null): Promise<Map<string, bigint>> {
    const rows =
      assetCode === null
        ? await walletStore.findWalletsOfUser(this.prisma, userId)
        : [await walletStore.findWallet(this.prisma, userId, assetCode)].filter(
            (row) => row !== undefined,
          );
    return new Map(rows.map((row) => [row.asset_code, row.last_sequence]));
  }

  private async loadChanges(
    userId: string,
    assetCode: string,
    cursor: bigint,
  ): Promise<BalanceChange[]> {
    // `available` needs the wallet's holds, which have no entries: it is the balance after each
    // entry minus the holds active now (exact for a live change, approximate for old history).
    const rows = await subscriptionStore.findEntriesAfterSequenceWithHeld(
      this.prisma,
      userId,
      assetCode,
      cursor,
      this.pageSize,
    );
    return rows.map(({ held, paidAfter, frozen, ...entry }) => ({
      entry,
      wallet: {
        userId,
        assetCode,
        balance: entry.balanceAfter,
        available: entry.balanceAfter > held ? entry.balanceAfter - held : 0n,
        // The split recorded with the entry; the status as it is now.
        paid: paidAfter ?? 0n,
        free: entry.balanceAfter - (paidAfter ?? 0n),
        // expiring: as of now, read by WalletResolver.expiring when the subscriber asks for it.
        status: frozen ? WalletStatus.FROZEN : WalletStatus.ACTIVE,
        lastSequence: entry.sequence,
        updatedAt: entry.createdAt,
      },
    }));
  }
}

/** Where a stream stands in one wallet. */
interface WalletCursor {
  /** The last sequence read into the stream (buffered or delivered). */
  cursor: bigint;
  /** The highest sequence known to exist: from notifications and wallet snapshots. */
  head: bigint;
  /**
   * Working through a backlog (a replay, or after the LISTEN connection was lost): read a page
   * only when the buffer is empty, at the consumer's pace, so a long backlog never overflows.
   * Live changes are read as soon as they are announced.
   */
  catchingUp: boolean;
}

type Waiter = {
  resolve(result: IteratorResult<BalanceChange>): void;
  reject(error: unknown): void;
};

/**
 * One subscription: an async iterator over the ledger, woken by the bus. One read runs at a time;
 * wake-ups that arrive meanwhile raise the wallet's known head and the loop reads again.
 */
class BalanceStream implements AsyncIterableIterator<BalanceChange> {
  private readonly wallets = new Map<string, WalletCursor>();
  /** Heads announced while start() was still taking its snapshot. */
  private readonly earlyHeads = new Map<string, bigint>();
  private buffer: BalanceChange[] = [];
  private waiters: Waiter[] = [];
  private started = false;
  private closed = false;
  private failure: Error | undefined;
  private reading = false;
  private readAgain = false;
  private resyncPending = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly service: SubscriptionService,
    private readonly userId: string,
    private readonly assetFilter: string | null,
    private readonly afterSequence: bigint | null,
  ) {}

  get buffered(): number {
    return this.buffer.length;
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<BalanceChange> {
    return this;
  }

  /**
   * Listens first and reads the wallets second, so that every change committed after the snapshot
   * is announced to this stream: the snapshot's sequence is the exact seam between the past
   * (replayed from the ledger, or not sent at all) and the live changes.
   */
  async start(): Promise<void> {
    this.unsubscribe = this.service.bus.subscribe(this.userId, {
      onEvent: (event) => this.onEvent(event),
      onResync: () => this.onResync(),
    });
    try {
      const heads = await this.service.walletHeads(this.userId, this.assetFilter);
      if (this.assetFilter !== null) {
        const head = heads.get(this.assetFilter) ?? 0n;
        if (this.afterSequence !== null && this.afterSequence > head) {
          throw badUserInput(
            `afterSequence ${this.afterSequence} is beyond the wallet's last sequence (${head}).`,
            'afterSequence',
          );
        }
        const cursor = this.afterSequence ?? head;
        this.wallets.set(this.assetFilter, { cursor, head, catchingUp: cursor < head });
      } else {
        for (const [asset, head] of heads)
          this.wallets.set(asset, { cursor: head, head, catchingUp: false });
      }
      // A wallet announced during the snapshot but missing from it was created after it: all of
      // its entries are new to this stream.
      for (const [asset, head] of this.earlyHeads) {
        const wallet = this.walletCursor(asset);
        if (head > wallet.head) wallet.head = head;
      }
      this.earlyHeads.clear();
    } catch (error) {
      this.release();
      throw error;
    }
    this.started = true;
    this.service.register(this);
    this.pump();
  }

  next(): Promise<IteratorResult<BalanceChange>> {
    if (this.failure) {
      const failure = this.failure;
      this.failure = undefined;
      return Promise.reject(failure);
    }
    const value = this.buffer.shift();
    if (value) {
      // A wallet catching up reads its next page once the consumer has taken the last one.
      if (this.buffer.length === 0) this.pump();
      return Promise.resolve({ value, done: false });
    }
    if (this.closed) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.pump();
    });
  }

  /** The consumer is gone (the client completed or the socket closed): release everything now. */
  return(): Promise<IteratorResult<BalanceChange>> {
    this.close();
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(error?: unknown): Promise<IteratorResult<BalanceChange>> {
    this.close();
    return Promise.reject(error);
  }

  private walletCursor(asset: string): WalletCursor {
    let wallet = this.wallets.get(asset);
    if (!wallet) {
      // Not in the snapshot: created since, so everything in it is new.
      wallet = { cursor: 0n, head: 0n, catchingUp: false };
      this.wallets.set(asset, wallet);
    }
    return wallet;
  }

  private onEvent(event: WalletEvent): void {
    if (this.closed || (this.assetFilter !== null && event.asset !== this.assetFilter)) return;
    if (!this.started) {
      if (event.sequence > (this.earlyHeads.get(event.asset) ?? 0n))
        this.earlyHeads.set(event.asset, event.sequence);
      return;
    }
    const wallet = this.walletCursor(event.asset);
    if (event.sequence > wallet.head) {
      wallet.head = event.sequence;
      this.pump();
    }
  }

  /** Announcements may have been lost: the heads are read again from the database. */
  private onResync(): void {
    if (this.closed) return;
    this.resyncPending = true;
    this.pump();
  }

  private pump(): void {
    if (!this.started || this.closed) return;
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    void this.readLoop();
  }

  private async readLoop(): Promise<void> {
    try {
      for (;;) {
        this.readAgain = false;
        if (this.closed) return;
        if (this.resyncPending) {
          this.resyncPending = false;
          await this.refreshHeads();
          continue;
        }
        const asset = this.walletToRead();
        if (asset === undefined) break;
        const wallet = this.wallets.get(asset)!;
        const { changes, shared } = await this.service.readAfter(this.userId, asset, wallet.cursor);
        if (this.closed) return;
        const fresh = changes.filter((change) => change.entry.sequence > wallet.cursor);
        if (fresh.length === 0) {
          // A shared read may have started before the announced change committed: read again.
          // A fresh read that finds nothing means the announcement was wrong; believe the ledger.
          if (!shared) {
            logger.warn(
              {
                userId: this.userId,
                asset,
                cursor: String(wallet.cursor),
                head: String(wallet.head),
              },
              'subscription: announced entries not found in the ledger',
            );
            wallet.head = wallet.cursor;
          }
          continue;
        }
        for (const change of fresh) this.buffer.push(change);
        wallet.cursor = fresh[fresh.length - 1]!.entry.sequence;
        if (wallet.cursor > wallet.head) wallet.head = wallet.cursor;
        if (this.buffer.length > this.service.options.bufferMax) {
          this.fail(
            new AppError(
              ErrorCode.RATE_LIMITED,
              `The subscription fell more than ${this.service.options.bufferMax} changes behind and was ended; subscribe again with asset and afterSequence set to the last sequence received.`,
              { reason: bufferFullReason, limit: this.service.options.bufferMax },
            ),
          );
          return;
        }
        this.deliver();
      }
    } catch (error) {
      this.fail(
        error instanceof AppError
          ? error
          : isDatabaseUnavailable(error)
            ? serviceUnavailable()
            : asInternal(error),
      );
    } finally {
      this.reading = false;
      if (this.readAgain && !this.closed) this.pump();
    }
  }

  /** The next wallet with announced entries this stream has not read, if it may read now. */
  private walletToRead(): string | undefined {
    for (const [asset, wallet] of this.wallets) {
      if (wallet.head <= wallet.cursor) {
        wallet.catchingUp = false;
        continue;
      }
      if (wallet.catchingUp && this.buffer.length > 0) continue;
      return asset;
    }
    return undefined;
  }

  private async refreshHeads(): Promise<void> {
    // Shared by the streams of this user that resync after the same reconnect.
    const heads = await this.service.walletHeads(
      this.userId,
      this.assetFilter,
      `resync-${this.service.bus.status().reconnects}`,
    );
    for (const [asset, head] of heads) {
      const wallet = this.walletCursor(asset);
      if (head > wallet.head) {
        wallet.head = head;
        wallet.catchingUp = true;
      }
    }
  }

  private deliver(): void {
    while (this.waiters.length > 0 && this.buffer.length > 0) {
      this.waiters.shift()!.resolve({ value: this.buffer.shift()!, done: false });
    }
  }

  /** Ends the stream with an error, delivered to the consumer's next (or pending) read. */
  private fail(error: Error): void {
    if (this.closed) return;
    this.release();
    const waiter = this.waiters.shift();
    if (waiter) waiter.reject(error);
    else this.failure = error;
    for (const other of this.waiters.splice(0)) other.resolve({ value: undefined, done: true });
  }

  private close(): void {
    if (this.closed) return;
    this.release();
    for (const waiter of this.waiters.splice(0)) waiter.resolve({ value: undefined, done: true });
  }

  private release(): void {
    this.closed = true;
    this.buffer = [];
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.service.unregister(this);
  }
}

function asInternal(error: unknown): Error {
  logger.error({ err: error }, 'subscription: reading the ledger failed');
  return new AppError(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error');
}
