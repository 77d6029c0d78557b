import { Prisma } from '../../../generated/prisma/client';
import type { Invariant } from '../../shared/invariants';

/**
 * A TRANSFER takes its amount from the sender's wallet (userId) and gives it to the recipient's
 * (counterpartyUserId), and never touches a system account.
 */
export const transferShape: Invariant = {
  name: 'transfer does not move from sender to recipient',
  sql: () => Prisma.sql`/* invariantTransferShape */
    SELECT t.id FROM transactions t
    WHERE t.kind = 'TRANSFER' AND NOT (
      EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id AND e.account_kind = 'USER' AND e.user_id = t.user_id AND e.direction = 'DEBIT' AND e.amount = t.amount)
      AND EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id AND e.account_kind = 'USER' AND e.user_id = t.counterparty_user_id AND e.direction = 'CREDIT' AND e.amount = t.amount)
      AND NOT EXISTS (SELECT 1 FROM ledger_entries e WHERE e.transaction_id = t.id AND e.account_kind <> 'USER'))`,
};

/** The legs of a changeset share its client and key and are numbered 0..n-1 without a gap. */
export const changesetLegs: Invariant = {
  name: 'changeset legs are not numbered 0..n-1 under one key',
  sql: () => Prisma.sql`/* invariantChangesetLegs */
    SELECT t.changeset_id FROM transactions t WHERE t.changeset_id IS NOT NULL
    GROUP BY t.changeset_id
    HAVING MIN(t.leg_index) <> 0 OR MAX(t.leg_index) <> COUNT(*) - 1 OR COUNT(DISTINCT t.leg_index) <> COUNT(*)
      OR COUNT(DISTINCT (t.client_id, t.idempotency_key)) <> 1`,
};

export const transferInvariants: readonly Invariant[] = [transferShape, changesetLegs];
