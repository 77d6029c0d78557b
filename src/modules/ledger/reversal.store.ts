import type { PrismaClient } from '../../../generated/prisma/client';
import type { TxClient } from '../../shared/db/prisma';
import type { CreditOrigin } from '../../money/enums';
import type { Lot, LotAmount } from '../../money/lots';

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
