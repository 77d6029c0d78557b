import { Prisma } from '../../../generated/prisma/client';
import { activeHoldSql } from '../../money/holds.sql';
import type { Invariant } from '../../shared/invariants';

/**
 * Active holds never reserve more than the wallet holds. A hold past its expiry reserves
 * nothing from that instant on (its funds may be spent before the sweep marks it EXPIRED), so
 * only unexpired ones count, exactly as every read and every decision counts them.
 */
export const holdsWithinBalance: Invariant = {
  name: 'active holds exceed balance',
  sql: () => Prisma.sql`/* invariantHoldsWithinBalance */
    SELECT w.id, w.balance, SUM(h.amount) AS held
    FROM wallets w JOIN holds h ON h.wallet_id = w.id AND h.status = 'ACTIVE'
      AND ${activeHoldSql}
    GROUP BY w.id, w.balance HAVING SUM(h.amount) > w.balance`,
};

/** A hold belongs to its wallet's user and asset, and is the recorded outcome of its own key. */
export const holdMatchesWalletAndKey: Invariant = {
  name: 'hold disagrees with its wallet or key',
  sql: () => Prisma.sql`/* invariantHoldMatchesWalletAndKey */
    SELECT h.id FROM holds h
    JOIN wallets w ON w.id = h.wallet_id
    LEFT JOIN idempotency_keys i ON i.client_id = h.client_id AND i.key = h.idempotency_key
    WHERE w.user_id IS DISTINCT FROM h.user_id OR w.asset_code <> h.asset_code
      OR i.hold_id IS DISTINCT FROM h.id OR i.operation <> 'hold' OR i.outcome <> 'SUCCEEDED'`,
};

/**
 * Exactly the CAPTURED holds have a capture: one CAPTURE transaction on the hold's wallet, for
 * at most the held amount, posted from the user to revenue.
 */
export const captureMatchesHold: Invariant = {
  name: 'hold and capture disagree',
  sql: () => Prisma.sql`/* invariantCaptureMatchesHold */
    SELECT h.id, h.status, t.id AS capture_id FROM holds h
    LEFT JOIN transactions t ON t.hold_id = h.id
    WHERE (h.status = 'CAPTURED') <> (t.id IS NOT NULL)
      OR (t.id IS NOT NULL AND (t.kind <> 'CAPTURE' OR t.user_id <> h.user_id OR t.asset_code <> h.asset_code OR t.amount > h.amount
        OR NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id AND e.account_kind = 'USER' AND e.direction = 'DEBIT' AND e.wallet_id = h.wallet_id)
        OR NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id AND e.account_kind = 'REVENUE' AND e.direction = 'CREDIT')))`,
};

/** Active holds never reserve more of a lot than is left of it. */
export const reservationsWithinLots: Invariant = {
  name: 'reservations exceed a lot',
  sql: () => Prisma.sql`/* invariantReservationsWithinLots */
    SELECT r.lot_id, r.reserved, (x->>'remaining')::bigint AS remaining FROM (
      SELECT h.wallet_id, (res->>'lotId')::bigint AS lot_id, SUM((res->>'amount')::bigint) AS reserved
      FROM holds h, jsonb_array_elements(h.reserved_lots) res
      WHERE ${activeHoldSql}
      GROUP BY h.wallet_id, (res->>'lotId')::bigint
    ) r
    JOIN wallets w ON w.id = r.wallet_id
    LEFT JOIN LATERAL (SELECT x FROM jsonb_array_elements(w.lots) x WHERE (x->>'id')::bigint = r.lot_id) lot ON true
    WHERE COALESCE((x->>'remaining')::bigint, 0) < r.reserved`,
};

/** The holds hint may be stale-true but never stale-false (the money path trusts a false). */
export const holdsHint: Invariant = {
  name: 'wallet with an active hold has may_have_holds false',
  sql: () => Prisma.sql`/* invariantHoldsHint */
    SELECT w.id FROM wallets w
    WHERE NOT w.may_have_holds AND EXISTS (SELECT 1 FROM holds h WHERE h.wallet_id = w.id AND h.status = 'ACTIVE')`,
};

export const holdInvariants: readonly Invariant[] = [
  holdsWithinBalance,
  holdMatchesWalletAndKey,
  captureMatchesHold,
  reservationsWithinLots,
  holdsHint,
];
