/**
 * `npm run db:migrate`: brings the database up to date with prisma/migrations.
 *
 * With DATABASE_URL set it migrates that database, creating it first (through the `postgres`
 * maintenance database on the same server) when it does not exist yet. Without DATABASE_URL it
 * starts the embedded PostgreSQL in .data/postgres, migrates it and stops it again. It prints
 * what it applied and exits non-zero with a one-paragraph reason on any failure.
 */
// First: a development .env file must be in process.env before any module reads it.
import '../shared/env-file';
import { Client } from 'pg';
import {
  databaseNameOf,
  ensureDatabase,
  redactConnectionString,
  resolveDatabase,
  withDatabaseName,
} from '../shared/db/database';
import { applyMigrations } from '../shared/db/migrate';
import { pgConnectionConfig } from '../shared/db/multi-host';

const log = (message: string): void => {
  // Progress goes to stderr so that stdout carries only the result.
  process.stderr.write(`[db:migrate] ${message}\n`);
};

/** SQLSTATE 3D000: the database named in the URL does not exist. */
async function databaseMissing(connectionString: string): Promise<boolean> {
  const client = new Client(pgConnectionConfig(connectionString));
  client.on('error', () => undefined);
  try {
    await client.connect();
    return false;
  } catch (error) {
    if ((error as { code?: string }).code === '3D000') return true;
    throw new Error(
      `Cannot connect to ${redactConnectionString(connectionString)}: ${(error as Error).message}`,
    );
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function main(): Promise<void> {
  // Server start-up chatter from the embedded PostgreSQL is left out; our own lines are kept.
  const database = await resolveDatabase('app', {
    log: (m) => (m.startsWith('[postgres]') ? undefined : log(m)),
  });
  try {
    const target = database.connectionString;
    log(`Target ${redactConnectionString(target)}${database.embedded ? ' (embedded)' : ''}`);

    const dbName = databaseNameOf(target);
    if (dbName && (await databaseMissing(target))) {
      const created = await ensureDatabase(withDatabaseName(target, 'postgres'), dbName);
      log(created ? `Created database ${dbName}` : `Database ${dbName} was created concurrently`);
    }

    const result = await applyMigrations(target, { log });
    if (result.applied.length === 0) {
      console.log(
        `Database is up to date (${result.alreadyApplied.length} migrations already applied).`,
      );
    } else {
      console.log(`Applied ${result.applied.length} migration(s):`);
      for (const name of result.applied) console.log(`  ${name}`);
      if (result.alreadyApplied.length > 0)
        console.log(`(${result.alreadyApplied.length} were already applied.)`);
    }
  } finally {
    await database.stop();
  }
}

main().then(
  () => {
    process.exitCode = 0;
  },
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`db:migrate failed: ${message}\n`);
    process.exitCode = 1;
  },
);
