import { Prisma } from '../../../generated/prisma/client';
import { kinds } from '../../money/kinds';
import type { Invariant } from '../../shared/invariants';

const kindNames = Object.keys(kinds);
const userEntries = Object.values(kinds).map((row) => row.userEntries);

/**
 * Double entry: every transaction has two postings or more, all of its asset, summing to zero;
 * and as many user entries as its kind posts (kinds.ts: a TRANSFER two, every other kind one).
 */
export const entriesSumToZero: Invariant = {
  name: 'transaction entries do not sum to zero',
  sql: () => Prisma.sql`/* invariantEntriesSumToZero */
    SELECT t.id, t.kind, COUNT(e.id) AS entries,
      COALESCE(SUM(CASE e.direction WHEN 'CREDIT' THEN e.amount ELSE -e.amount END), 0) AS signed_sum
    FROM transactions t LEFT JOIN ledger_entries e ON e.transaction_id = t.id
    GROUP BY t.id, t.kind
    HAVING COUNT(e.id) < 2 OR COALESCE(SUM(CASE e.direction WHEN 'CREDIT' THEN e.amount ELSE -e.amount END), 0) <> 0
      OR COUNT(*) FILTER (WHERE e.account_kind = 'USER') <> COALESCE((SELECT k.user_entries FROM unnest(${kindNames}::text[], ${userEntries}::int[]) AS k(kind, user_entries) WHERE k.kind = t.kind::text), -1)
      OR COUNT(*) FILTER (WHERE e.asset_code <> (SELECT t2.asset_code FROM transactions t2 WHERE t2.id = t.id)) > 0`,
};

/**
 * Each user wallet's balance is the sum of its entries, equals its last balance_after, and its
 * sequences run 1..last_sequence without a gap.
 */
export const walletMatchesEntries: Invariant = {
  name: 'wallet balance or sequence disagrees with its entries',
  sql: () => Prisma.sql`/* invariantWalletMatchesEntries */
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
};

/** Each balance_after follows from the one before it. */
export const balanceChain: Invariant = {
  name: 'balance_after chain broken',
  sql: () => Prisma.sql`/* invariantBalanceChain */
    SELECT id, wallet_id, sequence FROM (
      SELECT e.id, e.wallet_id, e.sequence, e.balance_after,
        COALESCE(LAG(e.balance_after) OVER (PARTITION BY e.wallet_id ORDER BY e.sequence), 0)
          + CASE e.direction WHEN 'CREDIT' THEN e.amount ELSE -e.amount END AS expected
      FROM ledger_entries e WHERE e.account_kind = 'USER'
    ) chain WHERE balance_after <> expected`,
};

export const noNegativeBalance: Invariant = {
  name: 'user balance below zero',
  sql: () => Prisma.sql`/* invariantNoNegativeBalance */
    SELECT id, user_id, asset_code, balance FROM wallets WHERE account_kind = 'USER' AND balance < 0`,
};

/** Every transaction is the recorded outcome of exactly one (client, key), and vice versa. */
export const transactionHasKey: Invariant = {
  name: 'transaction without its idempotency outcome',
  sql: () => Prisma.sql`/* invariantTransactionHasKey */
    SELECT t.id FROM transactions t
    LEFT JOIN idempotency_keys i ON i.client_id = t.client_id AND i.key = t.idempotency_key
    WHERE CASE WHEN t.changeset_id IS NULL THEN i.transaction_id IS DISTINCT FROM t.id
               ELSE i.changeset_id IS DISTINCT FROM t.changeset_id OR i.transaction_id IS NOT NULL END`,
};

export const keyHasResult: Invariant = {
  name: 'succeeded key without its transaction or hold',
  sql: () => Prisma.sql`/* invariantKeyHasResult */
    SELECT i.client_id, i.key FROM idempotency_keys i
    LEFT JOIN transactions t ON t.id = i.transaction_id
    LEFT JOIN holds h ON h.id = i.hold_id
    WHERE i.outcome = 'SUCCEEDED' AND t.id IS NULL AND h.id IS NULL
      AND NOT EXISTS (SELECT 1 FROM transactions c WHERE c.changeset_id = i.changeset_id)`,
};

/** The ledger's own checks: double entry, wallets against their entries, every transaction's key. */
export const ledgerInvariants: readonly Invariant[] = [
  entriesSumToZero,
  walletMatchesEntries,
  balanceChain,
  noNegativeBalance,
  transactionHasKey,
  keyHasResult,
];
