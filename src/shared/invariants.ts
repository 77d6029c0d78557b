import type { Prisma, PrismaClient } from '../../generated/prisma/client';

export interface InvariantOptions {
  /**
   * Wallets exempt from the lots-sum rule only: the bench's pgbench ceilings post with the SQL
   * the gateway had before credit lots, to wallets of their own (bench/setup.ts).
   */
  lotsExemptUsers?: string[];
}

/**
 * One named check over the whole database, kept next to the module whose data it guards. `sql`
 * selects the rows that break it (none: it holds); `run` is for a check that words its own
 * problems.
 */
export type Invariant =
  | { name: string; sql: (options: InvariantOptions) => Prisma.Sql }
  | { name: string; run: (prisma: PrismaClient) => Promise<string[]> };

const json = (rows: unknown[]) =>
  JSON.stringify(rows.slice(0, 5), (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));

/**
 * Runs the checks in order and returns what breaks, one line per broken check (its name and the
 * first rows that break it). Empty when every check holds.
 */
export async function findBreaches(
  prisma: PrismaClient,
  checks: readonly Invariant[],
  options: InvariantOptions = {},
): Promise<string[]> {
  const breaches: string[] = [];
  for (const check of checks) {
    if ('run' in check) {
      breaches.push(...(await check.run(prisma)));
      continue;
    }
    const rows = await prisma.$queryRaw<unknown[]>(check.sql(options));
    if (rows.length > 0) breaches.push(`${check.name}: ${json(rows)}`);
  }
  return breaches;
}
