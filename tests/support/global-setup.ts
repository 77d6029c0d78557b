// Jest globalSetup: provides one PostgreSQL server for the whole run and a migrated template
// database that every test file clones, so each file gets an isolated, ready database in
// milliseconds instead of re-running the migrations.
import {
  quoteIdentifier,
  redactConnectionString,
  resolveDatabase,
  withClient as withAdmin,
  withDatabaseName,
  type ResolvedDatabase,
} from '../../src/shared/db/database';
import { applyMigrations } from '../../src/shared/db/migrate';
import { TEMPLATE_DATABASE, TEST_ADMIN_URL_ENV, TEST_DATABASE_PREFIX } from './test-database';

/** The key under which globalTeardown finds the server handle (both run in jest's main process). */
export const GLOBAL_HANDLE_KEY = '__walletTestDatabase';

type GlobalWithHandle = typeof globalThis & { [GLOBAL_HANDLE_KEY]?: ResolvedDatabase };

const log = (message: string): void => {
  if (process.env.TEST_DB_DEBUG) process.stderr.write(`[test-db] ${message}\n`);
};

export default async function globalSetup(): Promise<void> {
  const startedMs = Date.now();
  const database = await resolveDatabase('test', { log });
  (globalThis as GlobalWithHandle)[GLOBAL_HANDLE_KEY] = database;
  try {
    const adminUrl = database.connectionString;
    await withAdmin(adminUrl, async (client) => {
      // On our own embedded server, databases left by a crashed run are ours to remove. A
      // server from DATABASE_URL may be shared with other runs, so nothing else is touched there.
      if (database.embedded) {
        const leftovers = await client.query<{ datname: string }>(
          `SELECT datname FROM pg_database WHERE datname LIKE $1`,
          [`${TEST_DATABASE_PREFIX}%`],
        );
        for (const { datname } of leftovers.rows) {
          await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(datname)} WITH (FORCE)`);
        }
      }
      // Rebuilt on every run so that it always matches the migrations in the working tree.
      await client.query(
        `DROP DATABASE IF EXISTS ${quoteIdentifier(TEMPLATE_DATABASE)} WITH (FORCE)`,
      );
      await client.query(`CREATE DATABASE ${quoteIdentifier(TEMPLATE_DATABASE)}`);
    });

    await applyMigrations(withDatabaseName(adminUrl, TEMPLATE_DATABASE), { log });

    // CREATE DATABASE ... TEMPLATE fails while any session is connected to the template.
    // Forbidding connections guarantees that no test (or stray tool) can hold one open; cloning
    // a database that does not allow connections works, as template0 shows.
    await withAdmin(adminUrl, (client) =>
      client.query(
        `ALTER DATABASE ${quoteIdentifier(TEMPLATE_DATABASE)} WITH ALLOW_CONNECTIONS false`,
      ),
    );

    // Jest starts its workers after globalSetup and they inherit this process's environment.
    process.env[TEST_ADMIN_URL_ENV] = adminUrl;
    log(
      `ready in ${Date.now() - startedMs} ms on ${redactConnectionString(adminUrl)}${database.embedded ? ' (embedded)' : ''}`,
    );
  } catch (error) {
    // Jest does not run globalTeardown when globalSetup fails: stop the server here.
    await database.stop();
    delete (globalThis as GlobalWithHandle)[GLOBAL_HANDLE_KEY];
    throw error;
  }
}
