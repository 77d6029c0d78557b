import 'reflect-metadata';
// First: a development .env file must be in process.env before any module reads it.
import '../shared/env-file';
import { loadConfig } from '../shared/config';
import { resolveDatabase } from '../shared/db/database';
import { applyMigrations } from '../shared/db/migrate';
import { createDatabase } from '../shared/db/prisma';
import { createServices } from '../app/services';
import { seedDemo } from '../seed/demo';

/** `npm run db:seed`: applies migrations, then the idempotent demo seed. */
async function main(): Promise<void> {
  const config = loadConfig();
  const resolved = await resolveDatabase('app', {
    log: (message) => (message.startsWith('[postgres]') ? undefined : console.log(message)),
  });
  await applyMigrations(resolved.connectionString);
  const database = createDatabase({
    connectionString: resolved.connectionString,
    poolMax: 4,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
  });
  try {
    const result = await seedDemo(createServices(database, config));
    console.log(`demo seed: ${result.applied} credits applied, ${result.replayed} already there`);
  } finally {
    await database.close();
    await resolved.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
