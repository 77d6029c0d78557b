import type { PrismaClient } from '../../../generated/prisma/client';
import type { TxClient } from '../../shared/db/prisma';
import { clientIdOf, type Principal } from '../../shared/auth/principal';
import { runTransaction, type TransactionOptions } from '../../shared/db/transaction';
import { refusalError, type RefusalCode, type RefusalDetail } from '../../shared/errors';
import { replayPrior } from '../../shared/idempotency';
import type { MoneyMovedHook } from '../../shared/observability/metrics';
import type { AssetService } from '../assets/asset.service';
import type { SystemAccountIds } from '../assets/asset.store';
import type { AccountKind, Transaction } from '../ledger/ledger.types';
import { LedgerBook } from './book';
import { moneyStore, type KeyScope } from './money.store';
import { walletKey, type BookWallet, type MoneyOperation, type RecordedOutcome, type Verdict, type WalletRef } from './money.types';

/** The id of a wallet that does not exist yet (ids start at 1). */
const placeholderId = 0n;

/** What one money transaction ended with; anything but `posted` is acted on after it commits. */
type Outcome<A> =
  | { kind: 'posted'; transactions: Transaction[]; applied: A; book: LedgerBook }
  | { kind: 'refused'; code: RefusalCode; detail: RefusalDetail | undefined }
  | { kind: 'prior'; prior: RecordedOutcome };

/**
 * Thrown when this database transaction's id is below the id of the last transaction that posted
 * to a wallet it locked (it took its id before waiting for that wallet). Posting then would put
 * the wallet's entries out of transaction-id order, the order of the event feed; a retry takes a
 * fresh, larger id. SQLSTATE 40001 marks it retryable for runTransaction.
 */
class TransactionOrderConflict extends Error {
  readonly code = '40001';
  constructor() {
    super('transaction id below a locked wallet\'s last writer; retrying');
  }
}

/**
 * The one code path every money operation takes (topup, bonus, spend, hold, captureHold,
 * releaseHold, reverse, transfer, applyChangeset), in this order:
 *   1. (the caller) validate the input, resolve the assets, hash the request;
 *   2. one interactive transaction: lock every wallet the operation names in one statement, in
 *      wallet-id order, and read the key's recorded outcome; create the wallets it credits that
 *      do not exist yet; read what the decision needs under the locks (`load`);
 *   3. decide: a plain function of the locked wallets and the input, drafting postings of any
 *      number of legs, each checked by the book (legs sum to zero, no user wallet below zero,
 *      sequences gap-free), or a refusal;
 *   4. post every drafted transaction, apply the operation's other writes, record the key's outcome
 *      (a refusal is recorded too, so it replays);
 *   5. after the commit: the answer, the refusal, or the replay of the key's first outcome; metrics.
 * Serialisation comes from the row locks alone, so several gateway processes share one database.
 */
