import { createPendingMigrationsCheck, type MigrationQueryable } from './db/migrate';

export interface Readiness {
  ready: boolean;
  database: 'ok' | 'unreachable';
  pendingMigrations?: string[];
}

export interface ReadinessCheckOptions {
  /** The gateway's own pool: a probe must never open a connection of its own. */
  pool: MigrationQueryable;
  connectionString: string;
  /** How long one answer is reused; probes arriving meanwhile share it. */
  cacheMs: number;
  migrationsDir?: string;
}

/**
 * The /readyz answer: the database answers and every migration on disk is applied. Probes come
 * from load balancers, orchestrators and scripts, often many at once; each uncached check is one
 * query on the existing pool, concurrent callers share the check in flight, and the answer is
 * kept for `cacheMs`, so that probing never competes with money traffic for connections.
 * The migration files are read once here, at start.
 */
export async function createReadinessCheck(
  options: ReadinessCheckOptions,
): Promise<() => Promise<Readiness>> {
  const pendingMigrations = await createPendingMigrationsCheck(options.connectionString, {
    migrationsDir: options.migrationsDir,
  });
  let cached: { answer: Readiness; atMs: number } | undefined;
  let inFlight: Promise<Readiness> | undefined;

  const check = async (): Promise<Readiness> => {
    try {
      const pending = await pendingMigrations(options.pool);
      return pending.length === 0
        ? { ready: true, database: 'ok' }
        : { ready: false, database: 'ok', pendingMigrations: pending };
    } catch {
      return { ready: false, database: 'unreachable' };
    }
  };

  return () => {
    if (cached && Date.now() - cached.atMs < options.cacheMs) return Promise.resolve(cached.answer);
    inFlight ??= check().then((answer) => {
      // Only a ready answer is kept: after an outage, the first probe once the database is back
      // must say so, not repeat a failure from the second before.
      cached = answer.ready ? { answer, atMs: Date.now() } : undefined;
      inFlight = undefined;
      return answer;
    });
    return inFlight;
  };
}
