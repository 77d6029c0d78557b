import type { PrismaClient } from '../../../generated/prisma/client';
import { eventStore } from './events.store';

/**
 * The outbox agrees with the ledger: exactly one TRANSACTION event per committed transaction, and
 * no event for a transaction that does not exist. Empty when all is well; the tests call it after
 * every workload (tests/support/gateway.ts assertInvariants).
 */
export function findEventInvariantBreaches(prisma: PrismaClient): Promise<string[]> {
  return eventStore.transactionEventBreaches(prisma);
}
