// Proves that a request whose COMMIT outcome is unknown (the connection cut while COMMIT is in flight) is answered SERVICE_UNAVAILABLE, never success or a refusal by guess, for a lone request and a group-commit batch alike, and that the retry with the same key replays what really committed or applies it once.
import { findInvariantBreaches } from '../../src/app/invariants';
import { withDatabaseName } from '../../src/shared/db/database';
import { mintTokens, startChildGateway, useChildGatewayFixture } from '../support/child-gateway';
import { inputMutation } from '../support/documents';
import { startTcpProxy, type CommitCut, type TcpProxy } from '../support/tcp-proxy';
import { classify, httpSender, type Send } from '../support/workload';

const fx = useChildGatewayFixture('rel_commit_outcome');
let proxy: TcpProxy | undefined;
let send: Send;

afterAll(async () => {
  await proxy?.stop();
});

beforeAll(async () => {
  const direct = new URL(fx.testDb.connectionString);
  proxy = await startTcpProxy({ host: direct.hostname, port: Number(direct.port) });
  const viaProxy = withDatabaseName(
    `postgresql://${direct.username}@127.0.0.1:${proxy.port}/postgres`,
    fx.testDb.name,
  );
  fx.gateway = await startChildGateway(
    {
      databaseUrl: viaProxy,
      // No background work, so that every COMMIT the proxy sees is a request's.
      env: {
        DB_CONNECT_TIMEOUT_MS: '1000',
        TX_MAX_WAIT_MS: '1500',
        DB_POOL_MAX: '6',
        WEBHOOK_POLL_INTERVAL_MS: '0',
        HOLD_SWEEP_INTERVAL_MS: '3600000',
      },
    },
    60_000,
  );
  send = httpSender(() => fx.gateway!.url, await mintTokens(['commit-client']));
}, 120_000);

const topup = (key: string, userId = 'commit-user') =>
  send('commit-client', inputMutation('topup', 'replayed transaction { id }'), {
    input: { userId, asset: 'GOLD_COINS', amount: '3', idempotencyKey: key },
  });

async function transactionsFor(key: string): Promise<number> {
  const rows = await fx.database.pool.query(
    `SELECT 1 FROM transactions WHERE client_id = 'commit-client' AND idempotency_key = $1`,
    [key],
  );
  return rows.rowCount ?? 0;
}

/** Retries the key until the gateway answers (the pool replaces the cut connection). */
async function retry(key: string, userId?: string) {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const answer = classify('topup', await topup(key, userId));
    if (answer.kind !== 'unknown') return answer;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`no answer for ${key}`);
}

it.each<[CommitCut, boolean]>([
  ['after-forward', true],
  ['before-forward', false],
])(
  'a lone request cut at COMMIT (%s) answers SERVICE_UNAVAILABLE; its retry finds committed=%s',
  async (mode, committed) => {
    const key = `lone-${mode}`;
    const cutsBefore = proxy!.cuts();
    proxy!.cutAtCommit(mode);
    const first = classify('topup', await topup(key));
    expect(proxy!.cuts()).toBe(cutsBefore + 1);
    expect(first).toEqual({ kind: 'unknown', reason: 'SERVICE_UNAVAILABLE' });
    expect(await transactionsFor(key)).toBe(committed ? 1 : 0);
    const again = await retry(key);
    expect(again).toMatchObject({ kind: 'success', replayed: committed });
    expect(await transactionsFor(key)).toBe(1);
    expect(await findInvariantBreaches(fx.database.prisma)).toEqual([]);
  },
);

it('a group-commit batch cut at COMMIT answers SERVICE_UNAVAILABLE to all of it; retries apply each key once', async () => {
  const keys = Array.from({ length: 12 }, (_, i) => `batch-${i}`);
  const cutsBefore = proxy!.cuts();
  proxy!.cutAtCommit('after-forward', 2);
  const answers = await Promise.all(
    keys.map(async (key, i) => classify('topup', await topup(key, `batch-user-${i % 3}`))),
  );
  expect(proxy!.cuts()).toBeGreaterThan(cutsBefore);
  const unknown = answers.filter((answer) => answer.kind === 'unknown');
  expect(unknown.length).toBeGreaterThan(0);
  // Nothing but a success (a batch that was not cut) or SERVICE_UNAVAILABLE: never a refusal.
  expect(
    answers.filter(
      (answer) =>
        answer.kind !== 'success' &&
        !(answer.kind === 'unknown' && answer.reason === 'SERVICE_UNAVAILABLE'),
    ),
  ).toEqual([]);
  proxy!.cutAtCommit('after-forward', 0);
  for (const [i, key] of keys.entries()) {
    const again = await retry(key, `batch-user-${i % 3}`);
    expect(again).toMatchObject({ kind: 'success' });
    expect(await transactionsFor(key)).toBe(1);
  }
  expect(await findInvariantBreaches(fx.database.prisma)).toEqual([]);
});
