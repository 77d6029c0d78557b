import { limits } from '../shared/limits';
import { WalletStatus, type CreditOrigin } from './enums';
import { debitOrder, expiredUnreserved, isExpired, split, type Lot } from './lots';
import type { Book, Transaction, WalletRef } from './types';

/** A lot with an expiry as answers list it (the wallet module's CreditLot has these fields). */
export interface ExpiringLot {
  /** The lot's own id (clients see it as CreditLot.id, an opaque node id). */
  lotId: bigint;
  origin: CreditOrigin;
  amount: bigint;
  expiresAt: Date | null;
  createdAt: Date;
}

/** A wallet as answers show it (the wallet module's GraphQL Wallet has these fields). */
export interface WalletView {
  userId: string;
  assetCode: string;
  balance: bigint;
  available: bigint;
  lastSequence: bigint;
  updatedAt: Date;
  paid: bigint;
  free: bigint;
  /** Undefined for a past state: read as of now when asked for. */
  expiring?: ExpiringLot[];
  status: WalletStatus;
}

/** What topup, bonus, spend, captureHold and reverse answer: the transaction and its wallet. */
export interface MovementAnswer {
  transaction: Transaction;
  wallet: WalletView;
  replayed: boolean;
}

/** Lots with an expiry that have not expired, soonest first, at most 20. */
export function expiringLots(lots: readonly Lot[], now: Date): ExpiringLot[] {
  return lots
    .filter((lot) => lot.expiresAt !== null && !isExpired(lot, now) && lot.remaining > 0n)
    .sort(debitOrder)
    .slice(0, limits.expiringLotsListedMax)
    .map((lot) => ({
      lotId: lot.id,
      origin: lot.origin as CreditOrigin,
      amount: lot.remaining,
      expiresAt: lot.expiresAt,
      createdAt: lot.createdAt,
    }));
}

/** A wallet from its lots: expired, unreserved remainders no longer count in any figure. */
export function liveWallet(
  base: Pick<WalletView, 'userId' | 'assetCode' | 'lastSequence' | 'updatedAt'>,
  balance: bigint,
  held: bigint,
  lots: Lot[],
  reserved: ReadonlyMap<bigint, bigint>,
  frozen: boolean,
  now: Date,
): WalletView {
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

/** A locked wallet as the API shows it after a decision. */
export function bookWallet(book: Book, ref: WalletRef): WalletView {
  const wallet = book.find(ref);
  if (!wallet)
    throw new Error(`invariant: wallet ${ref.userId}/${ref.assetCode} is not in the book`);
  const base = {
    userId: wallet.userId,
    assetCode: wallet.assetCode,
    lastSequence: wallet.lastSequence,
    updatedAt: wallet.updatedAt,
  };
  return liveWallet(
    base,
    wallet.balance,
    wallet.held,
    wallet.lots,
    wallet.reserved,
    book.frozen(ref),
    book.now,
  );
}

/** The answer of an operation that posted one transaction on `wallet`: it and the wallet after it. */
export function answerOf(wallet: WalletRef) {
  return ([transaction]: Transaction[], _applied: unknown, book: Book): MovementAnswer => ({
    transaction: transaction!,
    wallet: bookWallet(book, wallet),
    replayed: false,
  });
}
