// Proves the operator's view over real HTTP: one JSON log line per GraphQL operation (request id, operation, caller, outcome, duration; never tokens or metadata) and /metrics counting operations, money moved and the pool.
import { Writable } from 'node:stream';
import { createLogger } from '../../src/shared/logger';
import { errorCode, startTestGateway } from '../support/gateway';
import { sampleValue, scrape } from '../support/metrics-text';
import { useTestGateway } from '../support/use-test-gateway';
import { inputMutation } from '../support/documents';

const TOPUP = `mutation GiveGold($input: TopupInput!) { topup(input: $input) { wallet { balance } replayed } }`;
const SPEND = inputMutation('spend', `wallet { balance }`);

interface LogLine {
  msg: string;
  requestId: string;
  operationName?: string;
  operation: string;
  operationType?: string;
  subject?: string;
  role?: string;
  outcome: string;
  status: number;
  durationMs: number;
}

const lines: LogLine[] = [];
const rawLines: string[] = [];
const destination = new Writable({
  write(chunk, _encoding, callback) {
    for (const text of chunk.toString('utf8').split('\n').filter(Boolean)) {
      rawLines.push(text);
      lines.push(JSON.parse(text) as LogLine);
    }
    callback();
  },
});

/** The operation log lines of one request id. */
const linesOf = (requestId: string) =>
  lines.filter((line) => line.msg === 'graphql operation' && line.requestId === requestId);
