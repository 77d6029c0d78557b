import { Prisma } from '../../generated/prisma/client';

/**
 * The one definition of a hold that still reserves funds: ACTIVE and not past its expiry (judged
 * by the database clock). A hold past its expiry reserves nothing from that instant on, before the
 * sweep records it EXPIRED. Every read and every decision counts holds with this predicate, on a
 * `holds` row aliased `h`. The engine owns it (its lock reads holds); the holds module uses it.
 */
export const activeHoldSql = Prisma.sql`h.status = 'ACTIVE' AND (h.expires_at IS NULL OR h.expires_at > clock_timestamp())`;

/** The same as of an instant (balance at): created by then, not resolved nor expired by then. */
export function activeHoldAtSql(at: Date): Prisma.Sql {
  return Prisma.sql`h.created_at <= ${at}::timestamptz
    AND (h.resolved_at IS NULL OR h.resolved_at > ${at}::timestamptz)
    AND (h.expires_at IS NULL OR h.expires_at > ${at}::timestamptz)`;
}
