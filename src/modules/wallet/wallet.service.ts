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
import {
  AccountKind,
  EntryDirection,
  TransactionKind,
  type Transaction,
} from '../ledger/ledger.types';
import type { MoneyEngine } from '../money/money.engine';
import type {
  Book,
  Draft,
  LotPlan,
  MoneyOperation,
  Posting,
  Verdict,
  WalletRef,
} from '../money/money.types';
import { walletStore, type WalletRow } from './wallet.store';
import {
  WalletStatus,
  type CreditLot,
  type CreditOrigin,
  type TransferInput,
  type TransferPayload,
  type Wallet,
} from './wallet.types';
import {
  debitOrder,
  expiredUnreserved,
  fromStored,
  isExpired,
  split,
  type Lot,
} from '../money/lots';
import { sumReservations } from '../money/money.store';
import { creditLotNodeId } from '../node/node-id';

export type PlainKind = TransactionKind.TOPUP | TransactionKind.BONUS | TransactionKind.SPEND;
type SystemAccount = Exclude<AccountKind, AccountKind.USER>;

/** Which side of the ledger each plain movement takes: the user's wallet against one system account. */
export const plainRules: Record<
  PlainKind,
  { operation: string; userDirection: EntryDirection; account: SystemAccount }
> = {
  [TransactionKind.TOPUP]: {
    operation: 'topup',
    userDirection: EntryDirection.CREDIT,
    account: AccountKind.TREASURY,
  },
  [TransactionKind.BONUS]: {
    operation: 'bonus',
    userDirection: EntryDirection.CREDIT,
    account: AccountKind.BONUS_POOL,
  },
  [TransactionKind.SPEND]: {
    operation: 'spend',
    userDirection: EntryDirection.DEBIT,
    account: AccountKind.REVENUE,
  },
};

const opposite = (direction: EntryDirection) =>
  direction === EntryDirection.CREDIT ? EntryDirection.DEBIT : EntryDirection.CREDIT;

/** A posting of `amount` between a user's wallet and one system account of its asset. */
export function userSystemPosting(
  kind: TransactionKind,
  wallet: WalletRef,
  userDirection: EntryDirection,
  account: SystemAccount,
  amount: bigint,
  extra: Pick<Posting, 'reference' | 'metadata'> & Partial<Posting>,
  lots?: LotPlan,
): Posting {
  return {
    kind,
    userId: wallet.userId,
    assetCode: wallet.assetCode,
    amount,
    ...extra,
    legs: [
      {
        account: AccountKind.USER,
        wallet,
        direction: userDirection,
        amount,
        ...(lots ? { lots } : {}),
      },
      { account, direction: opposite(userDirection), amount },
    ],
  };
}

/** LIMIT_EXCEEDED with the limit, its value and what could still be accepted. */
export function limitExceeded(
  limit: 'balanceMax' | 'dailyBonusMax' | 'dailyTransferOutMax',
  max: bigint,
  used: bigint,
): Verdict {
  const remaining = max > used ? max - used : 0n;
  return {
    kind: 'refuse',
    code: ErrorCode.LIMIT_EXCEEDED,
    detail: { limit, max: max.toString(), remaining: remaining.toString() },
  };
}

/**
 * The rule of a credit to a user wallet (topup, bonus, a changeset's credit leg, a transfer's
 * recipient): balanceMax, dailyBonusMax for a BONUS, and the largest amount a wallet can hold.
 * Credits apply to frozen wallets. Undefined when the credit may go ahead.
 */
export function creditRefusal(
  draft: Draft,
  kind: TransactionKind,
  wallet: WalletRef,
  amount: bigint,
): Verdict | undefined {
  const { balanceMax, dailyBonusMax } = draft.limits(wallet.assetCode);
  const balance = draft.view(wallet).balance;
  if (balanceMax !== null && balance + amount > balanceMax)
    return limitExceeded('balanceMax', balanceMax, balance);
  if (
    kind === TransactionKind.BONUS &&
    dailyBonusMax !== null &&
    draft.bonusToday(wallet) + amount > dailyBonusMax
  ) {
    return limitExceeded('dailyBonusMax', dailyBonusMax, draft.bonusToday(wallet));
  }
  if ((draft.find(wallet)?.balance ?? 0n) + amount > limits.amountMax) {
    throw badUserInput(
      'The credit would take the balance beyond the largest amount a wallet can hold.',
      'amount',
    );
  }
  return undefined;
}

