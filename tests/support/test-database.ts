// Gives each test file its own database, cloned from the migrated template that globalSetup
// builds, so files can run in parallel workers without seeing each other's rows.
import { setTimeout as sleep } from 'node:timers/promises';
import { quoteIdentifier, withClient, withDatabaseName } from '../../src/shared/db/database';

export const TEMPLATE_DATABASE = 'wallet_test_template';
/** Every database created here starts with this prefix (globalSetup cleans up leftovers). */
export const TEST_DATABASE_PREFIX = 'wt_';
/** The environment variable through which globalSetup hands the server's admin URL to workers. */
export const TEST_ADMIN_URL_ENV = 'TEST_ADMIN_DATABASE_URL';

const MAX_IDENTIFIER_LENGTH = 63;
const CLONE_ATTEMPTS = 8;

let counter = 0;

/** The admin (maintenance database) URL of the test server; fails clearly outside jest's globalSetup. */
export function testAdminUrl(): string {
  const url = process.env[TEST_ADMIN_URL_ENV];
  if (!url) {
    throw new Error(
      `${TEST_ADMIN_URL_ENV} is not set: run tests through jest, whose globalSetup (tests/support/global-setup.ts) sets it`,
    );
  }
  return url;
}

/** `wt_<label>_<pid>_<counter>`, lowercase [a-z0-9_], cut to PostgreSQL's 63-byte identifier limit. */
export function testDatabaseName(
  label: string,
  pid: number = process.pid,
  n: number = ++counter,
): string {
  const suffix = `_${pid}_${n}`;
  const room = MAX_IDENTIFIER_LENGTH - TEST_DATABASE_PREFIX.length - suffix.length;
  const cleaned =
    label
      .toLowerCase()
      .replace(/[^a-z0-9_]+/g, '_')
      .replace(/_+/g, '_')
      .replace(/^_|_$/g, '')
      .slice(0, Math.max(room, 0))
      .replace(/_$/, '') || 'db';
  return `${TEST_DATABASE_PREFIX}${cleaned}${suffix}`;
}

export interface TestDatabase {
  name: string;
  connectionString: string;
  /** Drops the database, disconnecting any session still using it. Safe to call twice. */
  drop(): Promise<void>;
}

export interface CreateTestDatabaseOptions {
  /**
   * Start from an empty database (cloned from template0) instead of the migrated template, for
   * tests of the migrations themselves.
   */
  empty?: boolean;
}

/**
 * Creates a fresh database for one test file from the migrated template. Cloning fails while
 * another session is connected to the source (globalSetup forbids connections to the template,
 * but PostgreSQL also counts a concurrent clone's own short-lived session), or briefly while a
 * concurrent jest run on a shared server rebuilds it; both are retried with a short backoff.
 */
export async function createTestDatabase(
  label: string,
  options: CreateTestDatabaseOptions = {},
): Promise<TestDatabase> {
  const adminUrl = testAdminUrl();
  const source = options.empty ? 'template0' : TEMPLATE_DATABASE;
  let name = testDatabaseName(label);
  await withClient(testAdminUrl(), async (client) => {
    for (let attempt = 1; ; attempt++) {
      try {
        await client.query(
          `CREATE DATABASE ${quoteIdentifier(name)} TEMPLATE ${quoteIdentifier(source)}`,
        );
        return;
      } catch (error) {
        const { code, message } = error as { code?: string; message: string };
        if (attempt >= CLONE_ATTEMPTS)
          throw new Error(`Cannot create test database ${name} from ${source}: ${message}`);
        // 42P04: a database of that name is left from an earlier process with the same pid.
        if (code === '42P04') {
          name = testDatabaseName(label);
          continue;
        }
        // 55006: "source database is being accessed by other users"; 3D000: template missing
        // while another run rebuilds it.
        const retryable =
          code === '55006' || code === '3D000' || /being accessed by other users/.test(message);
        if (!retryable)
          throw new Error(`Cannot create test database ${name} from ${source}: ${message}`);
        await sleep(100 * attempt + Math.floor(Math.random() * 100));
      }
    }
  });

  let dropped: Promise<void> | undefined;
  return {
    name,
    connectionString: withDatabaseName(adminUrl, name),
    drop() {
      dropped ??= withClient(testAdminUrl(), async (client) => {
        await client.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(name)} WITH (FORCE)`);
      });
      return dropped;
    },
  };
}
