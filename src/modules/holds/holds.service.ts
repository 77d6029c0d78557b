import type { PrismaClient } from '../../../generated/prisma/client';
import type { MoneyEngine } from '../../money/engine';
import { validateMoneyRequest } from '../../money/request';
import type { WalletRef } from '../../money/types';
import { assertOwnsOrAdmin, canReadUser } from '../../shared/auth/authorize';
import { clientIdOf, type Principal } from '../../shared/auth/principal';
import type { TxClient } from '../../shared/db/prisma';
import { badUserInput, notFound } from '../../shared/errors';
import { limits } from '../../shared/limits';
import { logger } from '../../shared/logger';
import { requirePositiveAmount } from '../../shared/money';
import { parseEntityId, validateUserId } from '../../shared/validation';
import type { AssetService } from '../assets/asset.service';
import type { WalletService } from '../wallet/wallet.service';
import type { MovementPayload } from '../wallet/wallet.types';
import { captureRule, placeRule, releaseRule } from './holds.rules';
import { holdStore, type LockedHold } from './holds.store';
import {
  HoldStatus,
  type CaptureHoldInput,
  type Hold,
  type HoldInput,
  type HoldPayload,
} from './holds.types';

/**
 * Holds (holds.rules.ts), run on the money engine: reserving funds (available drops, balance does
 * not), then capturing part or all of them as a CAPTURE transaction, releasing them, or letting
 * them expire.
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
   * WALLET_FROZEN, IDEMPOTENCY_KEY_REUSED, SERVICE_UNAVAILABLE.
   */
  async place(principal: Principal, input: HoldInput): Promise<HoldPayload> {
    const request = validateMoneyRequest(principal, input, () => ({
      userId: validateUserId(input.userId),
      amount: requirePositiveAmount(input.amount),
      expiresAt: validateHoldExpiry(input.expiresAt ?? null),
    }));
    const { asset } = await this.assets.require(input.asset);
    const wallet: WalletRef = { userId: request.userId, assetCode: asset.code };
    return this.engine.run(principal, request.idempotencyKey, {
      ...placeRule({ ...request, wallet }),
      apply: (tx, effect, _posted, book, outcome) =>
        holdStore.insertHold(tx, outcome, {
          clientId: clientIdOf(principal),
          idempotencyKey: request.idempotencyKey,
          walletId: book.find(wallet)!.id,
          userId: wallet.userId,
          assetCode: asset.code,
          amount: request.amount,
          reference: request.reference,
          expiresAt: effect!.expiresAt,
          reservations: effect!.reservations,
        }),
      replay: ({ holdId }) => this.replayHold(holdId),
    });
  }

  /**
   * Captures all of an active hold, or part of it, as a CAPTURE transaction from the user to
   * revenue. Errors: FORBIDDEN (not the hold's client), BAD_USER_INPUT, NOT_FOUND, HOLD_NOT_ACTIVE,
   * WALLET_FROZEN, IDEMPOTENCY_KEY_REUSED, SERVICE_UNAVAILABLE.
   */
  async capture(principal: Principal, input: CaptureHoldInput): Promise<MovementPayload> {
    const request = validateMoneyRequest(principal, input, () => ({
      holdId: parseHoldId(input.holdId, 'holdId'),
      amount:
        input.amount === undefined || input.amount === null
          ? null
          : requirePositiveAmount(input.amount),
    }));
    const { holdId, amount } = request;
    const hold = await this.requireHold(principal, holdId);
    // A hold's amount never changes, so this is malformed input whatever the hold's state.
    if (amount !== null && amount > hold.amount)
      throw badUserInput("amount must not exceed the hold's amount.", 'amount');
    return this.engine.run(principal, request.idempotencyKey, {
      ...captureRule({ hold, holdId, amount }),
      load: (tx, book) => this.lockActiveHold(tx, holdId, book.find(hold)?.id),
      apply: async (tx) => {
        await holdStore.markCaptured(tx, holdId);
        return undefined;
      },
      replay: ({ transactionId }) => this.wallet.replayTransaction(transactionId),
    });
  }

  /** Gives an active hold's funds back to available. Errors: as capture. */
  async release(
    principal: Principal,
    holdIdInput: string,
    idempotencyKeyInput: string,
  ): Promise<HoldPayload> {
    const request = validateMoneyRequest(
      principal,
      { idempotencyKey: idempotencyKeyInput },
      () => ({
        holdId: parseHoldId(holdIdInput, 'holdId'),
      }),
    );
    const { holdId } = request;
    const hold = await this.requireHold(principal, holdId);
    return this.engine.run(principal, request.idempotencyKey, {
      ...releaseRule(hold, holdId),
      load: (tx, book) => this.lockActiveHold(tx, holdId, book.find(hold)?.id),
      apply: (tx, _effect, _posted, _book, outcome) => holdStore.release(tx, outcome, holdId),
      replay: ({ holdId: recorded }) => this.replayHold(recorded),
    });
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

/** A requested expiry at most the horizon ahead (whether it is still ahead is judged at the decision). */
function validateHoldExpiry(expiresAt: Date | null): Date | null {
  if (expiresAt && expiresAt.getTime() - Date.now() > limits.holdExpiryHorizonMaxMs) {
    throw badUserInput(
      `expiresAt must be at most ${limits.holdExpiryHorizonMaxMs / 3_600_000} hours away.`,
      'expiresAt',
    );
  }
  return expiresAt;
}

function parseHoldId(id: string, field: string): bigint {
  const holdId = parseEntityId(id, field);
  if (holdId === undefined)
    throw badUserInput(`${field} must be a hold id (a positive decimal integer).`, field);
  return holdId;
}
