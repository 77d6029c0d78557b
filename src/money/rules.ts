import { ErrorCode, badUserInput } from '../shared/errors';
import { limits } from '../shared/limits';
import { AccountKind, EntryDirection, TransactionKind, type SystemAccount } from './enums';
import { dailyCounters, kinds, opposite } from './kinds';
import type { Draft, LimitsOf, LotPlan, Posting, Verdict, WalletRef } from './types';

/** The kinds a plain movement posts: one user wallet against its kind's system account. */
export type PlainKind = TransactionKind.TOPUP | TransactionKind.BONUS | TransactionKind.SPEND;

/** What a posting carries beyond its kind, wallet and amount. */
export type PostingExtra = Pick<Posting, 'reference' | 'metadata'> & Partial<Posting>;

/** A posting of `amount` between a user's wallet and one system account of its asset. */
export function userSystemPosting(
  kind: TransactionKind,
  wallet: WalletRef,
  userDirection: EntryDirection,
  account: SystemAccount,
  amount: bigint,
  extra: PostingExtra,
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
export function limitExceeded(limit: keyof LimitsOf, max: bigint, used: bigint): Verdict {
  const remaining = max > used ? max - used : 0n;
  return {
    kind: 'refuse',
    code: ErrorCode.LIMIT_EXCEEDED,
    detail: { limit, max: max.toString(), remaining: remaining.toString() },
  };
}

/**
 * The daily limits a movement of `kind` on this side of the wallet counts against (kinds.ts:
 * dailyBonusMax for a BONUS credit, dailyTransferOutMax for a TRANSFER's sender).
 */
export function dailyLimitRefusal(
  draft: Draft,
  kind: TransactionKind,
  wallet: WalletRef,
  direction: EntryDirection,
  amount: bigint,
): Verdict | undefined {
  for (const { counter, direction: side } of kinds[kind].counters) {
    if (side !== direction) continue;
    const limit = dailyCounters[counter].limit;
    const max = draft.limits(wallet.assetCode)[limit];
    const used = counter === 'bonus' ? draft.bonusToday(wallet) : draft.transferOutToday(wallet);
    if (max !== null && used + amount > max) return limitExceeded(limit, max, used);
  }
  return undefined;
}

/**
 * The rule of a credit to a user wallet (topup, bonus, a changeset's credit leg, a transfer's
 * recipient): balanceMax, the daily limits the kind feeds, and the largest amount a wallet can
 * hold. Credits apply to frozen wallets. Undefined when the credit may go ahead.
 */
export function creditRefusal(
  draft: Draft,
  kind: TransactionKind,
  wallet: WalletRef,
  amount: bigint,
): Verdict | undefined {
  const { balanceMax } = draft.limits(wallet.assetCode);
  const balance = draft.view(wallet).balance;
  if (balanceMax !== null && balance + amount > balanceMax)
    return limitExceeded('balanceMax', balanceMax, balance);
  const daily = dailyLimitRefusal(draft, kind, wallet, EntryDirection.CREDIT, amount);
  if (daily) return daily;
  if ((draft.find(wallet)?.balance ?? 0n) + amount > limits.amountMax) {
    throw badUserInput(
      'The credit would take the balance beyond the largest amount a wallet can hold.',
      'amount',
    );
  }
  return undefined;
}

/** The rule of a debit a client asks for: WALLET_FROZEN, then INSUFFICIENT_FUNDS. */
export function debitRefusal(draft: Draft, wallet: WalletRef, amount: bigint): Verdict | undefined {
  if (draft.frozen(wallet)) return { kind: 'refuse', code: ErrorCode.WALLET_FROZEN };
  if (draft.available(wallet) < amount)
    return { kind: 'refuse', code: ErrorCode.INSUFFICIENT_FUNDS };
  return undefined;
}

/**
 * The rule of a plain movement on a draft, shared by topup/bonus/spend and the legs of a
 * changeset. A debit: WALLET_FROZEN, then INSUFFICIENT_FUNDS, drawn from the lots in the
 * contract's order. A credit: the limits, then a new lot of the kind's origin (kinds.ts).
 */
export function draftPlain(
  draft: Draft,
  kind: PlainKind,
  wallet: WalletRef,
  amount: bigint,
  extra: PostingExtra,
  expiresAt: Date | null = null,
): Verdict | undefined {
  const { account, userDirection, lotOrigin } = kinds[kind];
  if (account === null || userDirection === null)
    throw new Error(`invariant: ${kind} is not a plain movement`);
  if (userDirection === EntryDirection.DEBIT) {
    const refused = debitRefusal(draft, wallet, amount);
    if (refused) return refused;
    draft.post(userSystemPosting(kind, wallet, userDirection, account, amount, extra));
    return undefined;
  }
  const refused = creditRefusal(draft, kind, wallet, amount);
  if (refused) return refused;
  if (lotOrigin === null) throw new Error(`invariant: a ${kind} credit makes no lot`);
  const lots = { kind: 'new' as const, origin: lotOrigin, expiresAt };
  draft.post(userSystemPosting(kind, wallet, userDirection, account, amount, extra, lots));
  return undefined;
}

/**
 * A credit lot's expiry: in the future (judged when the decision runs, so that a retry after it
 * passed replays rather than fails: assertLotExpiryAhead) and at most 10 years ahead (judged at once).
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
