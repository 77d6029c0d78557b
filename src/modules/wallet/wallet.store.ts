import type { PrismaClient } from '../../../generated/prisma/client';
import { Prisma } from '../../../generated/prisma/client';
import type { TxClient } from '../../shared/db/prisma';
import type { StoredLot } from '../../money/lots';
import { activeHoldAtSql, activeHoldSql } from '../../money/holds.sql';

type Queryable = PrismaClient | TxClient;

/** A user wallet as reads see it: `held` is the sum of its active, unexpired holds. */
export interface WalletRow {
  id: bigint;
  user_id: string;
  asset_code: string;
  balance: bigint;
  held: bigint;
  last_sequence: bigint;
  updated_at: Date;
  /** Live lots (wallets.lots); absent for a balance at an instant. */
  lots?: StoredLot[];
  /** What active holds reserve per lot: [{lotId, amount}], flattened. */
  reserved_lots?: { lotId: string; amount: string }[] | null;
  /** For a balance at an instant: the PAID part after the entry (null before lots existed). */
  paid_after?: bigint | null;
  frozen?: boolean;
  /** The database clock at the read (expiry is judged by it). */
  now?: Date;
}

// What a read needs beyond the balance: the lots, what holds reserve on them, the freeze, the clock.
const liveColumns = Prisma.sql`w.lots, w.frozen OR w.user_frozen AS frozen, clock_timestamp() AS now,
  CASE WHEN w.may_have_holds THEN (SELECT jsonb_agg(r) FROM holds h, jsonb_array_elements(h.reserved_lots) r
    WHERE h.wallet_id = w.id AND ${activeHoldSql}) END AS reserved_lots`;

/** All SQL that reads user wallets. Holds count only while ACTIVE and not past their expiry. */
export const walletStore = {
  async findWallet(
    db: Queryable,
    userId: string,
    assetCode: string,
  ): Promise<WalletRow | undefined> {
    const rows = await db.$queryRaw<WalletRow[]>`/* findWallet */
      SELECT w.id, w.user_id, w.asset_code, w.balance, w.last_sequence, w.updated_at, ${liveColumns},
        COALESCE((SELECT SUM(h.amount) FROM holds h WHERE h.wallet_id = w.id AND ${activeHoldSql}), 0)::bigint AS held
      FROM wallets w WHERE w.user_id = ${userId} AND w.asset_code = ${assetCode}`;
    return rows[0];
  },

  async findWalletsOfUser(db: Queryable, userId: string): Promise<WalletRow[]> {
    return db.$queryRaw<WalletRow[]>`/* findWalletsOfUser */
      SELECT w.id, w.user_id, w.asset_code, w.balance, w.last_sequence, w.updated_at, ${liveColumns},
        COALESCE((SELECT SUM(h.amount) FROM holds h WHERE h.wallet_id = w.id AND ${activeHoldSql}), 0)::bigint AS held
      FROM wallets w WHERE w.user_id = ${userId}
      ORDER BY w.asset_code`;
  },

  /** The live lots of several wallets, and the database clock that judges their expiry. */
  async findLotsOf(
    db: Queryable,
    refs: readonly { userId: string; assetCode: string }[],
  ): Promise<{ user_id: string; asset_code: string; lots: StoredLot[]; now: Date }[]> {
    const users = refs.map((ref) => ref.userId);
    const assets = refs.map((ref) => ref.assetCode);
    return db.$queryRaw`/* findLotsOf */
      SELECT w.user_id, w.asset_code, w.lots, clock_timestamp() AS now
      FROM wallets w JOIN unnest(${users}::text[], ${assets}::text[]) AS r(user_id, asset_code)
        ON w.user_id = r.user_id AND w.asset_code = r.asset_code`;
  },

  /**
   * The wallet as of an instant: the balance after its last entry at or before `at`, and the holds
   * that were active then. Undefined when the wallet had no entry by then.
   */
  async findWalletAt(
    db: Queryable,
    userId: string,
    assetCode: string,
    at: Date,
  ): Promise<WalletRow | undefined> {
    const rows = await db.$queryRaw<WalletRow[]>`/* findWalletAt */
      SELECT w.id, w.user_id, w.asset_code, e.balance_after AS balance, e.sequence AS last_sequence, e.created_at AS updated_at,
        e.paid_after, w.frozen OR w.user_frozen AS frozen,
        COALESCE((SELECT SUM(h.amount) FROM holds h WHERE h.wallet_id = w.id AND ${activeHoldAtSql(at)}), 0)::bigint AS held
      FROM wallets w
      JOIN LATERAL (
        SELECT le.balance_after, le.sequence, le.created_at, le.paid_after FROM ledger_entries le
        WHERE le.wallet_id = w.id AND le.created_at <= ${at}::timestamptz
        ORDER BY le.created_at DESC, le.sequence DESC LIMIT 1
      ) AS e ON true
      WHERE w.user_id = ${userId} AND w.asset_code = ${assetCode}`;
    return rows[0];
  },
};
