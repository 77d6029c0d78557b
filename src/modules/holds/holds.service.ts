import type { PrismaClient } from '../../../generated/prisma/client';
import { assertCanMoveMoney, canReadUser } from '../../shared/auth/authorize';
import type { Principal } from '../../shared/context';
import type { TxClient } from '../../shared/db/prisma';
import { runTransaction, type TransactionOptions } from '../../shared/db/transaction';
import { AppError, ErrorCode, badUserInput, notFound, refusalError } from '../../shared/errors';
import { hashRequest, priorFromRow, replayPrior, validateIdempotencyKey, type IdempotencyScope, type PriorOutcome } from '../../shared/idempotency';
import { limits } from '../../shared/limits';
import { logger } from '../../shared/logger';
import { requirePositiveAmount } from '../../shared/money';
import { parseEntityId, validateOptionalText, validateUserId } from '../../shared/validation';
import type { AssetService } from '../assets/asset.service';
import { AccountKind, EntryDirection, TransactionKind } from '../ledger/ledger.types';
import { lockedWallet, toWallet, type Decision, type WalletService } from '../wallet/wallet.service';
import { walletStore, type WalletRow } from '../wallet/wallet.store';
import type { TransferPayload, Wallet } from '../wallet/wallet.types';
import { holdStore, type LockedHold } from './holds.store';
import { HoldStatus, type CaptureHoldInput, type Hold, type HoldInput, type HoldPayload } from './holds.types';

/** What a hold or release decided inside its transaction; refusals are thrown after the commit. */
type HoldDecision =
  | { kind: 'done'; hold: Hold; wallet: Wallet }
  | { kind: 'prior'; prior: PriorOutcome }
  | { kind: 'refused'; code: string };

const operations = { hold: 'hold', capture: 'captureHold', release: 'releaseHold' } as const;

/**
 * Holds: reserving funds (available drops, balance does not), then capturing part or all of them
 * as a CAPTURE transaction, releasing them, or letting them expire. Every decision is taken under
 * the wallet's row lock, like a spend, so holds, spends and captures on one wallet are serialised
 * and the sum of active holds can never exceed the balance. A decision about an existing hold
 * locks the wallet first and the hold second, always in that order, so two decisions never
 * deadlock.
 */
