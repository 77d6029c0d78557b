// Proves the pooled connections carry the settings the money path relies on: READ COMMITTED transactions and a statement timeout.
import { createDatabase } from '../../src/shared/db/prisma';
import { runTransaction } from '../../src/shared/db/transaction';
import { createTestDatabase } from '../support/test-database';

it('money transactions run at READ COMMITTED with the configured statement timeout', async () => {
  const testDb = await createTestDatabase('dbsettings');
  const database = createDatabase({
    connectionString: testDb.connectionString,
    poolMax: 2,
    connectTimeoutMs: 2000,
    statementTimeoutMs: 4321,
  });
  try {
    const settings = await runTransaction(
      database.prisma,
      { maxWaitMs: 2000, timeoutMs: 5000 },
      async (tx) => {
        const [row] = await tx.$queryRaw<{ isolation: string; timeout: string }[]>`
        SELECT current_setting('transaction_isolation') AS isolation, current_setting('statement_timeout') AS timeout`;
        return row;
      },
    );
    expect(settings).toEqual({ isolation: 'read committed', timeout: '4321ms' });
  } finally {
    await database.close();
    await testDb.drop();
  }
});
