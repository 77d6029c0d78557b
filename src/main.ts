import 'reflect-metadata';
import { setFlagsFromString } from 'node:v8';
// First: a development .env file must be in process.env before any module reads it.
import './shared/env-file';
import { loadConfig } from './shared/config';
import { resolveDatabase } from './shared/db/database';
import { applyMigrations } from './shared/db/migrate';
import { createDatabase } from './shared/db/prisma';
import { limits } from './shared/limits';
import { logger } from './shared/logger';
import {
  devTokensBanner,
  withDevSecret,
  writeDevTokens,
  type DevTokens,
} from './shared/auth/dev-credentials';
import { seedDemo } from './seed/demo';
import { startGateway, type Gateway } from './app/gateway';
import type { Database } from './shared/db/prisma';
import type { ResolvedDatabase } from './shared/db/database';

/**
 * Bounds the garbage V8 keeps between full collections (see limits.heapGrowthPercent). V8 reads
 * this flag at every collection, so setting it at start takes effect; a flag given on the command
 * line wins.
 */
function boundHeapGrowth(): void {
  if (process.execArgv.some((arg) => arg.startsWith('--heap-growing-percent'))) return;
  setFlagsFromString(`--heap-growing-percent=${limits.heapGrowthPercent}`);
}

/** What the process has started so far, stopped in reverse order on SIGINT/SIGTERM. */
interface Started {
  resolved?: ResolvedDatabase;
  database?: Database;
  gateway?: Gateway;
  stopping: boolean;
}

/**
 * The gateway process. `--demo` (npm start) migrates, seeds the demo data and serves; without it
 * (the production entry, the image's command) it never seeds and expects migrations applied by
 * `prisma migrate deploy`, unless MIGRATE_ON_START says otherwise.
 */
async function main(): Promise<void> {
  boundHeapGrowth();
  const demo = process.argv.includes('--demo');
  // Handled from the first moment: a Ctrl-C while the embedded database starts stops it too.
  const started: Started = { stopping: false };
  process.on('SIGINT', () => onSignal(started, 'SIGINT'));
  process.on('SIGTERM', () => onSignal(started, 'SIGTERM'));
  // loadConfig refuses a production start without a verification key; outside production a
  // missing key means a generated development secret and printed tokens.
  const { config, devSecret } = withDevSecret(loadConfig());
  if (devSecret)
    logger.warn(
      'no JWT configuration: using the development secret in .data/dev-secret (never do this in production)',
    );
  // Written before the server listens, so that whoever waits for /readyz finds current tokens.
  // Only against the generated development secret: with a real JWT_SECRET configured, minting and
  // printing tokens would put working credentials for that deployment in logs and on disk.
  const devTokens: DevTokens | undefined = devSecret ? await writeDevTokens(config) : undefined;
  const resolved = (started.resolved = await openDatabase(config, demo));
  if (started.stopping) return stopAll(started);
  started.database = createDatabase({
    connectionString: resolved.connectionString,
    poolMax: config.DB_POOL_MAX,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
  });
  // The demo data goes in before the port opens: a client that starts the moment /readyz says
  // 200 (or the moment it can connect at all) finds alice and bob complete.
  const seed = demo || config.SEED_DEMO;
  const gateway = await startGateway({
    config,
    database: started.database,
    connectionString: resolved.connectionString,
    beforeListen: seed
      ? async (services) => {
          const seeded = await seedDemo(services);
          logger.info(seeded, 'demo data ready: alice and bob');
        }
      : undefined,
  });
  started.gateway = gateway;
  if (started.stopping) return stopAll(started);
  console.log(
    devTokens
      ? `\nWallet gateway ready at ${gateway.url}\n${devTokensBanner(gateway.url, devTokens)}\n`
      : `\nWallet gateway ready at ${gateway.url}\n`,
  );
}

/** The database: DATABASE_URL or the embedded server, migrated first when asked to. */
async function openDatabase(
  config: ReturnType<typeof loadConfig>,
  demo: boolean,
): Promise<ResolvedDatabase> {
  // The embedded server's own lines go to debug; where it runs and where its data is (which, as
  // root under a private folder, is not the checkout) goes to info.
  const resolved = await resolveDatabase('app', {
    log: (message) =>
      message.startsWith('[postgres]') ? logger.debug(message) : logger.info(message),
  });
  if (resolved.embedded)
    logger.info(`no DATABASE_URL: using the embedded PostgreSQL, data in ${resolved.dataDir}`);
  if (demo || config.MIGRATE_ON_START) {
    const { applied } = await applyMigrations(resolved.connectionString, {
      log: (message) => logger.info(message),
    });
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  }
  return resolved;
}

/** SIGINT/SIGTERM: stops now, or, mid-start, once main has finished the step in progress. */
function onSignal(started: Started, signal: string): void {
  if (started.stopping) return;
  started.stopping = true;
  logger.info({ signal }, 'shutting down');
  const forced = setTimeout(() => {
    logger.error('shutdown took too long; exiting');
    process.exit(1);
  }, 15_000);
  forced.unref();
  if (started.gateway) void stopAll(started);
}

/**
 * Stops in order, quietly: the gateway (no new requests, in-flight ones finish, background jobs,
 * the LISTEN connection and its own pools), then the main pool, then the database, so that
 * PostgreSQL never terminates a connection still open.
 */
async function stopAll(started: Started): Promise<void> {
  await started.gateway?.stop();
  await started.database?.close();
  await started.resolved?.stop();
  process.exit(0);
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, 'gateway failed to start');
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
