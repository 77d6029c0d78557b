import type { Invariant } from '../../shared/invariants';
import { eventStore } from './events.store';

/**
 * The outbox agrees with the ledger: exactly one TRANSACTION event per committed transaction, and
 * no event for a transaction that does not exist (the check words its own problems).
 */
export const transactionEvents: Invariant = {
  name: 'one TRANSACTION event per transaction',
  run: (prisma) => eventStore.transactionEventBreaches(prisma),
};

export const eventInvariants: readonly Invariant[] = [transactionEvents];
