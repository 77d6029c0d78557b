// Proves group commit: batches really form under load; one batch holding a refused operation, a duplicate key, ten operations on one hot wallet and a key decided meanwhile by a second gateway resolves each exactly as a lone request would; and a key recorded elsewhere while a batch waits for its locks is seen without retrying the batch.
import { Client as PgClient } from 'pg';
import type { Gateway } from '../../src/app/gateway';
import type { Principal } from '../../src/shared/auth/principal';
import { errorCode, startReplica, type Replica } from '../support/gateway';
import { parseMetrics, sampleValue } from '../support/metrics-text';
import { useTestGateway } from '../support/use-test-gateway';

let b: Replica | undefined;
const a = useTestGateway('group_commit', {
  beforeStop: async () => {
    await b?.stop();
  },
});

const server: Principal = { subject: 'game-server-1', role: 'server' };
const TOPUP = `mutation($input: TopupInput!) { topup(input: $input) { transaction { id } } }`;

async function batchHistogram(): Promise<{ count: number; sum: number }> {
  const samples = parseMetrics(
    await (await fetch(a.gateway.url.replace(/\/graphql$/, '/metrics'))).text(),
  );
  return {
    count: sampleValue(samples, 'wallet_batch_operations_count') ?? 0,
    sum: sampleValue(samples, 'wallet_batch_operations_sum') ?? 0,
  };
}

/** What a call settles to, as a lone request's answer would: its result or its error code. */
async function settle<T>(call: Promise<T>): Promise<{ ok: T } | { code: string }> {
  try {
    return { ok: await call };
  } catch (error) {
    return {
      code: String(
        (error as { extensions?: { code?: unknown } }).extensions?.code ?? (error as Error).message,
      ),
    };
  }
}

/** A second gateway process's services on the same database (started once, stopped with `a`). */
async function secondGateway(): Promise<Gateway> {
  b ??= await startReplica(a, { poolMax: 4 });
  return b.gateway;
}

it('batches form under load: 64 concurrent topups share fewer database transactions', async () => {
  const before = await batchHistogram();
  const results = await Promise.all(
    Array.from({ length: 64 }, (_, i) =>
      a.gql(TOPUP, {
        input: {
          userId: `gc-load-${i}`,
          asset: 'GOLD_COINS',
          amount: '10',
          idempotencyKey: `gc-load-${i}`,
        },
      }),
    ),
  );
  for (const res of results) expect(errorCode(res)).toBeUndefined();
  const after = await batchHistogram();
  const operations = after.sum - before.sum;
  const transactions = after.count - before.count;
  expect(operations).toBe(64);
  expect(transactions).toBeLessThan(64);
});

it('one batch: a refusal, a duplicate key, ten spends on a hot wallet and a key another gateway decided', async () => {
  const wallet = a.gateway.services.wallet;
  await wallet.topup(server, {
    userId: 'gc-hot',
    asset: 'GOLD_COINS',
    amount: 5n,
    idempotencyKey: 'gc-hot-fund',
  });
  await wallet.topup(server, {
    userId: 'gc-blocker',
    asset: 'GOLD_COINS',
    amount: 5n,
    idempotencyKey: 'gc-blocker-fund',
  });
  const other = await secondGateway();

  // Hold the blocker wallet's row, so that two operations on it occupy both of the engine's
  // transactions in flight; everything sent meanwhile queues and forms the next batch.
  const pg = new PgClient({ connectionString: a.connectionString });
  await pg.connect();
  await pg.query('BEGIN');
  await pg.query(`SELECT id FROM wallets WHERE user_id = 'gc-blocker' FOR UPDATE`);
  const blocked = [1, 2].map((i) =>
    settle(
      wallet.spend(server, {
        userId: 'gc-blocker',
        asset: 'GOLD_COINS',
        amount: 1n,
        idempotencyKey: `gc-blocked-${i}`,
      }),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, 300));

  // The second gateway decides a key first; the batch then replays it.
  const decidedElsewhere = await other.services.wallet.topup(server, {
    userId: 'gc-other',
    asset: 'GOLD_COINS',
    amount: 7n,
    idempotencyKey: 'gc-shared-key',
  });
  const before = await batchHistogram();
  const batch = [
    settle(
      wallet.spend(server, {
        userId: 'gc-poor',
        asset: 'GOLD_COINS',
        amount: 1n,
        idempotencyKey: 'gc-refused',
      }),
    ),
    settle(
      wallet.topup(server, {
        userId: 'gc-dup',
        asset: 'GOLD_COINS',
        amount: 3n,
        idempotencyKey: 'gc-dup',
      }),
    ),
    settle(
      wallet.topup(server, {
        userId: 'gc-dup',
        asset: 'GOLD_COINS',
        amount: 3n,
        idempotencyKey: 'gc-dup',
      }),
    ),
    ...Array.from({ length: 10 }, (_, i) =>
      settle(
        wallet.spend(server, {
          userId: 'gc-hot',
          asset: 'GOLD_COINS',
          amount: 1n,
          idempotencyKey: `gc-hot-${i}`,
        }),
      ),
    ),
    settle(
      wallet.topup(server, {
        userId: 'gc-other',
        asset: 'GOLD_COINS',
        amount: 7n,
        idempotencyKey: 'gc-shared-key',
      }),
    ),
  ];
  await new Promise((resolve) => setTimeout(resolve, 100));
  await pg.query('COMMIT');
  await pg.end();
  const outcomes = await Promise.all(batch);
  for (const outcome of await Promise.all(blocked)) expect(outcome).toHaveProperty('ok');

  const after = await batchHistogram();
  // The two blocked transactions had started before; once they ended, one transaction carried all
  // 14 queued operations.
  expect(after.sum - before.sum).toBe(14);
  expect(after.count - before.count).toBe(1);

  expect(outcomes[0]).toEqual({ code: 'INSUFFICIENT_FUNDS' });
  const [first, second] = [outcomes[1], outcomes[2]] as { ok: any }[];
  expect([first!.ok.replayed, second!.ok.replayed]).toEqual([false, true]);
  expect(second!.ok.transaction.id).toBe(first!.ok.transaction.id);
  const hot = outcomes.slice(3, 13);
  expect(hot.filter((o) => 'ok' in o)).toHaveLength(5);
  expect(hot.filter((o) => 'code' in o).map((o) => (o as { code: string }).code)).toEqual(
    Array(5).fill('INSUFFICIENT_FUNDS'),
  );
  const shared = outcomes[13] as { ok: any };
  expect(shared.ok.replayed).toBe(true);
  expect(shared.ok.transaction.id).toBe(decidedElsewhere.transaction.id);
  expect((await wallet.balance(server, 'gc-hot', 'GOLD_COINS')).balance).toBe(0n);
  expect((await wallet.balance(server, 'gc-other', 'GOLD_COINS')).balance).toBe(7n);
  expect((await wallet.balance(server, 'gc-dup', 'GOLD_COINS')).balance).toBe(3n);
  // The refusal is recorded and replays, like a lone request's.
  expect(
    await settle(
      wallet.spend(server, {
        userId: 'gc-poor',
        asset: 'GOLD_COINS',
        amount: 1n,
        idempotencyKey: 'gc-refused',
      }),
    ),
  ).toEqual({ code: 'INSUFFICIENT_FUNDS' });
});

