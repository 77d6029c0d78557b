// An in-memory LedgerBook for the operations' pure rules: wallets, limits and freezes as a test states them, no database.
import { LedgerBook } from '../../../src/money/book';
import { CreditOrigin } from '../../../src/money/enums';
import type { Lot } from '../../../src/money/lots';
import type { BookWallet, LimitsOf, Rule, Verdict, WalletRef } from '../../../src/money/types';

export const now = new Date('2026-06-01T12:00:00Z');
export const asset = 'GOLD';
export const ref = (userId: string): WalletRef => ({ userId, assetCode: asset });

let nextLotId = 1000n;
export function lot(
  remaining: bigint,
  origin: CreditOrigin = CreditOrigin.PAID,
  expiresAt: Date | null = null,
  createdAt = new Date('2026-01-01T00:00:00Z'),
): Lot {
  nextLotId += 1n;
  return { id: nextLotId, origin, remaining, expiresAt, createdAt };
}

let nextWalletId = 1n;
export function wallet(
  userId: string,
  lots: Lot[] = [],
  extra: Partial<BookWallet> = {},
): BookWallet {
  nextWalletId += 1n;
  return {
    userId,
    assetCode: asset,
    id: nextWalletId,
    balance: lots.reduce((sum, l) => sum + l.remaining, 0n),
    held: 0n,
    lastSequence: BigInt(lots.length),
    updatedAt: now,
    lots,
    reserved: new Map(),
    frozen: false,
    bonusDay: null,
    bonusToday: 0n,
    transferOutDay: null,
    transferOutToday: 0n,
    ...extra,
  };
}

export interface BookOptions {
  limits?: Partial<LimitsOf>;
  frozenUsers?: string[];
  /** How many transaction ids the decision may use (default 4). */
  ids?: number;
}

export function bookOf(wallets: BookWallet[], options: BookOptions = {}): LedgerBook {
  const limits: LimitsOf = {
    balanceMax: null,
    dailyBonusMax: null,
    dailyTransferOutMax: null,
    ...options.limits,
  };
  const ids = Array.from({ length: options.ids ?? 4 }, (_, i) => 500n + BigInt(i));
  return new LedgerBook(
    wallets,
    now,
    new Map([[asset, limits]]),
    new Set(options.frozenUsers),
    ids,
  );
}

/** Decides a rule on the book as the engine does: a refusal undoes what the rule drafted. */
export function decide<R, L, E, A>(
  book: LedgerBook,
  rule: Rule<R, L, E, A>,
  loaded?: L,
): Verdict<E> {
  book.begin();
  const verdict = rule.decide(book, loaded as L);
  if (verdict.kind === 'accept') book.commit();
  else book.rollback();
  return verdict;
}
