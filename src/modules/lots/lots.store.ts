import type { PrismaClient } from '../../../generated/prisma/client';

/** The SQL of the lots' expiry sweep. */
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
};
