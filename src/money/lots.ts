/**
 * Credit lots, as pure functions. Every credit to a user wallet is a lot with an origin (PAID for
 * topups, FREE otherwise) and an optional expiry; every debit draws from lots in the contract's
 * fixed order: lots with an expiry, soonest first; then FREE lots, oldest first; then PAID lots,
 * oldest first. A lot past its expiry counts for nothing but what holds still reserve on it.
 */
import { CreditOrigin } from './enums';

/** A lot's origin as stored and drafted: CreditOrigin's values (the enum's members or their text). */
export type LotOrigin = `${CreditOrigin}`;

export interface Lot {
  id: bigint;
  origin: LotOrigin;
  /** What is left of the lot, reserved amounts included. */
  remaining: bigint;
  expiresAt: Date | null;
  createdAt: Date;
}

/** A lot as stored on its wallet row (wallets.lots): amounts as decimal strings, times as ISO. */
export interface StoredLot {
  id: string;
  origin: LotOrigin;
  remaining: string;
  expiresAt: string | null;
  createdAt: string;
}

export interface LotAmount {
  lotId: bigint;
  amount: bigint;
}

export const fromStored = (lot: StoredLot): Lot => ({
  id: BigInt(lot.id),
  origin: lot.origin,
  remaining: BigInt(lot.remaining),
  expiresAt: lot.expiresAt === null ? null : new Date(lot.expiresAt),
  createdAt: new Date(lot.createdAt),
});

export const toStored = (lot: Lot): StoredLot => ({
  id: lot.id.toString(),
  origin: lot.origin,
  remaining: lot.remaining.toString(),
  expiresAt: lot.expiresAt?.toISOString() ?? null,
  createdAt: lot.createdAt.toISOString(),
});

export const isExpired = (lot: Pick<Lot, 'expiresAt'>, now: Date): boolean =>
  lot.expiresAt !== null && lot.expiresAt.getTime() <= now.getTime();

/** The contract's debit order. */
export function debitOrder(a: Lot, b: Lot): number {
  if (a.expiresAt && b.expiresAt)
    return a.expiresAt.getTime() - b.expiresAt.getTime() || compareAge(a, b);
  if (a.expiresAt) return -1;
  if (b.expiresAt) return 1;
  if (a.origin !== b.origin) return a.origin === CreditOrigin.FREE ? -1 : 1;
  return compareAge(a, b);
}

function compareAge(a: Lot, b: Lot): number {
  return a.createdAt.getTime() - b.createdAt.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}

/** What of each lot is free to draw now: not reserved, and not expired. */
export function drawable(lot: Lot, reserved: ReadonlyMap<bigint, bigint>, now: Date): bigint {
  if (isExpired(lot, now)) return 0n;
  const free = lot.remaining - (reserved.get(lot.id) ?? 0n);
  return free > 0n ? free : 0n;
}

/** What of the lots has expired and is not reserved: it no longer counts, and the sweep takes it. */
export function expiredUnreserved(
  lots: readonly Lot[],
  reserved: ReadonlyMap<bigint, bigint>,
  now: Date,
): bigint {
  let total = 0n;
  for (const lot of lots) {
    if (!isExpired(lot, now)) continue;
    const free = lot.remaining - (reserved.get(lot.id) ?? 0n);
    if (free > 0n) total += free;
  }
  return total;
}

/**
 * Allocates `amount` from the lots in debit order (the `first` lot ahead of all others, for a
 * credit's own reversal), from what is drawable. Returns the draws; their sum is less than
 * `amount` only when the lots do not hold enough.
 */
export function allocate(
  lots: readonly Lot[],
  reserved: ReadonlyMap<bigint, bigint>,
  amount: bigint,
  now: Date,
  first?: bigint,
): LotAmount[] {
  const ordered = [...lots].sort(debitOrder);
  if (first !== undefined) {
    const index = ordered.findIndex((lot) => lot.id === first);
    if (index > 0) ordered.unshift(...ordered.splice(index, 1));
  }
  const draws: LotAmount[] = [];
  let left = amount;
  for (const lot of ordered) {
    if (left === 0n) break;
    const take = drawable(lot, reserved, now) < left ? drawable(lot, reserved, now) : left;
    if (take > 0n) {
      draws.push({ lotId: lot.id, amount: take });
      left -= take;
    }
  }
  return draws;
}

/** The PAID part of an amount drawn from (or added to) lots. */
export function paidPart(lots: readonly Lot[], amounts: readonly LotAmount[]): bigint {
  const paid = new Set(lots.filter((lot) => lot.origin === CreditOrigin.PAID).map((lot) => lot.id));
  return amounts.reduce((sum, a) => (paid.has(a.lotId) ? sum + a.amount : sum), 0n);
}

/** A wallet's split as reads show it: paid and free of the live, unexpired lots, reserved amounts included. */
export function split(
  lots: readonly Lot[],
  reserved: ReadonlyMap<bigint, bigint>,
  now: Date,
): { paid: bigint; free: bigint } {
  let paid = 0n;
  let free = 0n;
  for (const lot of lots) {
    // An expired lot still counts what holds reserve on it (reserved amounts do not expire).
    const counted = isExpired(lot, now) ? (reserved.get(lot.id) ?? 0n) : lot.remaining;
    const value = counted < lot.remaining ? counted : lot.remaining;
    if (lot.origin === CreditOrigin.PAID) paid += value;
    else free += value;
  }
  return { paid, free };
}

/** The soonest expiry among live lots, the wallet's hint for reads and for the sweep. */
export function nextExpiry(lots: readonly Lot[]): Date | null {
  let soonest: Date | null = null;
  for (const lot of lots)
    if (lot.expiresAt && lot.remaining > 0n && (!soonest || lot.expiresAt < soonest))
      soonest = lot.expiresAt;
  return soonest;
}
