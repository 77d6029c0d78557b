import type { PrismaClient } from '../../generated/prisma/client';
import { clientIdOf, type Principal } from '../shared/auth/principal';
import type { TxClient } from '../shared/db/prisma';
import { runTransaction, type TransactionOptions } from '../shared/db/transaction';
import { AppError, refusalError, type RefusalCode, type RefusalDetail } from '../shared/errors';
import { replayPrior } from '../shared/idempotency';
import { limits } from '../shared/limits';
import { logger } from '../shared/logger';
import type { MoneyMovedHook } from '../shared/observability/metrics';
import { LedgerBook } from './book';
import type { SystemAccount } from './enums';
import { moneyStore, type KeyScope, type Locked, type RecordedBatch } from './store';
import {
  walletKey,
  type AssetDirectory,
  type BookWallet,
  type SystemAccountIds,
  type Transaction,
  type MoneyOperation,
  type RecordedOutcome,
  type WalletRef,
} from './types';

/** The id of a wallet that does not exist yet (ids start at 1). */
const placeholderId = 0n;

// Operations are stored with their type parameters erased: the engine only passes values between
// an operation's own functions, never across operations.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyOperation = MoneyOperation<any, any, any, any>;

/** What one operation ended with; anything but `posted` is acted on after the commit. */
type Outcome =
  | { kind: 'posted'; transactions: Transaction[]; applied: unknown; book: LedgerBook }
  | { kind: 'refused'; code: RefusalCode; detail: RefusalDetail | undefined }
  | { kind: 'prior'; prior: RecordedOutcome }
  /** The same key earlier in the same batch decided: replay what it recorded, after the commit. */
  | { kind: 'duplicate' }
  /** Refused before a decision (malformed input the decision found): nothing was written. */
  | { kind: 'failed'; error: AppError }
  /** This operation, run alone after its batch failed, failed too: its own error, nobody else's. */
  | { kind: 'error'; error: unknown };

/** An item's decision, before the posting. */
type Decided =
  | Exclude<Outcome, { kind: 'posted' }>
  | { kind: 'accepted'; from: number; to: number; effect: unknown; skip: boolean };

interface Item {
  scope: KeyScope;
  op: AnyOperation;
  accounts: Map<string, SystemAccountIds>;
}

interface Queued extends Item {
  resolve(outcome: Outcome): void;
  reject(error: unknown): void;
}

/**
 * Thrown when this database transaction's id is below the id of the last transaction that posted
 * to a wallet it locked. The advisory locks taken before the row locks make that impossible for
 * transactions of the engine; a writer outside it could still cause it. Posting then would put
 * the wallet's entries out of transaction-id order, the order of the event feed; a retry takes a
 * fresh, larger id. SQLSTATE 40001 marks it retryable for runTransaction.
 */
class TransactionOrderConflict extends Error {
  readonly code = '40001';
  constructor() {
    super("transaction id below a locked wallet's last writer; retrying");
  }
}

const keyOf = (scope: KeyScope) => `${scope.clientId}\u0000${scope.key}`;

export interface EngineHooks {
  /** Told of every committed transaction (metrics: money moved per asset and kind). */
  onMoneyMoved?: MoneyMovedHook;
  /** Told of every database transaction the engine runs, with how many operations it carried. */
  onBatch?: (operations: number) => void;
}

/**
 * The one code path every money operation takes (topup, bonus, spend, hold, captureHold,
 * releaseHold, reverse, transfer, applyChangeset, and the lots' EXPIRY), in this order:
 *   1. (the caller) validate the input, resolve the assets, hash the request;
 *   2. one interactive transaction: lock every wallet the operation names in one statement
 *      (advisory locks per (user, asset) in key order, then the rows FOR UPDATE in wallet-id
 *      order) and read the key's recorded outcome; read what the decision needs (`load`);
 *   3. decide: a plain function of the locked wallets and the input, drafting postings of any
 *      number of legs, each checked by the book (legs sum to zero, no user wallet below zero,
 *      sequences gap-free, lots exact), or a refusal;
 *   4. create the wallets an accepted credit needs (then lock and decide again), post every
 *      drafted transaction with the key's outcome in one statement (a refusal is recorded too,
 *      so it replays), apply the operation's other writes;
 *   5. after the commit: the answer, the refusal, or the replay of the key's first outcome.
 *
 * Group commit: operations that need nothing beyond their wallets (no `load`, no `apply`) queue
 * while the engine's transactions are in flight, and the next transaction takes up to
 * `batchOperationsMax` of them: one lock statement for all their wallets and keys, the decisions in
 * memory in arrival order (several on one hot wallet apply one after another against its running
 * balance and sequence), one posting statement, one COMMIT. A lone request on an idle engine goes
 * at once. Each operation keeps its own outcome; a batch that fails as a whole is retried, then
 * each of its operations runs alone. Serialisation comes from the row locks alone, so several
 * gateway processes share one database.
 */
