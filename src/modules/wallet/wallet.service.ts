import type { PrismaClient } from '../../../generated/prisma/client';
import type { TxClient } from '../../shared/db/prisma';
import { runTransaction, type TransactionOptions } from '../../shared/db/transaction';
import { AppError, ErrorCode, badUserInput, refusalError } from '../../shared/errors';
import { hashRequest, priorFromRow, replayPrior, validateIdempotencyKey, type IdempotencyScope, type PriorOutcome } from '../../shared/idempotency';
import { limits } from '../../shared/limits';
import { requirePositiveAmount } from '../../shared/money';
import type { Principal } from '../../shared/context';
import type { MoneyMovedHook } from '../../shared/observability/metrics';
import { assertCanMoveMoney, assertCanReadUser } from '../../shared/auth/authorize';
import { validateMetadata, validateOptionalText, validateUserId } from '../../shared/validation';
import type { AssetService } from '../assets/asset.service';
import { ledgerStore, type PostingPlan } from '../ledger/ledger.store';
import { AccountKind, EntryDirection, TransactionKind, type Transaction } from '../ledger/ledger.types';
import { walletStore, type LockedWalletRow, type WalletRow } from './wallet.store';
import type { TransferInput, TransferPayload, Wallet } from './wallet.types';

type TransferKind = TransactionKind.TOPUP | TransactionKind.BONUS | TransactionKind.SPEND;

/** Which side of the ledger each plain transfer takes: the user's wallet against one system account. */
const transferRules: Record<TransferKind, { operation: string; userDirection: EntryDirection; account: AccountKind.TREASURY | AccountKind.BONUS_POOL | AccountKind.REVENUE }> = {
  [TransactionKind.TOPUP]: { operation: 'topup', userDirection: EntryDirection.CREDIT, account: AccountKind.TREASURY },
  [TransactionKind.BONUS]: { operation: 'bonus', userDirection: EntryDirection.CREDIT, account: AccountKind.BONUS_POOL },
  [TransactionKind.SPEND]: { operation: 'spend', userDirection: EntryDirection.DEBIT, account: AccountKind.REVENUE },
};

/** What a money transaction decided; anything but `posted` is acted on after it commits. */
export type Decision =
  | { kind: 'posted'; transaction: Transaction; wallet: Wallet }
  | { kind: 'prior'; prior: PriorOutcome }
  | { kind: 'refused'; code: string };

export function toWallet(row: Pick<WalletRow, 'user_id' | 'asset_code' | 'balance' | 'held' | 'last_sequence' | 'updated_at'>): Wallet {
  return {
    userId: row.user_id,
    assetCode: row.asset_code,
    balance: row.balance,
    available: row.balance - row.held,
    lastSequence: row.last_sequence,
    updatedAt: row.updated_at,
  };
}

/** A wallet that never received anything reads as balance 0. */
function emptyWallet(userId: string, assetCode: string, at: Date): Wallet {
  return { userId, assetCode, balance: 0n, available: 0n, lastSequence: 0n, updatedAt: at };
}

/**
 * Balances and the three plain money movements. Each movement is one interactive transaction
 * serialised on the user's wallet row; the system account is never locked or updated (its balance
 * is the sum of its entries), so movements for different users never wait on each other.
 */
