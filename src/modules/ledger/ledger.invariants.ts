import type { PrismaClient } from '../../../generated/prisma/client';
import { activeHoldSql } from '../holds/holds.sql';

/**
 * The ledger's invariants, checked in SQL over the whole database. Every test ends by running
 * these; `npm run check:invariants` runs them against a live database. Each returns the rows that
 * break it, so an empty list means the books balance.
 */
export async function findInvariantBreaches(
  prisma: PrismaClient,
  options: {
    /**
     * Wallets exempt from the lots-sum rule only: the bench's pgbench ceilings post with the SQL
     * the gateway had before credit lots, to wallets of their own (bench/setup.ts).
     */
    lotsExemptUsers?: string[];
  } = {},
): Promise<string[]> {
  const lotsExempt = options.lotsExemptUsers ?? [];
  const breaches: string[] = [];
  const report = (name: string, rows: unknown[]) => {
    if (rows.length > 0)
      breaches.push(
        `${name}: ${JSON.stringify(rows.slice(0, 5), (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`,
      );
  };

  // Double entry: every transaction has two postings or more, all of its asset, summing to zero;
  // a TRANSFER posts to exactly two user wallets, every other kind to exactly one.
  report(
    'transaction entries do not sum to zero',
    await prisma.$queryRaw`/* invariantEntriesSumToZero */
    SELECT t.id, t.kind, COUNT(e.id) AS entries,
      COALESCE(SUM(CASE e.direction WHEN 'CREDIT' THEN e.amount ELSE -e.amount END), 0) AS signed_sum
    FROM transactions t LEFT JOIN ledger_entries e ON e.transaction_id = t.id
    GROUP BY t.id, t.kind
    HAVING COUNT(e.id) < 2 OR COALESCE(SUM(CASE e.direction WHEN 'CREDIT' THEN e.amount ELSE -e.amount END), 0) <> 0
      OR COUNT(*) FILTER (WHERE e.account_kind = 'USER') <> CASE WHEN t.kind = 'TRANSFER' THEN 2 ELSE 1 END
      OR COUNT(*) FILTER (WHERE e.asset_code <> (SELECT t2.asset_code FROM transactions t2 WHERE t2.id = t.id)) > 0`,
  );

  // A TRANSFER takes its amount from the sender's wallet (userId) and gives it to the recipient's
  // (counterpartyUserId), and never touches a system account.
  report(
    'transfer does not move from sender to recipient',
    await prisma.$queryRaw`/* invariantTransferShape */
    SELECT t.id FROM transactions t
    WHERE t.kind = 'TRANSFER' AND NOT (
      EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id AND e.account_kind = 'USER' AND e.user_id = t.user_id AND e.direction = 'DEBIT' AND e.amount = t.amount)
      AND EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id AND e.account_kind = 'USER' AND e.user_id = t.counterparty_user_id AND e.direction = 'CREDIT' AND e.amount = t.amount)
      AND NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id AND e.account_kind <> 'USER'))`,
  );

  // The legs of a changeset share its client and key and are numbered 0..n-1 without a gap.
  report(
    'changeset legs are not numbered 0..n-1 under one key',
    await prisma.$queryRaw`/* invariantChangesetLegs */
    SELECT t.changeset_id FROM transactions t WHERE t.changeset_id IS NOT NULL
    GROUP BY t.changeset_id
    HAVING MIN(t.leg_index) <> 0 OR MAX(t.leg_index) <> COUNT(*) - 1 OR COUNT(DISTINCT t.leg_index) <> COUNT(*)
      OR COUNT(DISTINCT (t.client_id, t.idempotency_key)) <> 1`,
  );

  // Each user wallet's balance is the sum of its entries, equals its last balance_after, and its
  // sequences run 1..last_sequence without a gap.
  report(
    'wallet balance or sequence disagrees with its entries',
    await prisma.$queryRaw`/* invariantWalletMatchesEntries */
    SELECT w.id, w.user_id, w.asset_code, w.balance, w.last_sequence, agg.entry_sum, agg.entries, agg.max_sequence, last.balance_after
    FROM wallets w
    LEFT JOIN LATERAL (
      SELECT COALESCE(SUM(CASE e.direction WHEN 'CREDIT' THEN e.amount ELSE -e.amount END), 0) AS entry_sum,
        COUNT(*) AS entries, COALESCE(MAX(e.sequence), 0) AS max_sequence, COALESCE(MIN(e.sequence), 1) AS min_sequence
      FROM ledger_entries e WHERE e.wallet_id = w.id
    ) agg ON true
    LEFT JOIN LATERAL (
      SELECT e.balance_after FROM ledger_entries e WHERE e.wallet_id = w.id ORDER BY e.sequence DESC LIMIT 1
    ) last ON true
    WHERE w.account_kind = 'USER' AND (
      w.balance <> agg.entry_sum OR w.last_sequence <> agg.entries OR w.last_sequence <> agg.max_sequence
      OR agg.min_sequence <> 1 OR COALESCE(last.balance_after, 0) <> w.balance)`,
  );

  // Each balance_after follows from the one before it.
  report(
    'balance_after chain broken',
    await prisma.$queryRaw`/* invariantBalanceChain */
    SELECT id, wallet_id, sequence FROM (
      SELECT e.id, e.wallet_id, e.sequence, e.balance_after,
        COALESCE(LAG(e.balance_after) OVER (PARTITION BY e.wallet_id ORDER BY e.sequence), 0)
          + CASE e.direction WHEN 'CREDIT' THEN e.amount ELSE -e.amount END AS expected
      FROM ledger_entries e WHERE e.account_kind = 'USER'
    ) chain WHERE balance_after <> expected`,
  );

  report(
    'user balance below zero',
    await prisma.$queryRaw`/* invariantNoNegativeBalance */
    SELECT id, user_id, asset_code, balance FROM wallets WHERE account_kind = 'USER' AND balance < 0`,
  );

  // Active holds never reserve more than the wallet holds. A hold past its expiry reserves
  // nothing from that instant on (its funds may be spent before the sweep marks it EXPIRED), so
  // only unexpired ones count, exactly as every read and every decision counts them.
  report(
    'active holds exceed balance',
    await prisma.$queryRaw`/* invariantHoldsWithinBalance */
    SELECT w.id, w.balance, SUM(h.amount) AS held
    FROM wallets w JOIN holds h ON h.wallet_id = w.id AND h.status = 'ACTIVE'
      AND ${activeHoldSql}
    GROUP BY w.id, w.balance HAVING SUM(h.amount) > w.balance`,
  );

  // A hold belongs to its wallet's user and asset, and is the recorded outcome of its own key.
  report(
    'hold disagrees with its wallet or key',
    await prisma.$queryRaw`/* invariantHoldMatchesWalletAndKey */
    SELECT h.id FROM holds h
    JOIN wallets w ON w.id = h.wallet_id
    LEFT JOIN idempotency_keys i ON i.client_id = h.client_id AND i.key = h.idempotency_key
    WHERE w.user_id IS DISTINCT FROM h.user_id OR w.asset_code <> h.asset_code
      OR i.hold_id IS DISTINCT FROM h.id OR i.operation <> 'hold' OR i.outcome <> 'SUCCEEDED'`,
  );

  // Exactly the CAPTURED holds have a capture: one CAPTURE transaction on the hold's wallet, for
  // at most the held amount, posted from the user to revenue.
  report(
    'hold and capture disagree',
    await prisma.$queryRaw`/* invariantCaptureMatchesHold */
    SELECT h.id, h.status, t.id AS capture_id FROM holds h
    LEFT JOIN transactions t ON t.hold_id = h.id
    WHERE (h.status = 'CAPTURED') <> (t.id IS NOT NULL)
      OR (t.id IS NOT NULL AND (t.kind <> 'CAPTURE' OR t.user_id <> h.user_id OR t.asset_code <> h.asset_code OR t.amount > h.amount
        OR NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id AND e.account_kind = 'USER' AND e.direction = 'DEBIT' AND e.wallet_id = h.wallet_id)
        OR NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id AND e.account_kind = 'REVENUE' AND e.direction = 'CREDIT')))`,
  );

  // A reversal mirrors its original: same user, asset and amount, the user's side in the other
  // direction, the same system account; and a reversal is never itself reversed.
  report(
    'reversal does not mirror its original',
    await prisma.$queryRaw`/* invariantReversalMirrorsOriginal */
    SELECT r.id, r.reverses_id FROM transactions r
    JOIN transactions o ON o.id = r.reverses_id
    JOIN ledger_entries ru ON ru.transaction_id = r.id AND ru.account_kind = 'USER'
    JOIN ledger_entries ou ON ou.transaction_id = o.id AND ou.account_kind = 'USER'
    JOIN ledger_entries rs ON rs.transaction_id = r.id AND rs.account_kind <> 'USER'
    JOIN ledger_entries os ON os.transaction_id = o.id AND os.account_kind <> 'USER'
    WHERE o.kind = 'REVERSAL' OR r.user_id <> o.user_id OR r.asset_code <> o.asset_code OR r.amount > o.amount
      OR (r.amount < o.amount AND o.kind NOT IN ('TOPUP', 'BONUS'))
      OR ru.direction = ou.direction OR ru.wallet_id <> ou.wallet_id OR rs.account_kind <> os.account_kind`,
  );

  // Credit lots: each wallet's live lots sum to its ledger balance (expired, unswept remainders
  // included), no live lot is empty or negative, and the stored hint names the soonest expiry.
  report(
    'wallet lots do not sum to its balance',
    await prisma.$queryRaw`/* invariantLotsSumToBalance */
    SELECT w.id, w.balance, agg.total, agg.smallest FROM wallets w
    CROSS JOIN LATERAL (
      SELECT COALESCE(SUM((l->>'remaining')::bigint), 0) AS total, MIN((l->>'remaining')::bigint) AS smallest,
        MIN((l->>'expiresAt')::timestamptz) AS soonest
      FROM jsonb_array_elements(w.lots) l
    ) agg
    WHERE w.account_kind = 'USER' AND NOT (w.user_id = ANY(${lotsExempt}::text[])) AND (agg.total <> w.balance OR agg.smallest < 0
      OR agg.soonest IS DISTINCT FROM w.next_expiry)`,
  );

  // Every lot's remainder is what its movements left of it (a backfilled lot starts at its amount),
  // and a lot no longer on its wallet was drawn to zero.
  report(
    'lot remainder disagrees with its movements',
    await prisma.$queryRaw`/* invariantLotMovements */
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
  );

  // A transaction's lot movements change its user wallets by exactly its user entries.
  report(
    'lot movements do not match the entries',
    await prisma.$queryRaw`/* invariantMovementsMatchEntries */
    SELECT t.id FROM transactions t
    JOIN LATERAL (SELECT SUM(m.amount) AS moved FROM lot_movements m WHERE m.transaction_id = t.id) mv ON mv.moved IS NOT NULL
    JOIN LATERAL (
      SELECT SUM(CASE e.direction WHEN 'CREDIT' THEN e.amount ELSE -e.amount END) AS delta
      FROM ledger_entries e WHERE e.transaction_id = t.id AND e.account_kind = 'USER'
    ) en ON true
    WHERE mv.moved <> en.delta`,
  );

  // Active holds never reserve more of a lot than is left of it.
  report(
    'reservations exceed a lot',
    await prisma.$queryRaw`/* invariantReservationsWithinLots */
    SELECT r.lot_id, r.reserved, (x->>'remaining')::bigint AS remaining FROM (
      SELECT h.wallet_id, (res->>'lotId')::bigint AS lot_id, SUM((res->>'amount')::bigint) AS reserved
      FROM holds h, jsonb_array_elements(h.reserved_lots) res
      WHERE ${activeHoldSql}
      GROUP BY h.wallet_id, (res->>'lotId')::bigint
    ) r
    JOIN wallets w ON w.id = r.wallet_id
    LEFT JOIN LATERAL (SELECT x FROM jsonb_array_elements(w.lots) x WHERE (x->>'id')::bigint = r.lot_id) lot ON true
    WHERE COALESCE((x->>'remaining')::bigint, 0) < r.reserved`,
  );

  // The holds hint may be stale-true but never stale-false (the money path trusts a false).
  report(
    'wallet with an active hold has may_have_holds false',
    await prisma.$queryRaw`/* invariantHoldsHint */
    SELECT w.id FROM wallets w
    WHERE NOT w.may_have_holds AND EXISTS (SELECT 1 FROM holds h WHERE h.wallet_id = w.id AND h.status = 'ACTIVE')`,
  );

  // Every transaction is the recorded outcome of exactly one (client, key), and vice versa.
  report(
    'transaction without its idempotency outcome',
    await prisma.$queryRaw`/* invariantTransactionHasKey */
    SELECT t.id FROM transactions t
    LEFT JOIN idempotency_keys i ON i.client_id = t.client_id AND i.key = t.idempotency_key
    WHERE CASE WHEN t.changeset_id IS NULL THEN i.transaction_id IS DISTINCT FROM t.id
               ELSE i.changeset_id IS DISTINCT FROM t.changeset_id OR i.transaction_id IS NOT NULL END`,
  );
  report(
    'succeeded key without its transaction or hold',
    await prisma.$queryRaw`/* invariantKeyHasResult */
    SELECT i.client_id, i.key FROM idempotency_keys i
    LEFT JOIN transactions t ON t.id = i.transaction_id
    LEFT JOIN holds h ON h.id = i.hold_id
    WHERE i.outcome = 'SUCCEEDED' AND t.id IS NULL AND h.id IS NULL
      AND NOT EXISTS (SELECT 1 FROM transactions c WHERE c.changeset_id = i.changeset_id)`,
  );
  return breaches;
}