export class MoneyEngine {
  private readonly queue: Queued[] = [];
  private inFlight = 0;
  private pumpScheduled = false;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly assets: AssetDirectory,
    private readonly txOptions: TransactionOptions,
    private readonly hooks: EngineHooks = {},
    /** Group commit on (the default) or off (every operation in a transaction of its own). */
    private readonly batching = true,
  ) {}

  /**
   * Runs one operation under `idempotencyKey`, scoped to the calling client.
   * Errors: the operation's refusal codes (recorded, replayed), IDEMPOTENCY_KEY_REUSED,
   * SERVICE_UNAVAILABLE; deadlocks, serialization failures and lost key races are retried.
   */
  async run<R, L, E, A>(
    principal: Principal,
    idempotencyKey: string,
    op: MoneyOperation<R, L, E, A>,
  ): Promise<R> {
    const scope: KeyScope = {
      clientId: clientIdOf(principal),
      key: idempotencyKey,
      operation: op.name,
      requestHash: op.requestHash,
    };
    const item: Item = { scope, op, accounts: await this.systemAccounts(op.wallets) };
    const batchable = this.batching && !op.load && !op.apply;
    const outcome = batchable ? await this.enqueue(item) : (await this.execute([item]))[0]!;
    return this.settle(item, outcome) as Promise<R>;
  }

  private async settle(item: Item, outcome: Outcome): Promise<unknown> {
    const { op, scope } = item;
    switch (outcome.kind) {
      case 'posted':
        // Only money that really moved is counted, after its commit; replays are not.
        for (const t of outcome.transactions)
          this.hooks.onMoneyMoved?.(t.assetCode, t.kind, t.amount);
        return op.answer(outcome.transactions, outcome.applied, outcome.book);
      case 'refused':
        throw refusalError(outcome.code, outcome.detail);
      case 'failed':
      case 'error':
        throw outcome.error;
      case 'duplicate': {
        const prior = await moneyStore.readOutcome(this.prisma, scope);
        // No outcome: the first of the two found its input malformed and wrote nothing; this one
        // is decided on its own, as a lone request would be.
        if (!prior) return this.settle(item, (await this.execute([item]))[0]!);
        return this.settle(item, { kind: 'prior', prior });
      }
      case 'prior': {
        const ids = replayPrior(scope, outcome.prior);
        return op.replay({
          transactionId: ids.transactionId,
          holdId: ids.holdId,
          changesetId: ids.changesetId ?? null,
        });
      }
    }
  }

  private enqueue(item: Item): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      this.queue.push({ ...item, resolve, reject });
      this.schedulePump();
    });
  }

  /**
   * Pumps once the current turn of the event loop has run (setImmediate, not a timer: nothing
   * waits on an idle engine). The callers a commit wakes all enqueue in that turn; pumping on the
   * first arrival would send it alone into the free slot and leave the rest to the next batch.
   */
  private schedulePump(): void {
    if (this.pumpScheduled) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      this.pump();
    });
  }

  /** Starts transactions while there is room: each takes what has queued, up to the batch limit. */
  private pump(): void {
    while (this.inFlight < limits.batchesInFlightMax && this.queue.length > 0) {
      const batch = this.queue.splice(0, limits.batchOperationsMax);
      this.inFlight += 1;
      void this.execute(batch)
        .then(
          (outcomes) => batch.forEach((queued, i) => queued.resolve(outcomes[i]!)),
          (error: unknown) => batch.forEach((queued) => queued.reject(error)),
        )
        .finally(() => {
          this.inFlight -= 1;
          this.schedulePump();
        });
    }
  }

  /**
   * One transaction for the items, retried on failures a fresh attempt resolves. When a batch of
   * several fails anyway, each item runs alone, so that no client sees an error a lone request
   * would not have produced.
   */
  private async execute(items: Item[]): Promise<Outcome[]> {
    this.hooks.onBatch?.(items.length);
    try {
      return await runTransaction(this.prisma, this.txOptions, (tx) =>
        this.decideAndPost(tx, items),
      );
    } catch (error) {
      if (items.length === 1 || error instanceof AppError) throw error;
      logger.warn(
        { err: error, operations: items.length },
        'a batch failed; its operations run one by one',
      );
      return Promise.all(
        items.map((item) =>
          this.execute([item]).then(
            ([outcome]) => outcome!,
            (alone: unknown): Outcome => ({ kind: 'error', error: alone }),
          ),
        ),
      );
    }
  }

  private async decideAndPost(tx: TxClient, items: Item[]): Promise<Outcome[]> {
    const refs = uniqueRefs(items.flatMap((item) => item.op.wallets));
    let decided = await this.lockAndDecide(tx, items, refs);
    const missing = uniqueRefs(
      decided.outcomes.flatMap((o, i) => (o.kind === 'accepted' ? items[i]!.op.creates : [])),
    ).filter((ref) => decided.book.find(ref)?.id === placeholderId);
    if (missing.length > 0) {
      // The wallets that accepted credits need are created now, then everything is locked and
      // decided again: a refused request creates nothing, and the decisions that post see real rows.
      await moneyStore.createWallets(tx, missing);
      decided = await this.lockAndDecide(tx, items, refs);
    }
    const { book, outcomes } = decided;
    const recorded = this.recordOf(items, outcomes, book);
    const posted =
      recorded.postings.length + recorded.refusals.length > 0
        ? await moneyStore.post(tx, recorded, book.changes(), (assetCode, account) =>
            this.accountId(items, assetCode, account),
          )
        : {
            transactions: new Map<bigint, { createdAt: Date }>(),
            wallets: new Map<bigint, Date>(),
          };
    for (const [walletId, updatedAt] of posted.wallets) book.touched(walletId, updatedAt);
    return this.results(tx, items, outcomes, book, posted.transactions);
  }

  /** What a batch writes: every accepted item's postings and its key's outcome, and the refusals. */
  private recordOf(items: Item[], outcomes: Decided[], book: LedgerBook): RecordedBatch {
    const recorded: RecordedBatch = { postings: [], outcomes: [], refusals: [] };
    outcomes.forEach((o, i) => {
      const item = items[i]!;
      if (o.kind === 'refused')
        recorded.refusals.push({ scope: item.scope, code: o.code, detail: o.detail });
      if (o.kind !== 'accepted') return;
      if (item.op.creates.some((ref) => book.find(ref)?.id === placeholderId))
        throw new Error('invariant: a credited wallet was not created');
      const drafted = book.postings().slice(o.from, o.to);
      if (drafted.length === 0 && !item.op.apply && !o.skip)
        throw new Error(`invariant: ${item.op.name} accepted with nothing to post or apply`);
      for (const d of drafted) recorded.postings.push({ drafted: d, scope: item.scope });
      // With postings, the key's outcome goes with them; without, `apply` records it (holds).
      if (drafted.length > 0)
        recorded.outcomes.push({
          scope: item.scope,
          firstPosting: recorded.postings.length - drafted.length,
          holdId: drafted[0]!.posting.holdId ?? null,
        });
    });
    return recorded;
  }

  /** Each item's outcome after the posting: accepted ones get their transactions and `apply`. */
  private async results(
    tx: TxClient,
    items: Item[],
    outcomes: Decided[],
    book: LedgerBook,
    created: Map<bigint, { createdAt: Date }>,
  ): Promise<Outcome[]> {
    const results: Outcome[] = [];
    for (const [i, o] of outcomes.entries()) {
      const item = items[i]!;
      if (o.kind !== 'accepted') {
        results.push(o);
        continue;
      }
      const transactions = book
        .postings()
        .slice(o.from, o.to)
        .map((d): Transaction => ({
          id: d.id.toString(),
          kind: d.posting.kind,
          userId: d.posting.userId,
          assetCode: d.posting.assetCode,
          amount: d.posting.amount,
          paidAmount: d.paidAmount,
          freeAmount: d.posting.amount - d.paidAmount,
          idempotencyKey: item.scope.key,
          reference: d.posting.reference,
          metadata: d.posting.metadata ?? null,
          createdAt: created.get(d.id)!.createdAt,
          reversesId: d.posting.reversesId?.toString() ?? null,
          holdId: d.posting.holdId?.toString() ?? null,
          counterpartyUserId: d.posting.counterpartyUserId ?? null,
          changesetId: d.changesetId?.toString() ?? null,
          clientId: item.scope.clientId,
        }));
      const applied =
        item.op.apply && !o.skip
          ? await item.op.apply(tx, o.effect, transactions, book, item.scope)
          : undefined;
      results.push({ kind: 'posted', transactions, applied, book });
    }
    return results;
  }

  /**
   * Locks the wallets and reads the keys, then decides each item in order on one book. A wallet an
   * item credits that does not exist yet stands in the book as an empty placeholder.
   */
  private async lockAndDecide(tx: TxClient, items: Item[], refs: WalletRef[]) {
    const idsCount = items.reduce((sum, item) => sum + (item.op.postingsMax ?? 1), 0);
    const locked = await moneyStore.lock(
      tx,
      refs,
      items.map((item) => item.scope),
      idsCount,
    );
    if (locked.wallets.some((w) => w.lastXact >= locked.xact)) throw new TransactionOrderConflict();
    // Read with every lock held (see moneyStore.lock): keys decided while the batch waited are seen.
    const priors = locked.priors;
    const book = await this.bookOf(tx, locked, items);
    const outcomes: Decided[] = [];
    const seen = new Set<string>();
    for (const item of items) {
      const key = keyOf(item.scope);
      const prior = priors.get(key);
      if (seen.has(key)) outcomes.push({ kind: 'duplicate' });
      else if (prior) outcomes.push({ kind: 'prior', prior });
      else {
        const decided = await this.decideOne(tx, item, book);
        // A decision that found the input malformed (an expiry that has just passed) may be a
        // duplicate of a request that decided the key while this one waited for the locks: the
        // key's outcome, read now, wins over the error (the client must learn the money moved).
        const fresh =
          decided.kind === 'failed'
            ? (await moneyStore.readOutcomes(tx, [item.scope])).get(key)
            : undefined;
        outcomes.push(fresh ? { kind: 'prior', prior: fresh } : decided);
      }
      seen.add(key);
    }
    return { book, outcomes };
  }

  private async decideOne(tx: TxClient, item: Item, book: LedgerBook) {
    const loaded = item.op.load ? await item.op.load(tx, book) : undefined;
    const from = book.postings().length;
    book.begin();
    let verdict;
    try {
      verdict = item.op.decide(book, loaded);
    } catch (error) {
      // Malformed input the decision found (an expiry already past): this item only, nothing written.
      book.rollback();
      if (error instanceof AppError) return { kind: 'failed' as const, error };
      throw error;
    }
    if (verdict.kind === 'refuse') {
      book.rollback();
      return { kind: 'refused' as const, code: verdict.code, detail: verdict.detail };
    }
    if (verdict.kind === 'skip') {
      book.rollback();
      return { kind: 'accepted' as const, from, to: from, effect: undefined, skip: true };
    }
    book.commit();
    return {
      kind: 'accepted' as const,
      from,
      to: book.postings().length,
      effect: verdict.effect,
      skip: false,
    };
  }

  /** The book of a locked batch: wallets with their holds, and placeholders for wallets to create. */
  private async bookOf(tx: TxClient, locked: Locked, items: Item[]): Promise<LedgerBook> {
    const holding = locked.wallets.filter((w) => w.mayHaveHolds).map((w) => w.id);
    // The hint comes from the locked rows' newest versions: false means no ACTIVE hold, no sum.
    const held =
      holding.length > 0
        ? await moneyStore.held(tx, holding)
        : new Map<bigint, { held: bigint; reserved: Map<bigint, bigint> }>();
    const wallets: BookWallet[] = locked.wallets.map((w) => ({
      ...w,
      held: held.get(w.id)?.held ?? 0n,
      reserved: held.get(w.id)?.reserved ?? new Map(),
    }));
    const present = new Set(wallets.map((w) => walletKey(w)));
    for (const ref of uniqueRefs(items.flatMap((item) => item.op.creates))) {
      if (present.has(walletKey(ref))) continue;
      wallets.push({
        ...ref,
        id: placeholderId,
        balance: 0n,
        held: 0n,
        lastSequence: 0n,
        updatedAt: locked.now,
        lots: [],
        reserved: new Map(),
        frozen: locked.frozenUsers.has(ref.userId),
        bonusDay: null,
        bonusToday: 0n,
        transferOutDay: null,
        transferOutToday: 0n,
      });
    }
    return new LedgerBook(wallets, locked.now, locked.limits, locked.frozenUsers, locked.ids);
  }

  private accountId(items: Item[], assetCode: string, account: string): bigint {
    for (const item of items) {
      const id = item.accounts.get(assetCode)?.[account as SystemAccount];
      if (id !== undefined) return id;
    }
    throw new Error(`invariant: no ${account} account for ${assetCode}`);
  }

  /** The system accounts of every asset the operation names (cached by the asset service). */
  private async systemAccounts(refs: readonly WalletRef[]): Promise<Map<string, SystemAccountIds>> {
    const codes = [...new Set(refs.map((ref) => ref.assetCode))];
    const known = await Promise.all(codes.map((code) => this.assets.require(code)));
    return new Map(known.map((k) => [k.asset.code, k.accounts]));
  }
}

function uniqueRefs(refs: readonly WalletRef[]): WalletRef[] {
  const seen = new Map<string, WalletRef>();
  for (const ref of refs) seen.set(walletKey(ref), ref);
  return [...seen.values()];
}