it('a key another gateway records while the batch waits for its locks is replayed without a retry', async () => {
  const wallet = a.gateway.services.wallet;
  const other = await secondGateway();
  await wallet.topup(server, {
    userId: 'gc-wait',
    asset: 'GOLD_COINS',
    amount: 5n,
    idempotencyKey: 'gc-wait-fund',
  });
  const lockStatements: string[] = [];
  (a.database.prisma as any).$on('query', (event: { query: string }) => {
    if (event.query.includes('/* lockWallets */')) lockStatements.push(event.query);
  });

  // Hold gc-wait's row: the batch takes its advisory locks, then waits for this row lock.
  const pg = new PgClient({ connectionString: a.connectionString });
  await pg.connect();
  await pg.query('BEGIN');
  await pg.query(`SELECT id FROM wallets WHERE user_id = 'gc-wait' FOR UPDATE`);
  const before = await batchHistogram();
  const batch = [
    settle(
      wallet.spend(server, {
        userId: 'gc-wait',
        asset: 'GOLD_COINS',
        amount: 2n,
        idempotencyKey: 'gc-wait-spend',
      }),
    ),
    settle(
      wallet.topup(server, {
        userId: 'gc-wait-x',
        asset: 'GOLD_COINS',
        amount: 4n,
        idempotencyKey: 'gc-wait-key',
      }),
    ),
  ];
  // Until the batch's lock statement waits on the row (asked on a connection of its own: within a
  // transaction, pg_stat_activity keeps answering from its first read).
  const watcher = new PgClient({ connectionString: a.connectionString });
  await watcher.connect();
  for (let waited = 0; ; waited += 1) {
    const { rows } = await watcher.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE wait_event_type = 'Lock' AND query LIKE '/* lockWallets */%' AND datname = current_database()`,
    );
    if (rows[0].n === 1) break;
    if (waited > 200) throw new Error('the batch never waited on the held row');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  await watcher.end();
  // Meanwhile the other gateway records the same key for a different request (other wallets, so
  // it does not wait) and commits.
  const elsewhere = await other.services.wallet.topup(server, {
    userId: 'gc-wait-y',
    asset: 'GOLD_COINS',
    amount: 9n,
    idempotencyKey: 'gc-wait-key',
  });
  expect(elsewhere.replayed).toBe(false);
  await pg.query('COMMIT');
  await pg.end();
  const [spent, reused] = await Promise.all(batch);
  const after = await batchHistogram();
  // Both operations went in one transaction.
  expect([after.count - before.count, after.sum - before.sum]).toEqual([1, 2]);

  // One lock statement: the keys were read once every lock was held, so the batch saw the key and
  // did not fail on its unique index and run again. A lone request would answer the same.
  expect(lockStatements).toHaveLength(1);
  expect(spent).toHaveProperty('ok');
  expect(reused).toEqual({ code: 'IDEMPOTENCY_KEY_REUSED' });
  expect((await wallet.balance(server, 'gc-wait', 'GOLD_COINS')).balance).toBe(3n);
  expect((await wallet.balance(server, 'gc-wait-y', 'GOLD_COINS')).balance).toBe(9n);
  // The refused credit created no wallet.
  const created = await a.database.prisma.$queryRaw<{ n: number }[]>`
    SELECT count(*)::int AS n FROM wallets WHERE user_id = 'gc-wait-x'`;
  expect(created[0]!.n).toBe(0);
});