export class WalletService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly assets: AssetService,
    private readonly txOptions: TransactionOptions,
    /** Told of every committed posting (metrics: money moved per asset and kind). */
    private readonly onMoneyMoved: MoneyMovedHook = () => undefined,
  ) {}

  async balance(principal: Principal, userId: string, assetCode: string, at?: Date | null): Promise<Wallet> {
    assertCanReadUser(principal, userId);
    validateUserId(userId);
    const { asset } = await this.assets.require(assetCode);
    if (at) {
      const row = await walletStore.findWalletAt(this.prisma, userId, asset.code, at);
      return row ? toWallet(row) : emptyWallet(userId, asset.code, at);
    }
    const row = await walletStore.findWallet(this.prisma, userId, asset.code);
    return row ? toWallet(row) : emptyWallet(userId, asset.code, new Date());
  }

  /** One wallet per known asset, zero where the user never received any. */
  async balances(principal: Principal, userId: string): Promise<Wallet[]> {
    assertCanReadUser(principal, userId);
    validateUserId(userId);
    const [assets, rows] = await Promise.all([this.assets.list(), walletStore.findWalletsOfUser(this.prisma, userId)]);
    const byAsset = new Map(rows.map((row) => [row.asset_code, row]));
    const now = new Date();
    return assets.map((asset) => {
      const row = byAsset.get(asset.code);
      return row ? toWallet(row) : emptyWallet(userId, asset.code, now);
    });
  }

  topup(principal: Principal, input: TransferInput): Promise<TransferPayload> {
    return this.transfer(principal, TransactionKind.TOPUP, input);
  }

  bonus(principal: Principal, input: TransferInput): Promise<TransferPayload> {
    return this.transfer(principal, TransactionKind.BONUS, input);
  }

  spend(principal: Principal, input: TransferInput): Promise<TransferPayload> {
    return this.transfer(principal, TransactionKind.SPEND, input);
  }

  private async transfer(principal: Principal, kind: TransferKind, input: TransferInput): Promise<TransferPayload> {
    const rule = transferRules[kind];
    // Every check that can refuse the request before a decision runs first: such refusals write
    // nothing and leave the key unused. Authorization comes before input validation, so that a
    // caller who may not move money learns nothing about what a valid request would look like.
    assertCanMoveMoney(principal);
    const userId = validateUserId(input.userId);
    const idempotencyKey = validateIdempotencyKey(input.idempotencyKey);
    const amount = requirePositiveAmount(input.amount);
    const reference = validateOptionalText(input.reference, 'reference', limits.referenceLengthMax);
    const metadata = validateMetadata(input.metadata);
    const { asset, accounts } = await this.assets.require(input.asset);
    const scope: IdempotencyScope = {
      clientId: principal.subject,
      idempotencyKey,
      operation: rule.operation,
      requestHash: hashRequest(rule.operation, { userId, asset: asset.code, amount, reference, metadata }),
    };

    const decision = await runTransaction(this.prisma, this.txOptions, async (tx): Promise<Decision> => {
      let locked = await walletStore.lockWalletAndReadKey(tx, userId, asset.code, scope.clientId, idempotencyKey);
      const prior = priorFromRow(locked);
      if (prior) return { kind: 'prior', prior };
      if (locked.id === null) {
        if (rule.userDirection === EntryDirection.DEBIT) return this.refuse(tx, scope, ErrorCode.INSUFFICIENT_FUNDS);
        await walletStore.createWallet(tx, userId, asset.code);
        locked = await walletStore.lockWalletAndReadKey(tx, userId, asset.code, scope.clientId, idempotencyKey);
        if (locked.id === null) throw new Error('invariant: wallet missing right after it was created');
      }
      const wallet = lockedWallet(locked);
      if (rule.userDirection === EntryDirection.DEBIT && wallet.balance - wallet.held < amount) {
        return this.refuse(tx, scope, ErrorCode.INSUFFICIENT_FUNDS);
      }
      if (rule.userDirection === EntryDirection.CREDIT && wallet.balance + amount > limits.amountMax) {
        throw badUserInput('The credit would take the balance beyond the largest amount a wallet can hold.', 'amount');
      }
      return this.post(tx, {
        kind, clientId: scope.clientId, idempotencyKey, operation: scope.operation, requestHash: scope.requestHash,
        walletId: wallet.id, userId, assetCode: asset.code, balanceBefore: wallet.balance, sequenceBefore: wallet.last_sequence,
        userDirection: rule.userDirection, amount, systemAccountId: accounts[rule.account], systemAccountKind: rule.account,
        reference, metadata, reversesId: null, holdId: null,
      }, wallet);
    });
    return this.settle(scope, decision);
  }

  /** Records a business refusal as the key's outcome; it is thrown once the transaction commits. */
  async refuse(tx: TxClient, scope: IdempotencyScope, code: string): Promise<Decision> {
    await ledgerStore.recordRefusal(tx, { ...scope, errorCode: code });
    return { kind: 'refused', code };
  }

  /** Posts a planned transfer against a wallet locked in this transaction. */
  async post(tx: TxClient, plan: PostingPlan, wallet: WalletRow): Promise<Decision> {
    const posted = await ledgerStore.postTransfer(tx, plan);
    if (!posted) throw new Error('invariant: the locked wallet changed before the posting');
    return {
      kind: 'posted',
      transaction: {
        id: posted.transactionId, kind: plan.kind, userId: plan.userId, assetCode: plan.assetCode, amount: plan.amount,
        idempotencyKey: plan.idempotencyKey, reference: plan.reference, metadata: plan.metadata ?? null,
        createdAt: posted.transactionCreatedAt, reversesId: plan.reversesId?.toString() ?? null, holdId: plan.holdId?.toString() ?? null,
      },
      wallet: toWallet({ ...wallet, balance: posted.balanceAfter, last_sequence: posted.sequence, updated_at: posted.walletUpdatedAt }),
    };
  }

  /** Turns a committed decision into the mutation's answer: the result, a replay, or the refusal. */
  async settle(scope: IdempotencyScope, decision: Decision): Promise<TransferPayload> {
    if (decision.kind === 'posted') {
      // settle runs after the commit, so only money that really moved is counted; replays are not.
      this.onMoneyMoved(decision.transaction.assetCode, decision.transaction.kind, decision.transaction.amount);
      return { transaction: decision.transaction, wallet: decision.wallet, replayed: false };
    }
    if (decision.kind === 'refused') throw refusalError(decision.code);
    const { transactionId } = replayPrior(scope, decision.prior);
    if (transactionId === null) throw new AppError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This idempotency key was already used for a different request.');
    return this.replayTransfer(transactionId);
  }

  /** The original transaction and the wallet as it is now. */
  async replayTransfer(transactionId: bigint): Promise<TransferPayload> {
    const [transaction] = await ledgerStore.findTransactionsByIds(this.prisma, [transactionId]);
    if (!transaction) throw new Error(`invariant: recorded transaction ${transactionId} is missing`);
    const row = await walletStore.findWallet(this.prisma, transaction.userId, transaction.assetCode);
    if (!row) throw new Error(`invariant: wallet of transaction ${transactionId} is missing`);
    return { transaction, wallet: toWallet(row), replayed: true };
  }
}

/** The locked row with every wallet column present (the lock statement found the wallet). */
export function lockedWallet(locked: LockedWalletRow): WalletRow {
  if (locked.id === null || locked.balance == null || locked.held == null || locked.last_sequence == null || !locked.updated_at || !locked.user_id || !locked.asset_code) {
    throw new Error('invariant: locked wallet row is incomplete');
  }
  return locked as WalletRow;
}
