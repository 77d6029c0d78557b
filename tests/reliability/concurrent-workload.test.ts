// Proves that a seeded random workload of concurrent, retried and conflicting mutations on a few hot wallets keeps every ledger invariant and every idempotency promise.
import { Client } from 'pg';
import { useTestGateway } from '../support/use-test-gateway';
import {
  availableKinds,
  Bookkeeper,
  lotFigures,
  reliabilitySize,
  deriveSeed,
  describeSeed,
  findAllBreaches,
  httpSender,
  planWorkload,
  reliabilitySeed,
  resolveUndecided,
  runWorkload,
  sized,
} from '../support/workload';
import { inputMutation } from '../support/documents';

const seed = reliabilitySeed();

// The sweep runs often, so that the workload's expiring credits are swept (EXPIRY) during the run.
const t = useTestGateway('rel_workload', { env: { HOLD_SWEEP_INTERVAL_MS: '500' } });

it(
  'keeps every invariant under a random concurrent workload with retries',
  async () => {
    const clients = ['rel-client-a', 'rel-client-b', 'rel-client-c'];
    const tokens = new Map<string, string>();
    for (const client of clients)
      tokens.set(client, await t.mintToken({ sub: client, role: 'server' }));
    tokens.set('rel-admin', await t.mintToken({ sub: 'rel-admin', role: 'admin' }));
    // The goal size spreads its 100,000 operations over more hot wallets, so that they fit in the time.
    const users = Array.from({ length: sized('USERS', 4, 4, 16) }, (_, i) => `hot-${i + 1}`);
    const assets = ['GOLD_COINS', 'DIAMONDS'];
    const plan = planWorkload({
      seed: deriveSeed(seed, 'concurrent-workload'),
      operations: sized('OPERATIONS', 800, 6000, 100_000),
      clients,
      users,
      assets,
      kinds: availableKinds(),
    });
    const book = new Bookkeeper();
    const send = httpSender(() => t.url, tokens);
    const startedMs = Date.now();
    try {
      const admin = {
        client: 'rel-admin',
        seed: deriveSeed(seed, 'concurrent-workload:admin'),
        users,
        assets,
      };
      // A bound on the run's time, for a soak that must end by a given hour: the workload then stops
      // taking new operations and the log line says how many ran (0: no bound).
      const workloadMaxMs = sized('WORKLOAD_MAX_MS', 0, 0);
      const stop = () => workloadMaxMs > 0 && Date.now() - startedMs > workloadMaxMs;
      await runWorkload({ plan, book, send, concurrency: sized('CLIENTS', 12, 32), admin, stop });
      await resolveUndecided({ book, send });
      const breaches = await findAllBreaches(t.database.prisma, book, { allDecided: true });
      const stats = book.stats();
      console.log(
        `concurrent workload: ${JSON.stringify({ seed, ms: Date.now() - startedMs, planned: plan.length, users: users.length, kinds: availableKinds(), ...stats, ...(await lotFigures(t.database.prisma, book)) })}`,
      );
      expect(breaches).toEqual([]);
      // Nothing was lost on a healthy gateway, and the mix really exercised every path.
      expect(stats.unknownAnswers).toBe(0);
      expect(stats.successes).toBeGreaterThan(100);
      expect(stats.replays).toBeGreaterThan(10);
      expect(stats.refusals).toBeGreaterThan(10);
      expect(stats.reusedRefusals).toBeGreaterThan(10);
    } catch (error) {
      throw new Error(
        `${describeSeed(seed, 'tests/reliability/concurrent-workload.test.ts')}\n${(error as Error).message}`,
      );
    }
  },
  reliabilitySize === 'goal' ? 2_700_000 : 900_000,
);

// Regression (found by the workload above): a money transaction that waited for the wallet lock
// used the held amount of the moment it started waiting, so it missed a hold committed by the
// transaction it waited for and could spend reserved funds (or saw balance < held on a capture).
it('a spend that waits for the wallet lock sees the hold committed meanwhile', async () => {
  const top = await t.gql(inputMutation('topup', `wallet { balance }`), {
    input: { userId: 'race-user', asset: 'GOLD_COINS', amount: '100', idempotencyKey: 'race-top' },
  });
  expect(top.errors).toBeUndefined();
  const client = new Client({ connectionString: t.connectionString });
  await client.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query(
      `SELECT id FROM wallets WHERE user_id = 'race-user' AND asset_code = 'GOLD_COINS' FOR UPDATE`,
    );
    const walletId = rows[0].id as string;
    const spend = t.gql(inputMutation('spend', `wallet { balance available }`), {
      input: {
        userId: 'race-user',
        asset: 'GOLD_COINS',
        amount: '50',
        idempotencyKey: 'race-spend',
      },
    });
    // Wait until the spend is queued behind our lock.
    for (let i = 0; ; i += 1) {
      const waiting = await client.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (waiting.rowCount) break;
      if (i > 200) throw new Error('the spend never waited for the wallet lock');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    // What the holds service does under the same lock: a hold of 80 and its key's outcome.
    const hold = await client.query(
      `INSERT INTO holds (client_id, idempotency_key, wallet_id, user_id, asset_code, amount) VALUES ('race-client', 'race-hold', $1, 'race-user', 'GOLD_COINS', 80) RETURNING id`,
      [walletId],
    );
    await client.query(
      `INSERT INTO idempotency_keys (client_id, key, operation, request_hash, outcome, hold_id) VALUES ('race-client', 'race-hold', 'hold', 'x', 'SUCCEEDED', $1)`,
      [hold.rows[0].id],
    );
    // ...and the wallet's holds hint, which insertHold sets in the same statement.
    await client.query(`UPDATE wallets SET may_have_holds = true WHERE id = $1`, [walletId]);
    await client.query('COMMIT');
    const answer = await spend;
    expect(answer.errors?.[0]?.extensions?.code).toBe('INSUFFICIENT_FUNDS');
  } finally {
    await client.end();
  }
}, 900_000);
