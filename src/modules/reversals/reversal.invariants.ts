import { Prisma } from '../../../generated/prisma/client';
import { kindsWhere } from '../../money/kinds';
import type { Invariant } from '../../shared/invariants';

/** The kinds whose reversal may take back less than the amount (allowPartial). */
const partialKinds = kindsWhere((row) => row.reversal?.partial === true);

/**
 * A reversal mirrors its original: same user, asset and amount, the user's side in the other
 * direction, the same system account; and a reversal is never itself reversed.
 */
export const reversalMirrorsOriginal: Invariant = {
  name: 'reversal does not mirror its original',
  sql: () => Prisma.sql`/* invariantReversalMirrorsOriginal */
    SELECT r.id, r.reverses_id FROM transactions r
    JOIN transactions o ON o.id = r.reverses_id
    JOIN ledger_entries ru ON ru.transaction_id = r.id AND ru.account_kind = 'USER'
    JOIN ledger_entries ou ON ou.transaction_id = o.id AND ou.account_kind = 'USER'
    JOIN ledger_entries rs ON rs.transaction_id = r.id AND rs.account_kind <> 'USER'
    JOIN ledger_entries os ON os.transaction_id = o.id AND os.account_kind <> 'USER'
    WHERE o.kind = 'REVERSAL' OR r.user_id <> o.user_id OR r.asset_code <> o.asset_code OR r.amount > o.amount
      OR (r.amount < o.amount AND NOT (o.kind::text = ANY(${partialKinds}::text[])))
      OR ru.direction = ou.direction OR ru.wallet_id <> ou.wallet_id OR rs.account_kind <> os.account_kind`,
};

export const reversalInvariants: readonly Invariant[] = [reversalMirrorsOriginal];
