import type { PrismaClient } from '../../../generated/prisma/client';
import type { CreditOrigin } from '../../money/enums';
import type { Lot, LotAmount } from '../../money/lots';
import type { TxClient } from '../../shared/db/prisma';

/** The SQL of credit lots beyond the engine's: the expiry sweep's candidates, a transaction's lot movements. */
export const lotsStore = {
  /**
   * Wallets whose soonest live lot expiry has passed, soonest first. SKIP LOCKED passes over
   * wallets a money transaction (or another replica's sweep) holds right now; they come back at
   * the next pass. The row locks end with the statement: the decision locks again, in the engine.
   */
  async findWalletsWithExpiredLots(
    db: PrismaClient,
    limit: number,
  ): Promise<{ id: bigint; userId: string; assetCode: string; lastSequence: bigint }[]> {
    return db.$queryRaw`/* findWalletsWithExpiredLots */
      SELECT w.id, w.user_id AS "userId", w.asset_code AS "assetCode", w.last_sequence AS "lastSequence"
      FROM wallets w
      WHERE w.next_expiry <= clock_timestamp()
      ORDER BY w.next_expiry
      LIMIT ${limit}::int
      FOR UPDATE SKIP LOCKED`;
  },

  /**
   * The lots a transaction moved, for its reversal: what a debit drew from (as positive amounts),
   * with the lots' metadata, and the lot a credit went to.
   */
  async findLotMovements(
    db: TxClient,
    transactionId: bigint,
  ): Promise<{ drawn: LotAmount[]; lots: Lot[]; credited: bigint | undefined }> {
    const rows = await db.$queryRaw<
      {
        lot_id: bigint;
        amount: bigint;
        origin: CreditOrigin;
        expires_at: Date | null;
        created_at: Date;
      }[]
    >`/* findLotMovements */
      SELECT m.lot_id, m.amount, l.origin::text AS origin, l.expires_at, l.created_at
      FROM lot_movements m JOIN credit_lots l ON l.id = m.lot_id
      WHERE m.transaction_id = ${transactionId}::bigint
      ORDER BY m.lot_id`;
    const drawn = rows.filter((row) => row.amount < 0n);
    return {
      drawn: drawn.map((row) => ({ lotId: row.lot_id, amount: -row.amount })),
      lots: drawn.map((row) => ({
        id: row.lot_id,
        origin: row.origin,
        remaining: 0n,
        expiresAt: row.expires_at,
        createdAt: row.created_at,
      })),
      credited: rows.find((row) => row.amount > 0n)?.lot_id,
    };
  },
};
