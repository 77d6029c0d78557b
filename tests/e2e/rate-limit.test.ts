// Proves rate limiting per credential subject over real HTTP: past its budget a subject gets 429 RATE_LIMITED with Retry-After and nothing is written (no money, no idempotency key), other subjects are unaffected, players have their own smaller budget, and with RATE_LIMIT_STORE=postgres two gateway instances share one budget.
import { startGateway, type Gateway } from '../../src/app/gateway';
import type { TestGateway } from '../support/gateway';
import { useTestGateway } from '../support/use-test-gateway';
import { operations } from '../support/documents';

const TOPUP = operations.topup;
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

async function keyRows(t: TestGateway, clientId: string, key: string): Promise<number> {
  const { rows } = await t.database.pool.query(
    'SELECT count(*)::int AS n FROM idempotency_keys WHERE client_id = $1 AND key = $2',
    [clientId, key],
  );
  return rows[0].n;
}

describe('in memory (the default)', () => {
  // A long window, so that the budget cannot refill in the middle of a test on a slow machine.
  const t = useTestGateway('ratelimit-mem', {
    env: {
      RATE_LIMIT_POINTS: '5',
      RATE_LIMIT_PLAYER_POINTS: '3',
      RATE_LIMIT_DURATION_SECONDS: '600',
    },
  });

  it('a server subject gets its budget, then 429 RATE_LIMITED with Retry-After; the refused topup writes nothing', async () => {
    const server = await t.mintToken({ sub: 'limited-server', role: 'server' });
    for (let i = 1; i <= 5; i += 1) {
      const res = await t.gql(
        TOPUP,
        {
          input: { userId: 'rl-user', asset: 'GOLD_COINS', amount: '1', idempotencyKey: `rl-${i}` },
        },
        auth(server),
      );
      expect(res.data.topup.wallet.balance).toBe(String(i));
    }
    const refused = await t.gql(
      TOPUP,
      { input: { userId: 'rl-user', asset: 'GOLD_COINS', amount: '1', idempotencyKey: 'rl-6' } },
      auth(server),
    );
    expect(refused.status).toBe(429);
    expect(refused.errors?.map((e) => e.extensions?.code)).toEqual(['RATE_LIMITED']);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect(refused.errors?.[0]?.extensions?.retryAfterSeconds).toBe(retryAfter);
    expect(refused.errors?.[0]?.extensions?.http).toBeUndefined();
    // Nothing written: the balance is still 5 and the key was never recorded.
    const balance = await t.gql(
      `{ balance(userId: "rl-user", asset: "GOLD_COINS") { balance } }`,
      undefined,
      auth(t.tokens.admin),
    );
    expect(balance.data.balance.balance).toBe('5');
    expect(await keyRows(t, 'limited-server', 'rl-6')).toBe(0);
    expect(await keyRows(t, 'limited-server', 'rl-5')).toBe(1);
  });

  it('reads count too, and another subject of the same role keeps its own budget', async () => {
    const first = await t.mintToken({ sub: 'reader-1', role: 'server' });
    const second = await t.mintToken({ sub: 'reader-2', role: 'server' });
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 7; i += 1)
      codes.push(
        (await t.gql('{ assets { code } }', undefined, auth(first))).errors?.[0]?.extensions?.code,
      );
    expect(codes).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      'RATE_LIMITED',
      'RATE_LIMITED',
    ]);
    expect((await t.gql('{ assets { code } }', undefined, auth(second))).errors).toBeUndefined();
  });

  it('players have their own, smaller budget', async () => {
    const carol = await t.tokens.player('carol');
    const codes: (string | undefined)[] = [];
    for (let i = 0; i < 4; i += 1)
      codes.push(
        (await t.gql(`{ balances(userId: "carol") { balance } }`, undefined, auth(carol)))
          .errors?.[0]?.extensions?.code,
      );
    expect(codes).toEqual([undefined, undefined, undefined, 'RATE_LIMITED']);
  });
});

describe('in PostgreSQL (RATE_LIMIT_STORE=postgres)', () => {
  let replica: Gateway | undefined;
  const t = useTestGateway('ratelimit-pg', {
    env: {
      RATE_LIMIT_STORE: 'postgres',
      RATE_LIMIT_POINTS: '4',
      RATE_LIMIT_DURATION_SECONDS: '600',
    },
    beforeStop: async () => replica?.stop(),
  });
  beforeAll(async () => {
    // A second gateway process in all but name: its own HTTP server and in-memory state, the same database.
    replica = await startGateway({
      config: t.config,
      database: t.database,
      connectionString: t.connectionString,
    });
  });

  it('two gateway instances count one budget: 2 + 2 requests pass, the fifth is RATE_LIMITED on either', async () => {
    const server = await t.mintToken({ sub: 'fleet-server', role: 'server' });
    const via = async (url: string, i: number) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...auth(server) },
        body: JSON.stringify({
          query: TOPUP,
          variables: {
            input: {
              userId: 'fleet-user',
              asset: 'GOLD_COINS',
              amount: '1',
              idempotencyKey: `fleet-${i}`,
            },
          },
        }),
      });
      const body = (await response.json()) as any;
      return {
        status: response.status,
        code: body.errors?.[0]?.extensions?.code as string | undefined,
      };
    };
    const results = [
      await via(t.url, 1),
      await via(replica!.url, 2),
      await via(t.url, 3),
      await via(replica!.url, 4),
      await via(replica!.url, 5),
      await via(t.url, 6),
    ];
    expect(results).toEqual([
      { status: 200, code: undefined },
      { status: 200, code: undefined },
      { status: 200, code: undefined },
      { status: 200, code: undefined },
      { status: 429, code: 'RATE_LIMITED' },
      { status: 429, code: 'RATE_LIMITED' },
    ]);
    const { rows } = await t.database.pool.query(
      `SELECT points FROM rate_limits WHERE key LIKE '%fleet-server'`,
    );
    expect(rows.map((r) => r.points)).toEqual([6]);
    const balance = await t.gql(
      `{ balance(userId: "fleet-user", asset: "GOLD_COINS") { balance } }`,
      undefined,
      auth(t.tokens.admin),
    );
    expect(balance.data.balance.balance).toBe('4');
    expect(await keyRows(t, 'fleet-server', 'fleet-5')).toBe(0);
  });
});