/** The response is sent before the 'finish' event logs; give the event loop a turn. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

const t = useTestGateway('observability', { logger: createLogger({ level: 'info', destination }) });

describe('operation logs', () => {
  it('writes one JSON line per operation with the request id, operation, caller, outcome and duration, and no secrets', async () => {
    const res = await t.gql(
      TOPUP,
      {
        input: {
          userId: 'obs-1',
          asset: 'GOLD_COINS',
          amount: '1500',
          idempotencyKey: 'obs-k1',
          metadata: { secret: 'do-not-log-me' },
        },
      },
      { 'x-request-id': 'req-obs-1' },
    );
    expect(res.errors).toBeUndefined();
    expect(res.headers.get('x-request-id')).toBe('req-obs-1');
    await settle();
    const mine = linesOf('req-obs-1');
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({
      operationName: 'GiveGold',
      operation: 'topup',
      operationType: 'mutation',
      subject: 'game-server-1',
      role: 'server',
      outcome: 'OK',
      status: 200,
    });
    expect(mine[0]!.durationMs).toBeGreaterThan(0);
    expect(mine[0]!.durationMs).toBeLessThan(10_000);
    const raw = rawLines.find((text) => text.includes('req-obs-1'))!;
    expect(raw).not.toContain(t.tokens.server);
    expect(raw).not.toContain('do-not-log-me');
    expect(raw).not.toMatch(/authorization|Bearer/i);
  });

  it('generates a request id when none (or a malformed one) is sent, and echoes it', async () => {
    for (const sent of [undefined, 'has spaces and $ymbols']) {
      const res = await t.gql(
        `{ assets { code } }`,
        undefined,
        sent ? { 'x-request-id': sent } : {},
      );
      const echoed = res.headers.get('x-request-id')!;
      expect(echoed).toMatch(/^[0-9a-f-]{36}$/);
      await settle();
      expect(linesOf(echoed)).toEqual([
        expect.objectContaining({ operation: 'assets', operationType: 'query', outcome: 'OK' }),
      ]);
    }
  });

  it('logs the first error code as the outcome: a business refusal, a failed authentication, a bad query', async () => {
    const refused = await t.gql(
      SPEND,
      { input: { userId: 'obs-poor', asset: 'GOLD_COINS', amount: '5', idempotencyKey: 'obs-s1' } },
      { 'x-request-id': 'req-obs-refused' },
    );
    expect(errorCode(refused)).toBe('INSUFFICIENT_FUNDS');
    const anonymous = await t.gql(`{ assets { code } }`, undefined, {
      authorization: '',
      'x-request-id': 'req-obs-anon',
    });
    expect(errorCode(anonymous)).toBe('UNAUTHENTICATED');
    const invalid = await t.gql(`{ noSuchField }`, undefined, {
      'x-request-id': 'req-obs-invalid',
    });
    expect(errorCode(invalid)).toBe('BAD_USER_INPUT');
    await settle();
    expect(linesOf('req-obs-refused')).toEqual([
      expect.objectContaining({
        operation: 'spend',
        outcome: 'INSUFFICIENT_FUNDS',
        subject: 'game-server-1',
      }),
    ]);
    expect(linesOf('req-obs-anon')).toEqual([
      expect.objectContaining({ outcome: 'UNAUTHENTICATED' }),
    ]);
    expect(linesOf('req-obs-anon')[0]!.subject).toBeUndefined();
    expect(linesOf('req-obs-invalid')).toEqual([
      expect.objectContaining({ operation: 'invalid', outcome: 'BAD_USER_INPUT' }),
    ]);
  });

  it('logs the caller of a player request as that player', async () => {
    const token = await t.tokens.player('obs-player');
    await t.gql(`{ balances(userId: "obs-player") { balance } }`, undefined, {
      authorization: `Bearer ${token}`,
      'x-request-id': 'req-obs-player',
    });
    await settle();
    expect(linesOf('req-obs-player')).toEqual([
      expect.objectContaining({
        operation: 'balances',
        subject: 'obs-player',
        role: 'player',
        outcome: 'OK',
      }),
    ]);
  });
});

describe('/metrics', () => {
  it('counts operations by operation and outcome, with latency histograms', async () => {
    const before = await scrape(t.url);
    const ok = (s: typeof before.samples) =>
      sampleValue(s, 'wallet_graphql_operations_total', { operation: 'topup', outcome: 'OK' }) ?? 0;
    const count = (s: typeof before.samples) =>
      sampleValue(s, 'wallet_graphql_operation_duration_seconds_count', {
        operation: 'topup',
        outcome: 'OK',
      }) ?? 0;
    for (let i = 0; i < 3; i += 1) {
      const res = await t.gql(TOPUP, {
        input: { userId: 'obs-m', asset: 'GOLD_COINS', amount: '10', idempotencyKey: `obs-m-${i}` },
      });
      expect(res.errors).toBeUndefined();
    }
    await settle();
    const after = await scrape(t.url);
    expect(after.status).toBe(200);
    expect(ok(after.samples) - ok(before.samples)).toBe(3);
    expect(count(after.samples) - count(before.samples)).toBe(3);
    expect(
      sampleValue(after.samples, 'wallet_graphql_operation_duration_seconds_bucket', {
        operation: 'topup',
        outcome: 'OK',
        le: '+Inf',
      }),
    ).toBe(count(after.samples));
    expect(
      sampleValue(after.samples, 'wallet_graphql_operations_total', {
        operation: 'spend',
        outcome: 'INSUFFICIENT_FUNDS',
      }),
    ).toBeGreaterThanOrEqual(1);
  });

  it('counts money moved per asset and kind after commit, not for replays or refusals', async () => {
    const before = await scrape(t.url);
    const moved = (s: typeof before.samples, kind: string) =>
      sampleValue(s, 'wallet_money_moved_total', { asset: 'DIAMONDS', kind }) ?? 0;
    const txs = (s: typeof before.samples, kind: string) =>
      sampleValue(s, 'wallet_transactions_total', { asset: 'DIAMONDS', kind }) ?? 0;
    const input = {
      userId: 'obs-money',
      asset: 'DIAMONDS',
      amount: '700',
      idempotencyKey: 'obs-money-1',
    };
    expect((await t.gql(TOPUP, { input })).data.topup.replayed).toBe(false);
    expect((await t.gql(TOPUP, { input })).data.topup.replayed).toBe(true);
    expect(
      (await t.gql(SPEND, { input: { ...input, amount: '250', idempotencyKey: 'obs-money-2' } }))
        .errors,
    ).toBeUndefined();
    expect(
      errorCode(
        await t.gql(SPEND, { input: { ...input, amount: '9999', idempotencyKey: 'obs-money-3' } }),
      ),
    ).toBe('INSUFFICIENT_FUNDS');
    const after = await scrape(t.url);
    expect(moved(after.samples, 'TOPUP') - moved(before.samples, 'TOPUP')).toBe(700);
    expect(txs(after.samples, 'TOPUP') - txs(before.samples, 'TOPUP')).toBe(1);
    expect(moved(after.samples, 'SPEND') - moved(before.samples, 'SPEND')).toBe(250);
    expect(txs(after.samples, 'SPEND') - txs(before.samples, 'SPEND')).toBe(1);
  });

  it('reports the database pool, the event loop, the process and the websocket gauges', async () => {
    const { samples, text } = await scrape(t.url);
    const main = { pool: 'main' };
    const total = sampleValue(samples, 'wallet_db_pool_connections', main)!;
    expect(total).toBeGreaterThanOrEqual(1);
    expect(total).toBeLessThanOrEqual(t.config.DB_POOL_MAX);
    expect(
      sampleValue(samples, 'wallet_db_pool_in_use', main)! +
        sampleValue(samples, 'wallet_db_pool_idle', main)!,
    ).toBe(total);
    expect(sampleValue(samples, 'wallet_db_pool_waiting', main)).toBe(0);
    // The subscription reads' own pool is reported beside it.
    expect(
      sampleValue(samples, 'wallet_db_pool_connections', { pool: 'subscriptions' }),
    ).toBeLessThanOrEqual(t.config.SUBSCRIPTION_DB_POOL_MAX);
    expect(sampleValue(samples, 'nodejs_eventloop_lag_seconds')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(samples, 'process_cpu_user_seconds_total')).toBeGreaterThan(0);
    expect(sampleValue(samples, 'process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sampleValue(samples, 'wallet_websocket_connections')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(samples, 'wallet_subscriptions_active')).toBeGreaterThanOrEqual(0);
    expect(text).toContain('# TYPE wallet_notification_lag_seconds histogram');
  });

  it("keeps each gateway's counts apart (a registry per gateway) and can require a bearer token", async () => {
    const token = 'scrape-token-0123456789abcdef';
    const guarded = await startTestGateway('observability-guarded', {
      env: { METRICS_TOKEN: token },
    });
    try {
      expect((await scrape(guarded.url)).status).toBe(401);
      expect(
        (await scrape(guarded.url, { authorization: 'Bearer wrong-token-0123456789abcd' })).status,
      ).toBe(401);
      const scraped = await scrape(guarded.url, { authorization: `Bearer ${token}` });
      expect(scraped.status).toBe(200);
      expect(
        sampleValue(scraped.samples, 'wallet_graphql_operations_total', {
          operation: 'topup',
          outcome: 'OK',
        }),
      ).toBeUndefined();
    } finally {
      await guarded.stop();
    }
  });
});
