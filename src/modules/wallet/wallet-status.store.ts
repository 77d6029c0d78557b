import type { TxClient } from '../../shared/db/prisma';

export interface StatusChange {
  frozen: boolean;
  reason: string | null;
  by: string;
}

/**
 * The SQL of freezes. Both write under the wallets' row locks (the caller holds them) and return the
 * ids of the wallets whose effective status (frozen by wallet or by user) changed.
 */
export const walletStatusStore = {
  async setWalletFrozen(
    tx: TxClient,
    userId: string,
    assetCode: string,
    change: StatusChange,
  ): Promise<bigint[]> {
    const rows = await tx.$queryRaw<{ id: bigint }[]>`/* setWalletFrozen */
      WITH before AS (
        SELECT id, frozen OR user_frozen AS was FROM wallets WHERE user_id = ${userId} AND asset_code = ${assetCode}
      ), changed AS (
        UPDATE wallets w SET frozen = ${change.frozen}, frozen_reason = ${change.reason}::text, frozen_by = ${change.by}, frozen_at = clock_timestamp()
        FROM before WHERE w.id = before.id
        RETURNING w.id, w.frozen OR w.user_frozen AS now_frozen, before.was
      )
      SELECT id FROM changed WHERE now_frozen <> was`;
    return rows.map((row) => row.id);
  },

  /** The user as a whole: recorded in user_freezes (for wallets created later) and mirrored on each wallet. */
  async setUserFrozen(tx: TxClient, userId: string, change: StatusChange): Promise<bigint[]> {
    if (change.frozen) {
      await tx.$executeRaw`/* freezeUser */
        INSERT INTO user_freezes (user_id, reason, frozen_by, frozen_at) VALUES (${userId}, ${change.reason}::text, ${change.by}, clock_timestamp())
        ON CONFLICT (user_id) DO UPDATE SET reason = EXCLUDED.reason, frozen_by = EXCLUDED.frozen_by, frozen_at = EXCLUDED.frozen_at`;
    } else {
      await tx.$executeRaw`/* unfreezeUser */ DELETE FROM user_freezes WHERE user_id = ${userId}`;
    }
    const rows = await tx.$queryRaw<{ id: bigint }[]>`/* mirrorUserFrozen */
      WITH before AS (
        SELECT id, frozen OR user_frozen AS was FROM wallets WHERE user_id = ${userId}
      ), changed AS (
        UPDATE wallets w SET user_frozen = ${change.frozen}
        FROM before WHERE w.id = before.id
        RETURNING w.id, w.frozen OR w.user_frozen AS now_frozen, before.was
      )
      SELECT id FROM changed WHERE now_frozen <> was`;
    return rows.map((row) => row.id);
  },

  async walletsOfUser(
    tx: TxClient,
    userId: string,
  ): Promise<{ userId: string; assetCode: string }[]> {
    return tx.$queryRaw`/* walletRefsOfUser */ SELECT user_id AS "userId", asset_code AS "assetCode" FROM wallets WHERE user_id = ${userId} ORDER BY asset_code`;
  },

  /**
   * Locks the user's row for a user-level status change, taken after the wallets' locks. A wallet
   * being created holds FOR KEY SHARE on it until it commits (the wallets_read_user_status trigger),
   * so this waits for that wallet, and the mirror that follows sees it; a wallet created after
   * this waits and reads the status this change commits.
   */
  async lockUser(tx: TxClient, userId: string): Promise<void> {
    await tx.$queryRaw`/* lockUserForStatus */ SELECT 1 FROM users WHERE id = ${userId} FOR UPDATE`;
  },

  async ensureUser(tx: TxClient, userId: string): Promise<void> {
    await tx.$executeRaw`/* ensureUser */ INSERT INTO users (id) VALUES (${userId}) ON CONFLICT (id) DO NOTHING`;
  },
};
