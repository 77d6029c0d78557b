import type { PrismaClient } from '../../../generated/prisma/client';
import { assertCanMoveMoney, assertCanReadUser } from '../../shared/auth/authorize';
import type { Principal } from '../../shared/auth/principal';
import { ErrorCode, badUserInput } from '../../shared/errors';
import { hashRequest, validateIdempotencyKey } from '../../shared/idempotency';
import { limits } from '../../shared/limits';
import { requirePositiveAmount } from '../../shared/money';
import { validateMetadata, validateOptionalText, validateUserId } from '../../shared/validation';
import type { AssetService } from '../assets/asset.service';
import { ledgerStore } from '../ledger/ledger.store';
import { AccountKind, EntryDirection, TransactionKind } from '../ledger/ledger.types';
import type { MoneyEngine } from '../money/money.engine';
import type { BookWallet, Draft, MoneyOperation, Posting, Verdict, WalletRef } from '../money/money.types';
import { walletStore, type WalletRow } from './wallet.store';
import type { TransferInput, TransferPayload, Wallet } from './wallet.types';

export type PlainKind = TransactionKind.TOPUP | TransactionKind.BONUS | TransactionKind.SPEND;
type SystemAccount = Exclude<AccountKind, AccountKind.USER>;

/** Which side of the ledger each plain movement takes: the user's wallet against one system account. */
export const plainRules: Record<PlainKind, { operation: string; userDirection: EntryDirection; account: SystemAccount }> = {
  [TransactionKind.TOPUP]: { operation: 'topup', userDirection: EntryDirection.CREDIT, account: AccountKind.TREASURY },
  [TransactionKind.BONUS]: { operation: 'bonus', userDirection: EntryDirection.CREDIT, account: AccountKind.BONUS_POOL },
  [TransactionKind.SPEND]: { operation: 'spend', userDirection: EntryDirection.DEBIT, account: AccountKind.REVENUE },
};

const opposite = (direction: EntryDirection) => (direction === EntryDirection.CREDIT ? EntryDirection.DEBIT : EntryDirection.CREDIT);

/** A posting of `amount` between a user's wallet and one system account of its asset. */
export function userSystemPosting(
  kind: TransactionKind,
  wallet: WalletRef,
  userDirection: EntryDirection,
  account: SystemAccount,
  amount: bigint,
  extra: Pick<Posting, 'reference' | 'metadata'> & Partial<Posting>,
): Posting {
  return {
    kind, userId: wallet.userId, assetCode: wallet.assetCode, amount, ...extra,
    legs: [
      { account: AccountKind.USER, wallet, direction: userDirection, amount },
      { account, direction: opposite(userDirection), amount },
    ],
  };
}

/**
 * The rule of a plain movement on a draft: a debit needs the amount available, a credit must keep
 * the balance within the largest amount a wallet can hold. Shared by topup/bonus/spend and by
 * the legs of a changeset.
 */
export function draftPlain(draft: Draft, kind: PlainKind, wallet: WalletRef, amount: bigint, extra: Pick<Posting, 'reference' | 'metadata'> & Partial<Posting>): Verdict | undefined {
  const rule = plainRules[kind];
  if (rule.userDirection === EntryDirection.DEBIT && draft.available(wallet) < amount) {
    return { kind: 'refuse', code: ErrorCode.INSUFFICIENT_FUNDS };
  }
  if (rule.userDirection === EntryDirection.CREDIT && (draft.find(wallet)?.balance ?? 0n) + amount > limits.amountMax) {
    throw badUserInput('The credit would take the balance beyond the largest amount a wallet can hold.', 'amount');
  }
  draft.post(userSystemPosting(kind, wallet, rule.userDirection, rule.account, amount, extra));
  return undefined;
}

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

/** A locked wallet as the API shows it after a decision. */
export function bookWallet(wallet: BookWallet): Wallet {
  return {
    userId: wallet.userId, assetCode: wallet.assetCode, balance: wallet.balance, available: wallet.balance - wallet.held,
    lastSequence: wallet.lastSequence, updatedAt: wallet.updatedAt,
  };
}

/** A wallet that never received anything reads as balance 0. */
export function emptyWallet(userId: string, assetCode: string, at: Date): Wallet {
  return { userId, assetCode, balance: 0n, available: 0n, lastSequence: 0n, updatedAt: at };
}

