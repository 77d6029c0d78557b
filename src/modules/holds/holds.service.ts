import type { PrismaClient } from '../../../generated/prisma/client';
import { assertCanMoveMoney, assertOwnsOrAdmin, canReadUser } from '../../shared/auth/authorize';
import { clientIdOf, type Principal } from '../../shared/auth/principal';
import type { TxClient } from '../../shared/db/prisma';
import { ErrorCode, badUserInput, notFound } from '../../shared/errors';
import { hashRequest, validateIdempotencyKey } from '../../shared/idempotency';
import { limits } from '../../shared/limits';
import { logger } from '../../shared/logger';
import { requirePositiveAmount } from '../../shared/money';
import { parseEntityId, validateOptionalText, validateUserId } from '../../shared/validation';
import type { AssetService } from '../assets/asset.service';
import { AccountKind, EntryDirection, TransactionKind } from '../ledger/ledger.types';
import type { MoneyEngine } from '../money/money.engine';
import type { LotAmount } from '../money/lots';
import type { MoneyOperation, WalletRef } from '../money/money.types';
import {
  answerOf,
  bookWallet,
  userSystemPosting,
  type WalletService,
} from '../wallet/wallet.service';
import type { TransferPayload } from '../wallet/wallet.types';
import { holdStore, type LockedHold } from './holds.store';
import {
  HoldStatus,
  type CaptureHoldInput,
  type Hold,
  type HoldInput,
  type HoldPayload,
} from './holds.types';

const operations = { hold: 'hold', capture: 'captureHold', release: 'releaseHold' } as const;

/**
 * Holds, as rules on the money engine: reserving funds (available drops, balance does not), then
 * capturing part or all of them as a CAPTURE transaction, releasing them, or letting them expire.
 * Every decision is taken under the wallet's row lock, like a spend, so the sum of active holds
 * can never exceed the balance. A decision about an existing hold locks the wallet first and the
 * hold second (`load`), always in that order, so two decisions never deadlock.
 *
 * A hold belongs to the client that placed it: another server client gets FORBIDDEN for capture
 * or release; admins may act on any hold.
 */
/** Query.hold's rule, shared with Query.node: a player its user's holds, a server its own. */
export function canReadHold(principal: Principal, hold: Hold): boolean {
  if (!canReadUser(principal, hold.userId)) return false;
  return principal.role !== 'server' || clientIdOf(principal) === hold.clientId;
}

