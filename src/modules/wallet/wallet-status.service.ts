import type { PrismaClient } from '../../../generated/prisma/client';
import { assertAdmin } from '../../shared/auth/authorize';
import { clientIdOf, type Principal } from '../../shared/auth/principal';
import { runTransaction, type TransactionOptions } from '../../shared/db/transaction';
import { limits } from '../../shared/limits';
import { logger } from '../../shared/logger';
import { validateOptionalText, validateUserId } from '../../shared/validation';
import type { AssetService } from '../assets/asset.service';
import { moneyStore } from '../../money/store';
import type { WalletService } from './wallet.service';
import { walletStatusStore } from './wallet-status.store';
import { WalletStatus, type Wallet } from './wallet.types';

/**
 * Freezes, set by admins. With an asset, one wallet (created at balance 0 if the user never had
 * it); without, the user as a whole: every wallet they have and any they get later. A wallet reads
 * FROZEN while it or its user is frozen; each of the two is set and cleared on its own. A change
 * takes the wallets' row locks, like a money movement, so a decision in flight sees the status
 * before or after it, never half of it. Every change is logged with who made it and why.
 */
export class WalletStatusService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly assets: AssetService,
    private readonly wallet: WalletService,
    private readonly txOptions: TransactionOptions,
    /** Records a WALLET_STATUS event per wallet whose status changed, in the same transaction. */
    private readonly onStatusChanged: (
      tx: Parameters<Parameters<PrismaClient['$transaction']>[0]>[0],
      walletIds: bigint[],
      status: WalletStatus,
      reason: string | null,
    ) => Promise<void> = async () => undefined,
  ) {}

  /** Errors: FORBIDDEN (not an admin), BAD_USER_INPUT, NOT_FOUND (asset), SERVICE_UNAVAILABLE. */
  async setStatus(
    principal: Principal,
    userIdInput: string,
    assetInput: string | null | undefined,
    status: WalletStatus,
    reasonInput: string | null | undefined,
  ): Promise<Wallet[]> {
    assertAdmin(principal);
    const userId = validateUserId(userIdInput);
    const reason = validateOptionalText(reasonInput, 'reason', limits.freezeReasonLengthMax);
    const assetCode =
      assetInput == null ? null : (await this.assets.require(assetInput)).asset.code;
    const change = { frozen: status === WalletStatus.FROZEN, reason, by: clientIdOf(principal) };
    const changed = await runTransaction(this.prisma, this.txOptions, async (tx) => {
      let refs: { userId: string; assetCode: string }[];
      if (assetCode !== null) {
        refs = [{ userId, assetCode }];
        await moneyStore.createWallets(tx, refs);
      } else {
        await walletStatusStore.ensureUser(tx, userId);
        refs = await walletStatusStore.walletsOfUser(tx, userId);
      }
      if (refs.length > 0) await moneyStore.lock(tx, refs, [], 0);
      // After the wallets' locks (a money transaction holding them may be creating a wallet of
      // this user, which takes the user row's key share): waits for wallets being created now.
      if (assetCode === null) await walletStatusStore.lockUser(tx, userId);
      const ids =
        assetCode !== null
          ? await walletStatusStore.setWalletFrozen(tx, userId, assetCode, change)
          : await walletStatusStore.setUserFrozen(tx, userId, change);
      if (ids.length > 0) await this.onStatusChanged(tx, ids, status, reason);
      return ids;
    });
    logger.info(
      { userId, asset: assetCode, status, reason, by: change.by, walletsChanged: changed.length },
      'wallet status set',
    );
    return this.wallet.balances(principal, userId);
  }
}