export class MoneyEngine {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly assets: AssetService,
    private readonly txOptions: TransactionOptions,
    /** Told of every committed transaction (metrics: money moved per asset and kind). */
    private readonly onMoneyMoved: MoneyMovedHook = () => undefined,
  ) {}

  /**
   * Runs one operation under `idempotencyKey`, scoped to the calling client.
   * Errors: the operation's refusal codes (recorded, replayed), IDEMPOTENCY_KEY_REUSED,
   * SERVICE_UNAVAILABLE; deadlocks, serialization failures and lost key races are retried.
   */
  async run<R, L, E, A>(principal: Principal, idempotencyKey: string, op: MoneyOperation<R, L, E, A>): Promise<R> {
    const scope: KeyScope = { clientId: clientIdOf(principal), key: idempotencyKey, operation: op.name, requestHash: op.requestHash };
    const accounts = await this.systemAccounts(op.wallets);
    const outcome = await runTransaction(this.prisma, this.txOptions, (tx) => this.decideAndPost(tx, scope, op, accounts));
    if (outcome.kind === 'posted') {
      // Only money that really moved is counted, after its commit; replays are not.
      for (const t of outcome.transactions) this.onMoneyMoved(t.assetCode, t.kind, t.amount);
      return op.answer(outcome.transactions, outcome.applied, outcome.book);
    }
    if (outcome.kind === 'refused') throw refusalError(outcome.code, outcome.detail);
    const ids = replayPrior(scope, outcome.prior);
    return op.replay({ transactionId: ids.transactionId, holdId: ids.holdId, changesetId: ids.changesetId ?? null });
  }

  private async decideAndPost<R, L, E, A>(
    tx: TxClient,
    scope: KeyScope,
    op: MoneyOperation<R, L, E, A>,
    accounts: Map<string, SystemAccountIds>,
  ): Promise<Outcome<A>> {
    const refs = uniqueRefs(op.wallets);
    let decided = await this.lockAndDecide(tx, scope, op, refs);
    if (decided.kind !== 'decided') return decided;
    const missing = uniqueRefs(op.creates).filter((ref) => decided.kind === 'decided' && decided.book.find(ref)?.id === placeholderId);
    if (decided.verdict.kind === 'accept' && missing.length > 0) {
      // The wallets an accepted credit needs are created now, then everything is locked and decided
      // again: a refused request creates nothing, and the decision that posts sees real rows.
      await moneyStore.createWallets(tx, missing);
      decided = await this.lockAndDecide(tx, scope, op, refs);
      if (decided.kind !== 'decided') return decided;
    }
    const { book, verdict } = decided;
    if (verdict.kind === 'skip') return { kind: 'posted', transactions: [], applied: undefined as A, book };
    if (verdict.kind === 'refuse') {
      await moneyStore.recordRefusal(tx, scope, verdict.code, verdict.detail);
      return { kind: 'refused', code: verdict.code, detail: verdict.detail };
    }
    if (op.creates.some((ref) => book.find(ref)?.id === placeholderId)) throw new Error('invariant: a credited wallet was not created');
    const drafted = book.postings();
    let transactions: Transaction[] = [];
    if (drafted.length > 0) {
      const posted = await moneyStore.post(tx, scope, drafted, book.changes(), (assetCode, account) => {
        const id = accounts.get(assetCode)?.[account as Exclude<AccountKind, AccountKind.USER>];
        if (id === undefined) throw new Error(`invariant: no ${account} account for ${assetCode}`);
        return id;
      });
      for (const [walletId, updatedAt] of posted.wallets) book.touched(walletId, updatedAt);
      transactions = posted.transactions.map(({ index, id, createdAt, changesetId }) => {
        const { posting, paidAmount } = drafted[index]!;
        return {
          id: id.toString(), kind: posting.kind, userId: posting.userId, assetCode: posting.assetCode, amount: posting.amount,
          paidAmount, freeAmount: posting.amount - paidAmount,
          idempotencyKey: scope.key, reference: posting.reference, metadata: posting.metadata ?? null, createdAt,
          reversesId: posting.reversesId?.toString() ?? null, holdId: posting.holdId?.toString() ?? null,
          counterpartyUserId: posting.counterpartyUserId ?? null, changesetId: changesetId?.toString() ?? null,
          clientId: scope.clientId,
        };
      });
    }
    if (drafted.length === 0 && !op.apply) throw new Error(`invariant: ${op.name} accepted with nothing to post or apply`);
    // With postings, the key's outcome went with them; without, `apply` records it.
    const applied = (op.apply ? await op.apply(tx, verdict.effect, transactions, book, scope) : undefined) as A;
    return { kind: 'posted', transactions, applied, book };
  }

  /**
   * Locks the wallets and reads the key, then reads what the decision needs and decides. A wallet
   * the operation credits that does not exist yet stands in the book as an empty placeholder.
   */
  private async lockAndDecide<R, L, E, A>(
    tx: TxClient,
    scope: KeyScope,
    op: MoneyOperation<R, L, E, A>,
    refs: WalletRef[],
  ): Promise<{ kind: 'decided'; book: LedgerBook; verdict: Verdict<E>; loaded: L } | { kind: 'prior'; prior: RecordedOutcome }> {
    const locked = await moneyStore.lock(tx, refs, scope, op.postingsMax ?? 1);
    if (locked.prior) return { kind: 'prior', prior: locked.prior };
    if (locked.wallets.some((w) => w.lastXact >= locked.xact)) throw new TransactionOrderConflict();
    const holding = locked.wallets.filter((w) => w.mayHaveHolds).map((w) => w.id);
    // The hint comes from the locked rows' newest versions: false means no ACTIVE hold, no sum.
    const held = holding.length > 0 ? await moneyStore.held(tx, holding) : new Map<bigint, { held: bigint; reserved: Map<bigint, bigint> }>();
    const wallets: BookWallet[] = locked.wallets.map((w) => ({ ...w, held: held.get(w.id)?.held ?? 0n, reserved: held.get(w.id)?.reserved ?? new Map() }));
    const present = new Set(wallets.map((w) => walletKey(w)));
    for (const ref of uniqueRefs(op.creates)) {
      if (!present.has(walletKey(ref))) {
        wallets.push({
          ...ref, id: placeholderId, balance: 0n, held: 0n, lastSequence: 0n, updatedAt: locked.now, lots: [], reserved: new Map(),
          frozen: locked.frozenUsers.has(ref.userId), bonusDay: null, bonusToday: 0n, transferOutDay: null, transferOutToday: 0n,
        });
      }
    }
    const book = new LedgerBook(wallets, locked.now, locked.limits, locked.frozenUsers, locked.ids);
    const loaded = (op.load ? await op.load(tx, book) : undefined) as L;
    book.begin();
    const verdict = op.decide(book, loaded);
    if (verdict.kind !== 'accept') book.rollback();
    return { kind: 'decided', book, verdict, loaded };
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
