// Proves that /readyz answers 200 only with the demo data complete, and that a crowd of probes is answered through the gateway's pool without opening database connections.
import { withClient } from '../../src/shared/db/database';
import { mintTokens, startChildGateway, useChildGatewayFixture } from '../support/child-gateway';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { testAdminUrl } from '../support/test-database';

const fx = useChildGatewayFixture('readiness_seed');

it('answers the first 200 only once alice and bob have all their demo balances', async () => {
  // startChildGateway polls /readyz every 40 ms and returns on the first 200; the seed (six
  // transactions) takes longer than that, so a gateway that listened before seeding is caught.
  fx.gateway = await startChildGateway(
    { databaseUrl: fx.testDb.connectionString, env: { SEED_DEMO: 'true' } },
    120_000,
  );
  const token = (await mintTokens(['readiness-probe'])).get('readiness-probe')!;
  const response = await fetch(fx.gateway.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      query:
        '{ alice: balances(userId: "alice") { balance asset { code } } bob: balances(userId: "bob") { balance asset { code } } }',
    }),
  });
  const body = (await response.json()) as {
    data: Record<'alice' | 'bob', { balance: string; asset: { code: string } }[]>;
  };
  const expected = [
    { asset: { code: 'DIAMONDS' }, balance: '500' },
    { asset: { code: 'GOLD_COINS' }, balance: '1000' },
    { asset: { code: 'LOYALTY_POINTS' }, balance: '5000' },
  ];
  const sorted = (wallets: { balance: string; asset: { code: string } }[]) =>
    [...wallets].sort((a, b) => a.asset.code.localeCompare(b.asset.code));
  expect(sorted(body.data.alice)).toEqual(expected);
  expect(sorted(body.data.bob)).toEqual(expected);
}, 180_000);

describe('a crowd of /readyz probes', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway('readiness_probes');
  }, 120_000);
  afterAll(async () => {
    await gw?.stop();
  });

  /** Sessions ever opened to the test's database, as PostgreSQL counts them. */
  const sessionsOpened = (database: string) =>
    withClient(testAdminUrl(), async (client) => {
      const { rows } = await client.query<{ sessions: string }>(
        'SELECT sessions FROM pg_stat_database WHERE datname = $1',
        [database],
      );
      return Number(rows[0]!.sessions);
    });

  it('opens no database connection for 3 rounds of 60 concurrent probes', async () => {
    const database = new URL(gw.connectionString).pathname.slice(1);
    const readyz = new URL('/readyz', gw.url).toString();
    const probe = async () => {
      const response = await fetch(readyz);
      return {
        status: response.status,
        body: (await response.json()) as { ready: boolean; database: string },
      };
    };
    // Warm: the pool holds an idle connection, as it does on any gateway that has served.
    expect((await probe()).status).toBe(200);
    const before = await sessionsOpened(database);
    const answers = [];
    for (let round = 0; round < 3; round++) {
      // Past the cache, so that each round runs a real check.
      await new Promise((resolve) => setTimeout(resolve, 1_200));
      answers.push(...(await Promise.all(Array.from({ length: 60 }, probe))));
    }
    // A backend counts its session in the shared statistics when it exits or reports: wait for that.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const opened = (await sessionsOpened(database)) - before;
    expect(answers).toHaveLength(180);
    expect(answers.every((a) => a.status === 200 && a.body.ready && a.body.database === 'ok')).toBe(
      true,
    );
    // Each probe of the old /readyz opened its own connection (180 here). The pool may replace one
    // idle connection it closed meanwhile; nothing more.
    expect(opened).toBeLessThanOrEqual(1);
  }, 120_000);
});
