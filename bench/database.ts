import { promises as fs } from 'node:fs';
import {
  quoteIdentifier,
  redactConnectionString,
  withClient,
  withDatabaseName,
} from '../src/shared/db/database';
import { makeTempDataDir, startEmbeddedPostgres } from '../src/dev/embedded';
import { applyMigrations } from '../src/shared/db/migrate';

/** The bench's own database: fresh for every run, removed afterwards. */
export interface BenchDatabase {
  /** URL of the bench database (what the gateway and pgbench connect to). */
  url: string;
  /** Where it lives, for the report. */
  description: string;
  /** The server's version string (SHOW server_version). */
  serverVersion: string;
  drop(): Promise<void>;
}

/**
 * With BENCH_DATABASE_URL: a new database `wallet_bench_<timestamp>` on that server, dropped at
 * the end. Without it: an embedded PostgreSQL on a temporary data directory, removed at the end.
 * Either way the migrations are applied before anything runs.
 */
export async function provisionDatabase(
  serverUrl: string | undefined,
  log: (m: string) => void,
): Promise<BenchDatabase> {
  const dbName = `wallet_bench_${new Date()
    .toISOString()
    .replace(/[-:T.Z]/g, '')
    .slice(0, 14)}_${process.pid}`;
  let url: string;
  let description: string;
  let cleanup: () => Promise<void>;
  if (serverUrl) {
    await withClient(serverUrl, (client) =>
      client.query(`CREATE DATABASE ${quoteIdentifier(dbName)}`),
    );
    url = withDatabaseName(serverUrl, dbName);
    description = `database ${dbName} on ${redactConnectionString(serverUrl)} (BENCH_DATABASE_URL)`;
    cleanup = async () => {
      await withClient(serverUrl, (client) =>
        client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(dbName)} WITH (FORCE)`),
      );
    };
  } else {
    const temp = await makeTempDataDir('wallet-bench-pg-');
    log(`starting an embedded PostgreSQL in ${temp.dataDir}`);
    const handle = await startEmbeddedPostgres({ dataDir: temp.dataDir, ephemeral: true });
    await withClient(handle.connectionString, (client) =>
      client.query(`CREATE DATABASE ${quoteIdentifier(dbName)}`),
    );
    url = withDatabaseName(handle.connectionString, dbName);
    description = `embedded PostgreSQL (temporary data directory, port ${handle.port}), database ${dbName}`;
    cleanup = async () => {
      await handle.stop();
      await fs.rm(temp.parentDir, { recursive: true, force: true });
    };
  }
  try {
    const { applied } = await applyMigrations(url);
    log(`migrations applied: ${applied.join(', ')}`);
    const serverVersion = await withClient(
      url,
      async (client) =>
        (await client.query<{ server_version: string }>('SHOW server_version')).rows[0]!
          .server_version,
    );
    let dropped = false;
    return {
      url,
      description,
      serverVersion,
      async drop() {
        if (dropped) return;
        dropped = true;
        await cleanup();
      },
    };
  } catch (error) {
    await cleanup().catch(() => undefined);
    throw error;
  }
}

export { withClient };