/**
 * The rule of a plain movement on a draft, shared by topup/bonus/spend and the legs of a
 * changeset. A debit: WALLET_FROZEN, then INSUFFICIENT_FUNDS, drawn from the lots in the
 * contract's order. A credit: the limits, then a new lot (PAID for a topup, FREE for a bonus).
 */
export function draftPlain(
  draft: Draft,
  kind: PlainKind,
  wallet: WalletRef,
  amount: bigint,
  extra: Pick<Posting, 'reference' | 'metadata'> & Partial<Posting>,
  expiresAt: Date | null = null,
): Verdict | undefined {
  const rule = plainRules[kind];
  if (rule.userDirection === EntryDirection.DEBIT) {
    if (draft.frozen(wallet)) return { kind: 'refuse', code: ErrorCode.WALLET_FROZEN };
    if (draft.available(wallet) < amount)
      return { kind: 'refuse', code: ErrorCode.INSUFFICIENT_FUNDS };
    draft.post(userSystemPosting(kind, wallet, rule.userDirection, rule.account, amount, extra));
    return undefined;
  }
  const refused = creditRefusal(draft, kind, wallet, amount);
  if (refused) return refused;
  const lots = {
    kind: 'new' as const,
    origin: kind === TransactionKind.TOPUP ? ('PAID' as const) : ('FREE' as const),
    expiresAt,
  };
  draft.post(
    userSystemPosting(kind, wallet, rule.userDirection, rule.account, amount, extra, lots),
  );
  return undefined;
}

/**
 * A credit lot's expiry: in the future (judged when the decision runs, so that a retry after it
 * passed replays rather than fails) and at most 10 years ahead (judged at once).
 */
export function validateLotExpiry(expiresAt: Date | null | undefined, field: string): Date | null {
  if (expiresAt === undefined || expiresAt === null) return null;
  if (expiresAt.getTime() - Date.now() > limits.lotExpiryHorizonMaxMs)
    throw badUserInput(`${field} must be at most 10 years ahead.`, field);
  return expiresAt;
}

export function assertLotExpiryAhead(expiresAt: Date | null, now: Date, field: string): void {
  if (expiresAt && expiresAt.getTime() <= now.getTime())
    throw badUserInput(`${field} must be in the future.`, field);
}

/** Lots with an expiry that have not expired, soonest first, at most 20. */
export function expiringLots(lots: readonly Lot[], now: Date): CreditLot[] {
  return lots
    .filter((lot) => lot.expiresAt !== null && !isExpired(lot, now) && lot.remaining > 0n)
    .sort(debitOrder)
    .slice(0, limits.expiringLotsListedMax)
    .map((lot) => ({
      id: creditLotNodeId(lot.id),
      origin: lot.origin as CreditOrigin,
      amount: lot.remaining,
      expiresAt: lot.expiresAt,
      createdAt: lot.createdAt,
    }));
}

/** A wallet from its lots: expired, unreserved remainders no longer count in any figure. */
function liveWallet(
  base: Pick<Wallet, 'userId' | 'assetCode' | 'lastSequence' | 'updatedAt'>,
  balance: bigint,
  held: bigint,
  lots: Lot[],
  reserved: ReadonlyMap<bigint, bigint>,
  frozen: boolean,
  now: Date,
): Wallet {
  const shown = balance - expiredUnreserved(lots, reserved, now);
  // Wallets from before lots existed may hold more than their lots: that part reads as FREE.
  const { paid } = split(lots, reserved, now);
  return {
    ...base,
    balance: shown,
    available: shown - held,
    paid,
    free: shown - paid,
    expiring: expiringLots(lots, now),
    status: frozen ? WalletStatus.FROZEN : WalletStatus.ACTIVE,
  };
}

