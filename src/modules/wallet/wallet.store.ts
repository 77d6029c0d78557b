import type { PrismaClient } from '../../../generated/prisma/client';
import type { TxClient } from '../../shared/db/prisma';

type Queryable = PrismaClient | TxClient;

/** A user wallet as the money path sees it: `held` is the sum of its active, unexpired holds. */
export interface WalletRow {
  id: bigint;
  user_id: string;
  asset_code: string;
  balance: bigint;
  held: bigint;
  last_sequence: bigint;
  updated_at: Date;
}

/** The outcome an idempotency key already has, if any (read in the same statement as the lock). */
export interface PriorOutcomeRow {
  prior_operation: string | null;
  prior_request_hash: string | null;
  prior_outcome: 'SUCCEEDED' | 'REFUSED' | null;
  prior_error_code: string | null;
  prior_transaction_id: bigint | null;
  prior_hold_id: bigint | null;
}

export type LockedWalletRow = Partial<WalletRow> & PriorOutcomeRow & { id: bigint | null; may_have_holds?: boolean | null };

/** All SQL about user wallets. Holds count only while ACTIVE and not past their expiry. */
export const walletStore = {
  /**
   * Locks the user's wallet row (SELECT ... FOR UPDATE) and, in the same round trip, reads the
   * outcome already recorded for the idempotency key. Always returns one row: the wallet columns
   * are null when the wallet does not exist yet, the prior_* columns when the key is unused.
   * The key read uses the statement's snapshot, so a concurrent winner that committed while this
   * statement waited for the lock is not seen here; the unique index on the key catches that
   * case when this transaction tries to record its own outcome, and the attempt is retried.
   */
  async lockWalletAndReadKey(db: TxClient, userId: string, assetCode: string, clientId: string, key: string): Promise<LockedWalletRow> {
    const rows = await db.$queryRaw<LockedWalletRow[]>`/* lockWallet */
      SELECT w.id, w.user_id, w.asset_code, w.balance, w.last_sequence, w.updated_at, w.may_have_holds,
        i.operation AS prior_operation, i.request_hash AS prior_request_hash, i.outcome::text AS prior_outcome,
        i.error_code AS prior_error_code, i.transaction_id AS prior_transaction_id, i.hold_id AS prior_hold_id
      FROM (SELECT 1) AS one
      LEFT JOIN LATERAL (
        SELECT wl.id, wl.user_id, wl.asset_code, wl.balance, wl.last_sequence, wl.updated_at, wl.may_have_holds
        FROM wallets wl
        WHERE wl.user_id = ${userId} AND wl.asset_code = ${assetCode}
        FOR UPDATE OF wl
      ) AS w ON true
      LEFT JOIN idempotency_keys i ON i.client_id = ${clientId} AND i.key = ${key}`;
    const { may_have_holds: mayHaveHolds, ...row } = rows[0]!;
    if (row.id === null) return row;
    // The hint comes from the locked row's newest version, so it is current: false means the
    // wallet has no ACTIVE hold (see the wallet_holds_hint migration), and the sum is skipped.
    if (mayHaveHolds === false) return { ...row, held: 0n };
    // The held amount is read by a second statement, after the lock is granted. Summed inside the
    // lock statement it would come from that statement's snapshot: when the statement waited for
    // the lock, the wallet row is re-read at its newest version but the holds are not, so a hold
    // created, captured or released by the transaction that held the lock would be missed or
    // counted twice (a spend could then use reserved funds, a capture saw balance < held). Holds
    // change only under this lock (expiry needs no change: it is judged by time), so a fresh
    // snapshot taken now sees every change up to the wallet's current version.
    const held = await db.$queryRaw<{ held: bigint }[]>`/* lockedWalletHeld */
      SELECT COALESCE(SUM(h.amount), 0)::bigint AS held FROM holds h
      WHERE h.wallet_id = ${row.id}::bigint AND h.status = 'ACTIVE' AND (h.expires_at IS NULL OR h.expires_at > clock_timestamp())`;
    return { ...row, held: held[0]!.held };
  },

  /** Creates the user and the wallet if missing; safe when many first credits race. */
  async createWallet(db: TxClient, userId: string, assetCode: string): Promise<void> {
    await db.$executeRaw`/* createWallet */
      WITH new_user AS (INSERT INTO users (id) VALUES (${userId}) ON CONFLICT (id) DO NOTHING)
      INSERT INTO wallets (account_kind, user_id, asset_code) VALUES ('USER', ${userId}, ${assetCode})
      ON CONFLICT (user_id, asset_code) DO NOTHING`;
  },

  async findWallet(db: Queryable, userId: string, assetCode: string): Promise<WalletRow | undefined> {
    const rows = await db.$queryRaw<WalletRow[]>`/* findWallet */
      SELECT w.id, w.user_id, w.asset_code, w.balance, w.last_sequence, w.updated_at,
        COALESCE((SELECT SUM(h.amount) FROM holds h
                  WHERE h.wallet_id = w.id AND h.status = 'ACTIVE'
                    AND (h.expires_at IS NULL OR h.expires_at > clock_timestamp())), 0)::bigint AS held
      FROM wallets w WHERE w.user_id = ${userId} AND w.asset_code = ${assetCode}`;
    return rows[0];
  },

  async findWalletsOfUser(db: Queryable, userId: string): Promise<WalletRow[]> {
    return db.$queryRaw<WalletRow[]>`/* findWalletsOfUser */
      SELECT w.id, w.user_id, w.asset_code, w.balance, w.last_sequence, w.updated_at,
        COALESCE((SELECT SUM(h.amount) FROM holds h
                  WHERE h.wallet_id = w.id AND h.status = 'ACTIVE'
                    AND (h.expires_at IS NULL OR h.expires_at > clock_timestamp())), 0)::bigint AS held
      FROM wallets w WHERE w.user_id = ${userId}
      ORDER BY w.asset_code`;
  },

  /**
   * The wallet as of an instant: the balance after its last entry at or before `at`, and the holds
   * that were active then. Undefined when the wallet had no entry by then.
   */
  async findWalletAt(db: Queryable, userId: string, assetCode: string, at: Date): Promise<WalletRow | undefined> {
    const rows = await db.$queryRaw<WalletRow[]>`/* findWalletAt */
      SELECT w.id, w.user_id, w.asset_code, e.balance_after AS balance, e.sequence AS last_sequence, e.created_at AS updated_at,
        COALESCE((SELECT SUM(h.amount) FROM holds h
                  WHERE h.wallet_id = w.id AND h.created_at <= ${at}::timestamptz
                    AND (h.resolved_at IS NULL OR h.resolved_at > ${at}::timestamptz)
                    AND (h.expires_at IS NULL OR h.expires_at > ${at}::timestamptz)), 0)::bigint AS held
      FROM wallets w
      JOIN LATERAL (
        SELECT le.balance_after, le.sequence, le.created_at FROM ledger_entries le
        WHERE le.wallet_id = w.id AND le.created_at <= ${at}::timestamptz
        ORDER BY le.created_at DESC, le.sequence DESC LIMIT 1
      ) AS e ON true
      WHERE w.user_id = ${userId} AND w.asset_code = ${assetCode}`;
    return rows[0];
  },
};
