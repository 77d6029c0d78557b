import type { PrismaClient } from '../../../generated/prisma/client';
import { entryColumns } from '../ledger/ledger.store';
import { activeHoldSql } from '../../money/holds.sql';
import type { LedgerEntry } from '../ledger/ledger.types';

/** A ledger entry with the wallet's active holds at the time of reading. */
export type EntryWithHeld = LedgerEntry & {
  held: bigint;
  paidAfter: bigint | null;
  frozen: boolean;
};

/**
 * The SQL of live subscriptions beyond what the ledger and wallet stores offer (wallet snapshots
 * use walletStore.findWallet*).
 */
export const subscriptionStore = {
  /**
   * A wallet's entries after a sequence, oldest first, each with the sum of the wallet's active,
   * unexpired holds right now: ledgerStore.findEntriesAfterSequence plus the holds, in one
   * statement, because every delivery runs it (the holds sum is an uncorrelated subquery,
   * evaluated once).
   */
  async findEntriesAfterSequenceWithHeld(
    db: PrismaClient,
    userId: string,
    assetCode: string,
    afterSequence: bigint,
    limit: number,
  ): Promise<EntryWithHeld[]> {
    return db.$queryRaw<EntryWithHeld[]>`/* findEntriesAfterSequenceWithHeld */
      SELECT ${entryColumns},
        (SELECT COALESCE(SUM(h.amount), 0)::bigint FROM holds h WHERE h.wallet_id = e.wallet_id AND ${activeHoldSql}) AS "held",
        e.paid_after AS "paidAfter", (SELECT w.frozen OR w.user_frozen FROM wallets w WHERE w.id = e.wallet_id) AS "frozen"
      FROM ledger_entries e
      WHERE e.wallet_id = (SELECT w.id FROM wallets w WHERE w.user_id = ${userId} AND w.asset_code = ${assetCode})
        AND e.sequence > ${afterSequence}::bigint
      ORDER BY e.sequence ASC
      LIMIT ${limit}::int`;
  },
};