export function toWallet(row: WalletRow): Wallet {
  const base = {
    userId: row.user_id,
    assetCode: row.asset_code,
    lastSequence: row.last_sequence,
    updatedAt: row.updated_at,
  };
  if (row.lots === undefined) {
    // A balance at an instant: the split recorded with the entry (entries from before lots: FREE).
    const paid = row.paid_after ?? 0n;
    return {
      ...base,
      balance: row.balance,
      available: row.balance - row.held,
      paid,
      free: row.balance - paid,
      // expiring: as of now, read by WalletResolver.expiring when asked for.
      status: row.frozen ? WalletStatus.FROZEN : WalletStatus.ACTIVE,
    };
  }
  return liveWallet(
    base,
    row.balance,
    row.held,
    row.lots.map(fromStored),
    sumReservations(row.reserved_lots ?? []),
    row.frozen === true,
    row.now ?? new Date(),
  );
}

/** A locked wallet as the API shows it after a decision. */
export function bookWallet(book: Book, ref: WalletRef): Wallet {
  const wallet = book.find(ref);
  if (!wallet)
    throw new Error(`invariant: wallet ${ref.userId}/${ref.assetCode} is not in the book`);
  const now = book.now;
  const frozen = book.frozen(ref);
  const base = {
    userId: wallet.userId,
    assetCode: wallet.assetCode,
    lastSequence: wallet.lastSequence,
    updatedAt: wallet.updatedAt,
  };
  return liveWallet(base, wallet.balance, wallet.held, wallet.lots, wallet.reserved, frozen, now);
}

/** The answer of an operation that posted one transaction on `wallet`: it and the wallet after it. */
export function answerOf(wallet: WalletRef) {
  return ([transaction]: Transaction[], _applied: unknown, book: Book): TransferPayload => ({
    transaction: transaction!,
    wallet: bookWallet(book, wallet),
    replayed: false,
  });
}

/** A wallet that never received anything reads as balance 0 (FROZEN when its user is). */
export function emptyWallet(userId: string, assetCode: string, at: Date, frozen = false): Wallet {
  return {
    userId,
    assetCode,
    balance: 0n,
    available: 0n,
    lastSequence: 0n,
    updatedAt: at,
    paid: 0n,
    free: 0n,
    expiring: [],
    status: frozen ? WalletStatus.FROZEN : WalletStatus.ACTIVE,
  };
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
  async balance(
    principal: Principal,
    userId: string,
    assetCode: string,
    at?: Date | null,
  ): Promise<Wallet> {
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
    const [assets, rows] = await Promise.all([
      this.assets.list(),
      walletStore.findWalletsOfUser(this.prisma, userId),
    ]);
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

  private async move(
    principal: Principal,
    kind: PlainKind,
    input: TransferInput,
  ): Promise<TransferPayload> {
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
    const expiresAt = validateLotExpiry(input.expiresAt, 'expiresAt');
    const { asset } = await this.assets.require(input.asset);
    const wallet: WalletRef = { userId, assetCode: asset.code };
    const credits = rule.userDirection === EntryDirection.CREDIT;
    const op: MoneyOperation<TransferPayload> = {
      name: rule.operation,
      // expiresAt joins the fingerprint only when given, so keys recorded before lots still replay.
      requestHash: hashRequest(rule.operation, {
        userId,
        asset: asset.code,
        amount,
        reference,
        metadata,
        ...(expiresAt ? { expiresAt } : {}),
      }),
      wallets: [wallet],
      creates: credits ? [wallet] : [],
      decide: (draft) => {
        assertLotExpiryAhead(expiresAt, draft.now, 'expiresAt');
        return (
          draftPlain(draft, kind, wallet, amount, { reference, metadata }, expiresAt) ?? {
            kind: 'accept',
          }
        );
      },
      answer: answerOf(wallet),
      replay: ({ transactionId }) => this.replayTransaction(transactionId),
    };
    return this.engine.run(principal, idempotencyKey, op);
  }

  /** The original transaction and its user's wallet as it is now. */
  async replayTransaction(transactionId: bigint | null): Promise<TransferPayload> {
    if (transactionId === null)
      throw new Error('invariant: a succeeded key without its transaction');
    const [transaction] = await ledgerStore.findTransactionsByIds(this.prisma, [transactionId]);
    if (!transaction)
      throw new Error(`invariant: recorded transaction ${transactionId} is missing`);
    return {
      transaction,
      wallet: await this.current(transaction.userId, transaction.assetCode),
      replayed: true,
    };
  }
}