export class HoldService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly assets: AssetService,
    private readonly wallet: WalletService,
    private readonly txOptions: TransactionOptions,
  ) {}

  /** Null for an unknown hold, and for another user's hold when a player asks (ids are sequential). */
  async hold(principal: Principal, id: string): Promise<Hold | null> {
    const holdId = parseHoldId(id, 'id');
    const [hold] = await holdStore.findHoldsByIds(this.prisma, [holdId]);
    if (!hold || !canReadUser(principal, hold.userId)) return null;
    return hold;
  }

  async place(principal: Principal, input: HoldInput): Promise<HoldPayload> {
    assertCanMoveMoney(principal);
    const userId = validateUserId(input.userId);
    const idempotencyKey = validateIdempotencyKey(input.idempotencyKey);
    const amount = requirePositiveAmount(input.amount);
    const reference = validateOptionalText(input.reference, 'reference', limits.referenceLengthMax);
    const requestedExpiry = input.expiresAt ?? null;
    if (requestedExpiry && requestedExpiry.getTime() - Date.now() > limits.holdExpiryHorizonMaxMs) {
      throw badUserInput(`expiresAt must be at most ${limits.holdExpiryHorizonMaxMs / 3_600_000} hours away.`, 'expiresAt');
    }
    const { asset } = await this.assets.require(input.asset);
    // The fingerprint uses expiresAt as sent: a retry without one must match the first request,
    // even though the default expiry computed for each would differ.
    const scope = this.scope(principal, idempotencyKey, operations.hold, { userId, asset: asset.code, amount, expiresAt: requestedExpiry, reference });

    const decision = await runTransaction(this.prisma, this.txOptions, async (tx): Promise<HoldDecision> => {
      const locked = await walletStore.lockWalletAndReadKey(tx, userId, asset.code, scope.clientId, idempotencyKey);
      const prior = priorFromRow(locked);
      if (prior) return { kind: 'prior', prior };
      // Judged after the key lookup, so that a retry of a hold that has since expired replays it
      // instead of being refused as input in the past.
      const now = Date.now();
      if (requestedExpiry && requestedExpiry.getTime() <= now) throw badUserInput('expiresAt must be in the future.', 'expiresAt');
      const expiresAt = requestedExpiry ?? new Date(now + limits.holdLifetimeDefaultMs);
      // A wallet that never received anything has nothing to hold.
      if (locked.id === null) return this.refuse(tx, scope, ErrorCode.INSUFFICIENT_FUNDS);
      const wallet = lockedWallet(locked);
      if (wallet.balance - wallet.held < amount) return this.refuse(tx, scope, ErrorCode.INSUFFICIENT_FUNDS);
      const hold = await holdStore.insertHold(tx, {
        clientId: scope.clientId, idempotencyKey, operation: scope.operation, requestHash: scope.requestHash,
        walletId: wallet.id, userId, assetCode: asset.code, amount, reference, expiresAt,
      });
      return { kind: 'done', hold, wallet: toWallet({ ...wallet, held: wallet.held + amount }) };
    });
    return this.settle(scope, decision);
  }

  /**
   * Captures all of an active hold, or part of it (the rest is released by the same decision), as
   * a CAPTURE transaction from the user to revenue, posted through the same path as a spend.
   */
  async capture(principal: Principal, input: CaptureHoldInput): Promise<TransferPayload> {
    assertCanMoveMoney(principal);
    const holdId = parseHoldId(input.holdId, 'holdId');
    const idempotencyKey = validateIdempotencyKey(input.idempotencyKey);
    const amount = input.amount === undefined || input.amount === null ? null : requirePositiveAmount(input.amount);
    const hold = await this.requireHold(holdId);
    // A hold's amount never changes, so this is malformed input whatever the hold's state.
    if (amount !== null && amount > hold.amount) throw badUserInput('amount must not exceed the hold\'s amount.', 'amount');
    const { accounts } = await this.assets.require(hold.assetCode);
    const scope = this.scope(principal, idempotencyKey, operations.capture, { holdId, amount });

    const decision = await runTransaction(this.prisma, this.txOptions, async (tx): Promise<Decision> => {
      const locked = await walletStore.lockWalletAndReadKey(tx, hold.userId, hold.assetCode, scope.clientId, idempotencyKey);
      const prior = priorFromRow(locked);
      if (prior) return { kind: 'prior', prior };
      const wallet = lockedWallet(locked);
      const current = await this.lockActiveHold(tx, holdId, wallet);
      if (!current) return this.wallet.refuse(tx, scope, ErrorCode.HOLD_NOT_ACTIVE);
      const captured = amount ?? current.amount;
      // The hold is active and unexpired, so `held` includes it and the balance covers it: a
      // capture can never take the balance below zero nor below the wallet's other holds.
      if (wallet.held < current.amount || wallet.balance < wallet.held || captured > current.amount) {
        throw new Error(`invariant: hold ${holdId} is not covered by its wallet's balance`);
      }
      const posted = await this.wallet.post(tx, {
        kind: TransactionKind.CAPTURE, clientId: scope.clientId, idempotencyKey, operation: scope.operation, requestHash: scope.requestHash,
        walletId: wallet.id, userId: hold.userId, assetCode: hold.assetCode, balanceBefore: wallet.balance, sequenceBefore: wallet.last_sequence,
        userDirection: EntryDirection.DEBIT, amount: captured, systemAccountId: accounts[AccountKind.REVENUE], systemAccountKind: AccountKind.REVENUE,
        reference: hold.reference, metadata: null, reversesId: null, holdId,
      }, { ...wallet, held: wallet.held - current.amount });
      await holdStore.markCaptured(tx, holdId);
      return posted;
    });
    return this.wallet.settle(scope, decision);
  }

  /** Gives an active hold's funds back to available; no ledger entry, the balance never moved. */
  async release(principal: Principal, holdIdInput: string, idempotencyKeyInput: string): Promise<HoldPayload> {
    assertCanMoveMoney(principal);
    const holdId = parseHoldId(holdIdInput, 'holdId');
    const idempotencyKey = validateIdempotencyKey(idempotencyKeyInput);
    const hold = await this.requireHold(holdId);
    const scope = this.scope(principal, idempotencyKey, operations.release, { holdId });

    const decision = await runTransaction(this.prisma, this.txOptions, async (tx): Promise<HoldDecision> => {
      const locked = await walletStore.lockWalletAndReadKey(tx, hold.userId, hold.assetCode, scope.clientId, idempotencyKey);
      const prior = priorFromRow(locked);
      if (prior) return { kind: 'prior', prior };
      const wallet = lockedWallet(locked);
      const current = await this.lockActiveHold(tx, holdId, wallet);
      if (!current) return this.refuse(tx, scope, ErrorCode.HOLD_NOT_ACTIVE);
      const released = await holdStore.release(tx, { id: holdId, clientId: scope.clientId, idempotencyKey, operation: scope.operation, requestHash: scope.requestHash });
      return { kind: 'done', hold: released, wallet: toWallet({ ...wallet, held: wallet.held - current.amount }) };
    });
    return this.settle(scope, decision);
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

  private scope(principal: Principal, idempotencyKey: string, operation: string, fields: Record<string, unknown>): IdempotencyScope {
    return { clientId: principal.subject, idempotencyKey, operation, requestHash: hashRequest(operation, fields) };
  }

  /** Read before any decision, unlocked: the hold names the wallet whose lock the decision takes. */
  private async requireHold(holdId: bigint): Promise<Hold> {
    const [hold] = await holdStore.findHoldsByIds(this.prisma, [holdId]);
    if (!hold) throw notFound(`Unknown hold ${holdId}.`);
    return hold;
  }

  /**
   * Locks the hold (after its wallet) and returns it if it still reserves funds. A hold past its
   * expiry that the sweep has not reached yet is not active: its funds are already available.
   */
  private async lockActiveHold(tx: TxClient, holdId: bigint, wallet: WalletRow): Promise<LockedHold | undefined> {
    const current = await holdStore.lockHold(tx, holdId);
    if (!current || current.walletId !== wallet.id) throw new Error(`invariant: hold ${holdId} does not belong to wallet ${wallet.id}`);
    return current.status === HoldStatus.ACTIVE && !current.expired ? current : undefined;
  }

  private async refuse(tx: TxClient, scope: IdempotencyScope, code: string): Promise<HoldDecision> {
    await this.wallet.refuse(tx, scope, code);
    return { kind: 'refused', code };
  }

  /** The answer of a committed hold or release: the result, the recorded refusal, or a replay. */
  private async settle(scope: IdempotencyScope, decision: HoldDecision): Promise<HoldPayload> {
    if (decision.kind === 'done') return { hold: decision.hold, wallet: decision.wallet, replayed: false };
    if (decision.kind === 'refused') throw refusalError(decision.code);
    const { holdId } = replayPrior(scope, decision.prior);
    if (holdId === null) throw new AppError(ErrorCode.IDEMPOTENCY_KEY_REUSED, 'This idempotency key was already used for a different request.');
    // A replay answers with the hold and the wallet as they are now, like a replayed transfer.
    const [hold] = await holdStore.findHoldsByIds(this.prisma, [holdId]);
    if (!hold) throw new Error(`invariant: recorded hold ${holdId} is missing`);
    const row = await walletStore.findWallet(this.prisma, hold.userId, hold.assetCode);
    if (!row) throw new Error(`invariant: wallet of hold ${holdId} is missing`);
    return { hold, wallet: toWallet(row), replayed: true };
  }
}

function parseHoldId(id: string, field: string): bigint {
  const holdId = parseEntityId(id, field);
  if (holdId === undefined) throw badUserInput(`${field} must be a hold id (a positive decimal integer).`, field);
  return holdId;
}