/**
 * Balances, and the three plain money movements as rules on the money engine: one user wallet
 * against one system account. The system account is never locked or updated (its balance is the
 * sum of its entries), so movements for different users never wait on each other.
 */
export class WalletService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly assets: AssetService,
    private readonly engine: MoneyEngine,
  ) {}

  /** Errors: FORBIDDEN (another player's wallet), BAD_USER_INPUT, NOT_FOUND (unknown asset). */
  async balance(principal: Principal, userId: string, assetCode: string, at?: Date | null): Promise<Wallet> {
    assertCanReadUser(principal, userId);
    validateUserId(userId);
    const { asset } = await this.assets.require(assetCode);
    if (at) {
      const row = await walletStore.findWalletAt(this.prisma, userId, asset.code, at);
      return row ? toWallet(row) : emptyWallet(userId, asset.code, at);
    }
    return this.current(userId, asset.code);
  }

  /** One wallet per known asset, zero where the user never received any. Errors: FORBIDDEN, BAD_USER_INPUT. */
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

  /** The wallet as it is now (zero when it never received anything). */
  async current(userId: string, assetCode: string): Promise<Wallet> {
    const row = await walletStore.findWallet(this.prisma, userId, assetCode);
    return row ? toWallet(row) : emptyWallet(userId, assetCode, new Date());
  }

  /** Treasury -> user. Errors: FORBIDDEN, BAD_USER_INPUT, NOT_FOUND, IDEMPOTENCY_KEY_REUSED, SERVICE_UNAVAILABLE. */
  topup(principal: Principal, input: TransferInput): Promise<TransferPayload> {
    return this.move(principal, TransactionKind.TOPUP, input);
  }

  /** Bonus pool -> user. Errors: as topup. */
  bonus(principal: Principal, input: TransferInput): Promise<TransferPayload> {
    return this.move(principal, TransactionKind.BONUS, input);
  }

  /** User -> revenue. Errors: as topup, and INSUFFICIENT_FUNDS (recorded, replayed). */
  spend(principal: Principal, input: TransferInput): Promise<TransferPayload> {
    return this.move(principal, TransactionKind.SPEND, input);
  }

  private async move(principal: Principal, kind: PlainKind, input: TransferInput): Promise<TransferPayload> {
    const rule = plainRules[kind];
    // Every check that can refuse the request before a decision runs first: such refusals write
    // nothing and leave the key unused. Authorization comes before input validation, so that a
    // caller who may not move money learns nothing about what a valid request would look like.
    assertCanMoveMoney(principal);
    const userId = validateUserId(input.userId);
    const idempotencyKey = validateIdempotencyKey(input.idempotencyKey);
    const amount = requirePositiveAmount(input.amount);
    const reference = validateOptionalText(input.reference, 'reference', limits.referenceLengthMax);
    const metadata = validateMetadata(input.metadata);
    const { asset } = await this.assets.require(input.asset);
    const wallet: WalletRef = { userId, assetCode: asset.code };
    const credits = rule.userDirection === EntryDirection.CREDIT;
    const op: MoneyOperation<TransferPayload> = {
      name: rule.operation,
      requestHash: hashRequest(rule.operation, { userId, asset: asset.code, amount, reference, metadata }),
      wallets: [wallet],
      creates: credits ? [wallet] : [],
      decide: (draft) => draftPlain(draft, kind, wallet, amount, { reference, metadata }) ?? { kind: 'accept' },
      answer: ([transaction], _applied, book) => ({ transaction: transaction!, wallet: bookWallet(book.find(wallet)!), replayed: false }),
      replay: ({ transactionId }) => this.replayTransaction(transactionId),
    };
    return this.engine.run(principal, idempotencyKey, op);
  }

  /** The original transaction and its user's wallet as it is now. */
  async replayTransaction(transactionId: bigint | null): Promise<TransferPayload> {
    if (transactionId === null) throw new Error('invariant: a succeeded key without its transaction');
    const [transaction] = await ledgerStore.findTransactionsByIds(this.prisma, [transactionId]);
    if (!transaction) throw new Error(`invariant: recorded transaction ${transactionId} is missing`);
    return { transaction, wallet: await this.current(transaction.userId, transaction.assetCode), replayed: true };
  }
}
