import { AccountKind, EntryDirection, TransactionKind } from '../../money/enums';
import type { LotAmount } from '../../money/lots';
import { debitRefusal, userSystemPosting } from '../../money/rules';
import type { Rule, WalletRef } from '../../money/types';
import { answerOf, bookWallet, type MovementAnswer, type WalletView } from '../../money/view';
import { ErrorCode, badUserInput } from '../../shared/errors';
import { hashRequest } from '../../shared/idempotency';
import { limits } from '../../shared/limits';
import type { LockedHold } from './holds.store';
import type { Hold } from './holds.types';

export const holdOperations = {
  hold: 'hold',
  capture: 'captureHold',
  release: 'releaseHold',
} as const;

export interface HoldAnswer {
  hold: Hold;
  wallet: WalletView;
  replayed: boolean;
}

/** A validated hold request, its asset resolved. */
export interface PlaceRequest {
  wallet: WalletRef;
  amount: bigint;
  reference: string | null;
  /** As sent (null: the default lifetime, computed at the decision). */
  expiresAt: Date | null;
}

/** What an accepted hold inserts: its expiry and the lots it reserved. */
export interface PlacedHold {
  expiresAt: Date;
  reservations: LotAmount[];
}

/**
 * Reserving funds: available drops, the balance does not. Taken under the wallet's row lock like a
 * spend, so active holds never exceed the balance; the hold reserves lots in the debit order, and
 * reserved amounts do not expire while it is ACTIVE. The service inserts the hold row (`apply`).
 */
export function placeRule(request: PlaceRequest): Rule<HoldAnswer, undefined, PlacedHold, Hold> {
  const { wallet, amount, reference, expiresAt: requestedExpiry } = request;
  return {
    name: holdOperations.hold,
    // expiresAt as sent: a retry without one must match the first request, even though the
    // default expiry computed for each would differ.
    requestHash: hashRequest(holdOperations.hold, {
      userId: wallet.userId,
      asset: wallet.assetCode,
      amount,
      expiresAt: requestedExpiry,
      reference,
    }),
    wallets: [wallet],
    creates: [],
    decide: (draft) => {
      // Judged after the key lookup, so that a retry of a hold that has since expired replays
      // it instead of being refused as input in the past.
      const now = Date.now();
      if (requestedExpiry && requestedExpiry.getTime() <= now)
        throw badUserInput('expiresAt must be in the future.', 'expiresAt');
      // A wallet that never received anything has nothing to hold.
      const refused = debitRefusal(draft, wallet, amount);
      if (refused) return refused;
      const reservations = draft.reserve(wallet, amount);
      return {
        kind: 'accept',
        effect: {
          expiresAt: requestedExpiry ?? new Date(now + limits.holdLifetimeDefaultMs),
          reservations,
        },
      };
    },
    answer: (_posted, hold, book) => ({ hold, wallet: bookWallet(book, wallet), replayed: false }),
  };
}

/** A validated capture: the hold as read before the decision (it names the wallet to lock). */
export interface CaptureRequest {
  hold: Pick<Hold, 'userId' | 'assetCode' | 'reference'>;
  holdId: bigint;
  /** Null: the whole hold. */
  amount: bigint | null;
}

/**
 * Captures all of an active hold, or part of it (the rest is released by the same decision), as a
 * CAPTURE from the user to revenue. The hold is active and unexpired, so `held` includes it and
 * the balance covers it: a capture never takes the balance below zero nor below the wallet's other
 * holds. It consumes the lots the hold reserved (a hold from before lots draws in debit order).
 * `loaded` is the hold locked under the wallet's lock, undefined when no longer active.
 */
export function captureRule(request: CaptureRequest): Rule<MovementAnswer, LockedHold | undefined> {
  const { hold, holdId, amount } = request;
  const wallet: WalletRef = { userId: hold.userId, assetCode: hold.assetCode };
  return {
    name: holdOperations.capture,
    requestHash: hashRequest(holdOperations.capture, { holdId, amount }),
    wallets: [wallet],
    creates: [],
    decide: (draft, current) => {
      if (!current) return { kind: 'refuse', code: ErrorCode.HOLD_NOT_ACTIVE };
      if (draft.frozen(wallet)) return { kind: 'refuse', code: ErrorCode.WALLET_FROZEN };
      const captured = amount ?? current.amount;
      const reservedTotal = current.reservedLots.reduce((sum, r) => sum + r.amount, 0n);
      const lots =
        reservedTotal >= captured
          ? { kind: 'reserved' as const, amounts: current.reservedLots }
          : undefined;
      if (!lots) draft.release(wallet, current.amount, current.reservedLots);
      draft.post(
        userSystemPosting(
          TransactionKind.CAPTURE,
          wallet,
          EntryDirection.DEBIT,
          AccountKind.REVENUE,
          captured,
          { reference: hold.reference, metadata: null, holdId },
          lots,
        ),
      );
      if (lots) draft.release(wallet, current.amount, current.reservedLots);
      return { kind: 'accept' };
    },
    answer: answerOf(wallet),
  };
}

/**
 * Gives an active hold's funds back to available; no ledger entry, the balance never moved.
 * Released amounts whose lot expired meanwhile expire at once (they stop being reserved).
 */
export function releaseRule(
  hold: Pick<Hold, 'userId' | 'assetCode'>,
  holdId: bigint,
): Rule<HoldAnswer, LockedHold | undefined, undefined, Hold> {
  const wallet: WalletRef = { userId: hold.userId, assetCode: hold.assetCode };
  return {
    name: holdOperations.release,
    requestHash: hashRequest(holdOperations.release, { holdId }),
    wallets: [wallet],
    creates: [],
    decide: (draft, current) => {
      if (!current) return { kind: 'refuse', code: ErrorCode.HOLD_NOT_ACTIVE };
      draft.release(wallet, current.amount, current.reservedLots);
      return { kind: 'accept' };
    },
    answer: (_posted, released, book) => ({
      hold: released,
      wallet: bookWallet(book, wallet),
      replayed: false,
    }),
  };
}
