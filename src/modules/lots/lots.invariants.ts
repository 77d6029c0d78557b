import { Prisma } from '../../../generated/prisma/client';
import type { Invariant } from '../../shared/invariants';

/**
 * Credit lots: each wallet's live lots sum to its ledger balance (expired, unswept remainders
 * included), no live lot is empty or negative, and the stored hint names the soonest expiry.
 */
export const lotsSumToBalance: Invariant = {
  name: 'wallet lots do not sum to its balance',
  sql: (options) => Prisma.sql`/* invariantLotsSumToBalance */
    SELECT w.id, w.balance, agg.total, agg.smallest FROM wallets w
    CROSS JOIN LATERAL (
      SELECT COALESCE(SUM((l->>'remaining')::bigint), 0) AS total, MIN((l->>'remaining')::bigint) AS smallest,
        MIN((l->>'expiresAt')::timestamptz) AS soonest
      FROM jsonb_array_elements(w.lots) l
    ) agg
    WHERE w.account_kind = 'USER' AND NOT (w.user_id = ANY(${options.lotsExemptUsers ?? []}::text[])) AND (agg.total <> w.balance OR agg.smallest < 0
      OR agg.soonest IS DISTINCT FROM w.next_expiry)`,
};

/**
 * Every lot's remainder is what its movements left of it (a backfilled lot starts at its amount),
 * and a lot no longer on its wallet was drawn to zero.
 */
export const lotMovements: Invariant = {
  name: 'lot remainder disagrees with its movements',
  sql: () => Prisma.sql`/* invariantLotMovements */
    SELECT l.id, l.wallet_id, moved.total, live.remaining FROM credit_lots l
    CROSS JOIN LATERAL (
      SELECT COALESCE(SUM(m.amount), 0) + CASE WHEN bool_or(m.transaction_id = l.id) THEN 0 ELSE l.amount END AS total
      FROM lot_movements m WHERE m.lot_id = l.id
    ) moved
    LEFT JOIN LATERAL (
      SELECT (x->>'remaining')::bigint AS remaining FROM wallets w, jsonb_array_elements(w.lots) x
      WHERE w.id = l.wallet_id AND (x->>'id')::bigint = l.id
    ) live ON true
    WHERE moved.total <> COALESCE(live.remaining, 0) OR moved.total < 0`,
};

/** A transaction's lot movements change its user wallets by exactly its user entries. */
export const movementsMatchEntries: Invariant = {
  name: 'lot movements do not match the entries',
  sql: () => Prisma.sql`/* invariantMovementsMatchEntries */
    SELECT t.id FROM transactions t
    JOIN LATERAL (SELECT SUM(m.amount) AS moved FROM lot_movements m WHERE m.transaction_id = t.id) mv ON mv.moved IS NOT NULL
    JOIN LATERAL (
      SELECT SUM(CASE e.direction WHEN 'CREDIT' THEN e.amount ELSE -e.amount END) AS delta
      FROM ledger_entries e WHERE e.transaction_id = t.id AND e.account_kind = 'USER'
    ) en ON true
    WHERE mv.moved <> en.delta`,
};

export const lotInvariants: readonly Invariant[] = [
  lotsSumToBalance,
  lotMovements,
  movementsMatchEntries,
];