export class HoldService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly assets: AssetService,
    private readonly wallet: WalletService,
    private readonly engine: MoneyEngine,
  ) {}

  /**
   * Null for an unknown hold, for another user's hold when a player asks, and for another
   * client's hold when a server asks (ids are sequential: FORBIDDEN would tell which exist).
   */
  async hold(principal: Principal, id: string): Promise<Hold | null> {
    const holdId = parseHoldId(id, 'id');
    const [hold] = await holdStore.findHoldsByIds(this.prisma, [holdId]);
    return hold && canReadHold(principal, hold) ? hold : null;
  }

  /**
   * Reserves funds. Errors: FORBIDDEN, BAD_USER_INPUT, NOT_FOUND, INSUFFICIENT_FUNDS,
   * IDEMPOTENCY_KEY_REUSED, SERVICE_UNAVAILABLE.
   */
  async place(principal: Principal, input: HoldInput): Promise<HoldPayload> {
    assertCanMoveMoney(principal);
    const userId = validateUserId(input.userId);
    const idempotencyKey = validateIdempotencyKey(input.idempotencyKey);
    const amount = requirePositiveAmount(input.amount);
    const reference = validateOptionalText(input.reference, 'reference', limits.referenceLengthMax);
    const requestedExpiry = input.expiresAt ?? null;
    if (requestedExpiry && requestedExpiry.getTime() - Date.now() > limits.holdExpiryHorizonMaxMs) {
      throw badUserInput(
        `expiresAt must be at most ${limits.holdExpiryHorizonMaxMs / 3_600_000} hours away.`,
        'expiresAt',
      );
    }
    const { asset } = await this.assets.require(input.asset);
    const wallet: WalletRef = { userId, assetCode: asset.code };
    const op: MoneyOperation<
      HoldPayload,
      undefined,
      { expiresAt: Date; reservations: LotAmount[] },
      Hold
    > = {
      name: operations.hold,
      // expiresAt as sent: a retry without one must match the first request, even though the
      // default expiry computed for each would differ.
      requestHash: hashRequest(operations.hold, {
        userId,
        asset: asset.code,
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
        if (draft.frozen(wallet)) return { kind: 'refuse', code: ErrorCode.WALLET_FROZEN };
        // A wallet that never received anything has nothing to hold.
        if (draft.available(wallet) < amount)
          return { kind: 'refuse', code: ErrorCode.INSUFFICIENT_FUNDS };
        // The hold reserves lots in the debit order; reserved amounts do not expire while it is ACTIVE.
        const reservations = draft.reserve(wallet, amount);
        return {
          kind: 'accept',
          effect: {
            expiresAt: requestedExpiry ?? new Date(now + limits.holdLifetimeDefaultMs),
            reservations,
          },
        };
      },
      apply: (tx, effect, _posted, book, outcome) =>
        holdStore.insertHold(tx, outcome, {
          clientId: clientIdOf(principal),
          idempotencyKey,
          walletId: book.find(wallet)!.id,
          userId,
          assetCode: asset.code,
          amount,
          reference,
          expiresAt: effect!.expiresAt,
          reservations: effect!.reservations,
        }),
      answer: (_posted, hold, book) => ({
        hold,
        wallet: bookWallet(book, wallet),
        replayed: false,
      }),
      replay: ({ holdId }) => this.replayHold(holdId),
    };
    return this.engine.run(principal, idempotencyKey, op);
  }

  /**
   * Captures all of an active hold, or part of it (the rest is released by the same decision), as
   * a CAPTURE transaction from the user to revenue. Errors: FORBIDDEN (not the hold's client),
   * BAD_USER_INPUT, NOT_FOUND, HOLD_NOT_ACTIVE, IDEMPOTENCY_KEY_REUSED, SERVICE_UNAVAILABLE.
   */
  async capture(principal: Principal, input: CaptureHoldInput): Promise<TransferPayload> {
    assertCanMoveMoney(principal);
    const holdId = parseHoldId(input.holdId, 'holdId');
    const idempotencyKey = validateIdempotencyKey(input.idempotencyKey);
    const amount =
      input.amount === undefined || input.amount === null
        ? null
        : requirePositiveAmount(input.amount);
    const hold = await this.requireHold(principal, holdId);
    // A hold's amount never changes, so this is malformed input whatever the hold's state.
    if (amount !== null && amount > hold.amount)
      throw badUserInput("amount must not exceed the hold's amount.", 'amount');
    const wallet: WalletRef = { userId: hold.userId, assetCode: hold.assetCode };
    const op: MoneyOperation<TransferPayload, LockedHold | undefined> = {
      name: operations.capture,
      requestHash: hashRequest(operations.capture, { holdId, amount }),
      wallets: [wallet],
      creates: [],
      load: (tx, book) => this.lockActiveHold(tx, holdId, book.find(wallet)?.id),
      decide: (draft, current) => {
        if (!current) return { kind: 'refuse', code: ErrorCode.HOLD_NOT_ACTIVE };
        if (draft.frozen(wallet)) return { kind: 'refuse', code: ErrorCode.WALLET_FROZEN };
        // The hold is active and unexpired, so `held` includes it and the balance covers it: a
        // capture can never take the balance below zero nor below the wallet's other holds. It
        // consumes the lots the hold reserved (a hold from before lots draws in debit order).
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
            {
              reference: hold.reference,
              metadata: null,
              holdId,
            },
            lots,
          ),
        );
        if (lots) draft.release(wallet, current.amount, current.reservedLots);
        return { kind: 'accept' };
      },
      apply: async (tx) => {
        await holdStore.markCaptured(tx, holdId);
        return undefined;
      },
      answer: answerOf(wallet),
      replay: ({ transactionId }) => this.wallet.replayTransaction(transactionId),
    };
    return this.engine.run(principal, idempotencyKey, op);
  }

  /**
   * Gives an active hold's funds back to available; no ledger entry, the balance never moved.
   * Errors: as capture.
   */
  async release(
    principal: Principal,
    holdIdInput: string,
    idempotencyKeyInput: string,
  ): Promise<HoldPayload> {
    assertCanMoveMoney(principal);
    const holdId = parseHoldId(holdIdInput, 'holdId');
    const idempotencyKey = validateIdempotencyKey(idempotencyKeyInput);
    const hold = await this.requireHold(principal, holdId);
    const wallet: WalletRef = { userId: hold.userId, assetCode: hold.assetCode };
    const op: MoneyOperation<HoldPayload, LockedHold | undefined, undefined, Hold> = {
      name: operations.release,
      requestHash: hashRequest(operations.release, { holdId }),
      wallets: [wallet],
      creates: [],
      load: (tx, book) => this.lockActiveHold(tx, holdId, book.find(wallet)?.id),
      decide: (draft, current) => {
        if (!current) return { kind: 'refuse', code: ErrorCode.HOLD_NOT_ACTIVE };
        // Released amounts whose lot expired meanwhile expire at once (they stop being reserved).
        draft.release(wallet, current.amount, current.reservedLots);
        return { kind: 'accept' };
      },
      apply: (tx, _effect, _posted, _book, outcome) => holdStore.release(tx, outcome, holdId),
      answer: (_posted, released, book) => ({
        hold: released,
        wallet: bookWallet(book, wallet),
        replayed: false,
      }),
      replay: ({ holdId: recorded }) => this.replayHold(recorded),
    };
    return this.engine.run(principal, idempotencyKey, op);
  }

  /**
   * Records every hold past its expiry as EXPIRED, in batches, and returns how many it marked.
   * Reads already ignore such holds; this keeps the stored status truthful and the active-holds
   * index small. Safe to run from several replicas at once (see holdStore.expireDue).
   */
  async sweepExpiredHolds(): Promise<number> {
    let total = 0;
    for (let batch = 0; batch < limits.holdSweepBatchesPerPassMax; batch += 1) {
      const marked = await holdStore.expireDue(this.prisma, limits.holdSweepBatchSize);
      total += marked;
      if (marked < limits.holdSweepBatchSize) break;
    }
    if (total > 0) logger.debug({ expired: total }, 'expired holds swept');
    return total;
  }

  /** Read before any decision, unlocked: the hold names the wallet whose lock the decision takes. */
  private async requireHold(principal: Principal, holdId: bigint): Promise<Hold> {
    const [hold] = await holdStore.findHoldsByIds(this.prisma, [holdId]);
    if (!hold) throw notFound(`Unknown hold ${holdId}.`);
    assertOwnsOrAdmin(
      principal,
      hold.clientId,
      'Only the client that placed a hold (or an admin) may capture or release it.',
    );
    return hold;
  }

  /**
   * Locks the hold (after its wallet) and returns it if it still reserves funds. A hold past its
   * expiry that the sweep has not reached yet is not active: its funds are already available.
   */
  private async lockActiveHold(
    tx: TxClient,
    holdId: bigint,
    walletId: bigint | undefined,
  ): Promise<LockedHold | undefined> {
    const current = await holdStore.lockHold(tx, holdId);
    if (!current || current.walletId !== walletId)
      throw new Error(`invariant: hold ${holdId} does not belong to wallet ${walletId}`);
    return current.status === HoldStatus.ACTIVE && !current.expired ? current : undefined;
  }

  /** A replay answers with the hold and the wallet as they are now, like a replayed transfer. */
  private async replayHold(holdId: bigint | null): Promise<HoldPayload> {
    if (holdId === null) throw new Error('invariant: a succeeded hold key without its hold');
    const [hold] = await holdStore.findHoldsByIds(this.prisma, [holdId]);
    if (!hold) throw new Error(`invariant: recorded hold ${holdId} is missing`);
    return { hold, wallet: await this.wallet.current(hold.userId, hold.assetCode), replayed: true };
  }
}

function parseHoldId(id: string, field: string): bigint {
  const holdId = parseEntityId(id, field);
  if (holdId === undefined)
    throw badUserInput(`${field} must be a hold id (a positive decimal integer).`, field);
  return holdId;
}
