import { Prisma } from '../../../generated/prisma/client';

/** A hold that still reserves funds now: defined by the engine, which counts holds under its locks. */
export { activeHoldSql } from '../../money/holds.sql';

/** The same as of an instant (balance at): created by then, not resolved nor expired by then. */
export function activeHoldAtSql(at: Date): Prisma.Sql {
  return Prisma.sql`h.created_at <= ${at}::timestamptz
    AND (h.resolved_at IS NULL OR h.resolved_at > ${at}::timestamptz)
    AND (h.expires_at IS NULL OR h.expires_at > ${at}::timestamptz)`;
}
