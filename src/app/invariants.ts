import type { PrismaClient } from '../../generated/prisma/client';
import { eventInvariants } from '../modules/events/events.invariants';
import { holdInvariants } from '../modules/holds/holds.invariants';
import { ledgerInvariants } from '../modules/ledger/ledger.invariants';
import { lotInvariants } from '../modules/lots/lots.invariants';
import { reversalInvariants } from '../modules/reversals/reversal.invariants';
import { transferInvariants } from '../modules/transfers/transfer.invariants';
import { findBreaches, type Invariant, type InvariantOptions } from '../shared/invariants';

/** Every money check, each kept next to the module whose data it guards. */
export const moneyInvariants: readonly Invariant[] = [
  ...ledgerInvariants,
  ...transferInvariants,
  ...holdInvariants,
  ...reversalInvariants,
  ...lotInvariants,
];

/**
 * The ledger's invariants, checked in SQL over the whole database. Every test ends by running
 * these; the bench runs them after its runs. An empty list means the books balance.
 */
export function findInvariantBreaches(
  prisma: PrismaClient,
  options: InvariantOptions = {},
): Promise<string[]> {
  return findBreaches(prisma, moneyInvariants, options);
}

/** The event feed's outbox against the ledger (tests/support/gateway.ts assertInvariants). */
export function findEventInvariantBreaches(prisma: PrismaClient): Promise<string[]> {
  return findBreaches(prisma, eventInvariants);
}
