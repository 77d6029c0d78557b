import { Prisma } from '../../../generated/prisma/client';
import type { PrismaClient } from '../../../generated/prisma/client';
import type { TxClient } from '../../shared/db/prisma';
import type { LotAmount } from '../../money/lots';
import type { KeyOutcome } from '../../money/types';
import type { Hold } from './holds.types';

type Queryable = PrismaClient | TxClient;

// A hold as the API shows it. A hold past its expiry reads EXPIRED (resolved at its expiry) even
// before the sweep has recorded that, because from that instant on it reserves nothing.
const holdColumns = Prisma.sql`
  h.id::text AS "id", h.user_id AS "userId", h.asset_code AS "assetCode", h.amount AS "amount",
  CASE WHEN h.status = 'ACTIVE' AND h.expires_at <= clock_timestamp() THEN 'EXPIRED' ELSE h.status::text END AS "status",
  h.expires_at AS "expiresAt", h.created_at AS "createdAt", h.reference AS "reference",
  CASE WHEN h.status = 'ACTIVE' AND h.expires_at <= clock_timestamp() THEN h.expires_at ELSE h.resolved_at END AS "resolvedAt",
  (SELECT t.id::text FROM transactions t WHERE t.hold_id = h.id) AS "captureTransactionId", h.client_id AS "clientId"`;

/** A hold row locked for a decision, with its expiry judged by the database clock. */
export interface LockedHold {
  id: bigint;
  walletId: bigint;
  amount: bigint;
  status: string;
  expired: boolean;
  /** The lots the hold reserved, in reservation order. */
  reservedLots: LotAmount[];
}

export interface NewHold {
  clientId: string;
  idempotencyKey: string;
  walletId: bigint;
  userId: string;
  assetCode: string;
  amount: bigint;
  reference: string | null;
  expiresAt: Date;
  reservations: LotAmount[];
}

/** All SQL about holds. */
export const holdStore = {
  /** Inserts the hold, records it as the key's outcome and sets the wallet's holds hint, in one statement. */
  async insertHold(db: TxClient, outcome: KeyOutcome, hold: NewHold): Promise<Hold> {
    const rows = await db.$queryRaw<Hold[]>`/* insertHold */
      WITH h AS (
        INSERT INTO holds (client_id, idempotency_key, wallet_id, user_id, asset_code, amount, reference, expires_at, created_at, reserved_lots)
        VALUES (${hold.clientId}, ${hold.idempotencyKey}, ${hold.walletId}::bigint, ${hold.userId}, ${hold.assetCode},
                ${hold.amount}::bigint, ${hold.reference}::text, ${hold.expiresAt}::timestamptz, clock_timestamp(),
                ${JSON.stringify(hold.reservations.map((r) => ({ lotId: r.lotId.toString(), amount: r.amount.toString() })))}::jsonb)
        RETURNING *
      ), outcome AS (
        INSERT INTO idempotency_keys (client_id, key, operation, request_hash, outcome, hold_id)
        SELECT ${outcome.clientId}, ${outcome.key}, ${outcome.operation}, ${outcome.requestHash}, 'SUCCEEDED'::idempotency_outcome, h.id
        FROM h
      ), hint AS (
        -- The wallet now has an ACTIVE hold: the money path must sum its holds from here on.
        UPDATE wallets SET may_have_holds = true WHERE id = ${hold.walletId}::bigint AND NOT may_have_holds
      )
      SELECT ${holdColumns} FROM h`;
    const row = rows[0];
    if (!row) throw new Error('invariant: the hold insert returned no row');
    return row;
  },

  async findHoldsByIds(db: Queryable, ids: readonly bigint[]): Promise<Hold[]> {
    return db.$queryRaw<Hold[]>`/* findHoldsByIds */
      SELECT ${holdColumns} FROM holds h WHERE h.id = ANY(${ids as bigint[]}::bigint[])`;
  },

  /**
   * Locks the hold row. Callers lock the hold's wallet first (wallet, then hold, always), so that
   * two decisions on one hold never deadlock; the row lock also makes the sweep skip this hold.
   */
  async lockHold(db: TxClient, id: bigint): Promise<LockedHold | undefined> {
    const rows = await db.$queryRaw<
      (Omit<LockedHold, 'reservedLots'> & { reservedLots: { lotId: string; amount: string }[] })[]
    >`/* lockHold */
      SELECT h.id, h.wallet_id AS "walletId", h.amount, h.status::text AS "status",
        (h.expires_at IS NOT NULL AND h.expires_at <= clock_timestamp()) AS "expired", h.reserved_lots AS "reservedLots"
      FROM holds h WHERE h.id = ${id}::bigint
      FOR UPDATE`;
    const row = rows[0];
    return (
      row && {
        ...row,
        reservedLots: row.reservedLots.map((r) => ({
          lotId: BigInt(r.lotId),
          amount: BigInt(r.amount),
        })),
      }
    );
  },

  /** Marks a locked ACTIVE hold CAPTURED; its capture transaction was posted in the same transaction. */
  async markCaptured(db: TxClient, id: bigint): Promise<void> {
    const updated = await db.$executeRaw`/* markHoldCaptured */
      UPDATE holds SET status = 'CAPTURED', resolved_at = clock_timestamp()
      WHERE id = ${id}::bigint AND status = 'ACTIVE'`;
    if (updated !== 1) throw new Error(`invariant: locked hold ${id} was not ACTIVE when captured`);
  },

  /** Marks a locked ACTIVE hold RELEASED and records that as the key's outcome, in one statement. */
  async release(db: TxClient, outcome: KeyOutcome, id: bigint): Promise<Hold> {
    const rows = await db.$queryRaw<Hold[]>`/* releaseHold */
      WITH h AS (
        UPDATE holds SET status = 'RELEASED', resolved_at = clock_timestamp()
        WHERE id = ${id}::bigint AND status = 'ACTIVE'
        RETURNING *
      ), outcome AS (
        INSERT INTO idempotency_keys (client_id, key, operation, request_hash, outcome, hold_id)
        SELECT ${outcome.clientId}, ${outcome.key}, ${outcome.operation}, ${outcome.requestHash}, 'SUCCEEDED'::idempotency_outcome, h.id
        FROM h
      )
      SELECT ${holdColumns} FROM h`;
    const row = rows[0];
    if (!row) throw new Error(`invariant: locked hold ${id} was not ACTIVE when released`);
    return row;
  },

  /**
   * Marks up to `batchSize` holds past their expiry EXPIRED, resolved at the instant they expired.
   * SKIP LOCKED lets several replicas sweep at once without waiting on each other, and passes over
   * a hold that a capture or release has locked: that decision sees the expiry itself, and a
   * later pass records it. The status is re-checked on the locked row, so a hold captured in the
   * meantime is never overwritten.
   */
  async expireDue(db: Queryable, batchSize: number): Promise<number> {
    const rows = await db.$queryRaw<{ id: bigint }[]>`/* expireDueHolds */
      WITH due AS (
        SELECT id FROM holds
        WHERE status = 'ACTIVE' AND expires_at <= clock_timestamp()
        ORDER BY expires_at
        LIMIT ${batchSize}::int
        FOR UPDATE SKIP LOCKED
      )
      UPDATE holds h SET status = 'EXPIRED', resolved_at = h.expires_at
      FROM due WHERE h.id = due.id AND h.status = 'ACTIVE'
      RETURNING h.id`;
    return rows.length;
  },
};
