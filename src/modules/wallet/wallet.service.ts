import type { PrismaClient } from '../../../generated/prisma/client';
import type { MoneyEngine } from '../../money/engine';
import { fromStored } from '../../money/lots';
import { validateMoneyRequest } from '../../money/request';
import { validateLotExpiry, type PlainKind } from '../../money/rules';
import { sumReservations } from '../../money/store';
import { liveWallet } from '../../money/view';
import { assertCanReadUser } from '../../shared/auth/authorize';
import type { Principal } from '../../shared/auth/principal';
import { requirePositiveAmount } from '../../shared/money';
import { validateUserId } from '../../shared/validation';
import type { AssetService } from '../assets/asset.service';
import { ledgerStore } from '../ledger/ledger.store';
import { TransactionKind } from '../ledger/ledger.types';
import { plainRule } from './plain.rules';
import { walletStore, type WalletRow } from './wallet.store';
import {
  WalletStatus,
  type MovementPayload,
  type TransferInput,
  type Wallet,
} from './wallet.types';

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
 * Balances, and the three plain money movements (plain.rules.ts) run on the money engine.
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
  topup(principal: Principal, input: TransferInput): Promise<MovementPayload> {
    return this.move(principal, TransactionKind.TOPUP, input);
  }

  /** Bonus pool -> user. Errors: as topup. */
  bonus(principal: Principal, input: TransferInput): Promise<MovementPayload> {
    return this.move(principal, TransactionKind.BONUS, input);
  }

  /** User -> revenue. Errors: as topup, and INSUFFICIENT_FUNDS (recorded, replayed). */
  spend(principal: Principal, input: TransferInput): Promise<MovementPayload> {
    return this.move(principal, TransactionKind.SPEND, input);
  }

  private async move(
    principal: Principal,
    kind: PlainKind,
    input: TransferInput,
  ): Promise<MovementPayload> {
    // Every check that can refuse the request before a decision runs first: such refusals write
    // nothing and leave the key unused.
    const request = validateMoneyRequest(principal, input, () => ({
      userId: validateUserId(input.userId),
      amount: requirePositiveAmount(input.amount),
      expiresAt: validateLotExpiry(input.expiresAt, 'expiresAt'),
    }));
    const { asset } = await this.assets.require(input.asset);
    const rule = plainRule({
      kind,
      wallet: { userId: request.userId, assetCode: asset.code },
      ...request,
    });
    return this.engine.run(principal, request.idempotencyKey, {
      ...rule,
      replay: ({ transactionId }) => this.replayTransaction(transactionId),
    });
  }

  /** The original transaction and its user's wallet as it is now. */
  async replayTransaction(transactionId: bigint | null): Promise<MovementPayload> {
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
