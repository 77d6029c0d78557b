import type { PrismaClient } from '../../../generated/prisma/client';
import type { TxClient } from '../../shared/db/prisma';

type Queryable = PrismaClient | TxClient;

/** The SQL that links reversals to the transactions they undo (transactions.reverses_id, unique). */
export const reversalStore = {
  /**
   * The id of the reversal of a transaction, if it has one. Read after the wallet lock: every
   * reversal of a transaction locks the same wallet, so a reversal committed by a concurrent
   * request is seen here, and the unique index on reverses_id stays a guard that never fires.
   */
  async findReversalIdOf(db: TxClient, transactionId: bigint): Promise<bigint | undefined> {
    const rows = await db.$queryRaw<{ id: bigint }[]>`/* findReversalIdOf */
      SELECT t.id FROM transactions t WHERE t.reverses_id = ${transactionId}::bigint`;
    return rows[0]?.id;
  },

  /** Reversal ids by the ids of the transactions they undo (for Transaction.reversedBy). */
  async findReversalIdsByOriginalIds(
    db: Queryable,
    ids: readonly bigint[],
  ): Promise<{ originalId: string; reversalId: string }[]> {
    return db.$queryRaw<
      { originalId: string; reversalId: string }[]
    >`/* findReversalIdsByOriginalIds */
      SELECT t.reverses_id::text AS "originalId", t.id::text AS "reversalId"
      FROM transactions t WHERE t.reverses_id = ANY(${ids as bigint[]}::bigint[])`;
  },
};
