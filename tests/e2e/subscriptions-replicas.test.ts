// Proves delivery across replicas: two gateways (each with its own pool and LISTEN connection) on one database, mutations on one reaching subscribers on the other, and a replica's shutdown closing its sockets with 1001.
import { startReplica, type Replica } from '../support/gateway';
import {
  collect,
  waitForStreams,
  waitUntil,
  wsClient,
  type WsClient,
} from '../support/subscriptions';
import { useTestGateway } from '../support/use-test-gateway';
import { inputMutation } from '../support/documents';

const TOPUP = inputMutation('topup', `wallet { lastSequence }`);
const SPEND = inputMutation('spend', `wallet { lastSequence }`);

let b: Replica;
const clients: WsClient[] = [];
let keyCounter = 0;

async function post(url: string, mutation: string, userId: string, amount: number): Promise<void> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${a.tokens.server}` },
    body: JSON.stringify({
      query: mutation,
      variables: {
        input: {
          userId,
          asset: 'GOLD_COINS',
          amount: String(amount),
          idempotencyKey: `rep-${++keyCounter}`,
        },
      },
    }),
  });
  const body = (await response.json()) as { errors?: unknown };
  if (body.errors) throw new Error(JSON.stringify(body.errors));
}

function client(wsUrl: string): WsClient {
  const c = wsClient(wsUrl, a.tokens.server);
  clients.push(c);
  return c;
}

const a = useTestGateway('subscription_replicas', {
  invariantsAfterEach: false,
  beforeStop: async () => {
    await b?.stop();
  },
});
beforeAll(async () => {
  // A second replica: its own pool, its own LISTEN connection, the same database.
  b = await startReplica(a);
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  await a.assertInvariants();
});

it('runs two independent LISTEN connections on the database', async () => {
  const rows = await a.database.pool.query<{ n: string }>(
    `SELECT count(*)::text AS n FROM pg_stat_activity WHERE application_name = 'wallet-gateway-listener' AND datname = current_database()`,
  );
  expect(rows.rows[0]!.n).toBe('2');
  expect(a.gateway.services.subscriptions.bus).not.toBe(b.gateway.services.subscriptions.bus);
});

it('a mutation on one replica reaches subscribers on both, in the same order', async () => {
  const userId = 'rep-user';
  const onA = collect(client(a.wsUrl).client, { userId });
  const onB = collect(client(b.wsUrl).client, { userId, asset: 'GOLD_COINS' });
  await waitForStreams(a.gateway.services.subscriptions, 1);
  await waitForStreams(b.gateway.services.subscriptions, 1);
  // Alternate the replica that handles each mutation.
  await post(a.url, TOPUP, userId, 10);
  await post(b.url, TOPUP, userId, 5);
  await post(a.url, SPEND, userId, 3);
  await post(b.url, SPEND, userId, 2);
  const fromA = await onA.waitForCount(4);
  const fromB = await onB.waitForCount(4);
  const view = (events: any[]) =>
    events.map((e) => [e.entry.sequence, e.entry.kind, e.entry.amount, e.wallet.balance]);
  expect(view(fromB)).toEqual([
    ['1', 'TOPUP', '10', '10'],
    ['2', 'TOPUP', '5', '15'],
    ['3', 'SPEND', '3', '12'],
    ['4', 'SPEND', '2', '10'],
  ]);
  expect(view(fromA)).toEqual(view(fromB));
});

it('concurrent writers on both replicas: each subscriber sees every entry once, in ledger order', async () => {
  const userId = 'rep-concurrent';
  const onA = collect(client(a.wsUrl).client, { userId, asset: 'GOLD_COINS' });
  const onB = collect(client(b.wsUrl).client, { userId, asset: 'GOLD_COINS' });
  await waitForStreams(a.gateway.services.subscriptions, 1);
  await waitForStreams(b.gateway.services.subscriptions, 1);
  await Promise.all(
    Array.from({ length: 10 }, async (_, writer) => {
      for (let i = 0; i < 10; i++) await post(writer % 2 === 0 ? a.url : b.url, TOPUP, userId, 1);
    }),
  );
  const expected = Array.from({ length: 100 }, (_, i) => String(i + 1));
  expect((await onA.waitForCount(100)).map((e) => e.entry.sequence)).toEqual(expected);
  expect((await onB.waitForCount(100)).map((e) => e.entry.sequence)).toEqual(expected);
});

it('a replica shutting down closes its sockets with 1001 and releases its streams and listener', async () => {
  const replica = await startReplica(a);
  try {
    const c = client(replica.wsUrl);
    const sub = collect(c.client, { userId: 'rep-shutdown' });
    await waitForStreams(replica.gateway.services.subscriptions, 1);
    await replica.gateway.stop();
    await waitUntil(() => c.closes.length > 0, 5000, 'the close');
    expect(c.closes[0]!.code).toBe(1001);
    expect(sub.errors?.length ?? 0).toBeGreaterThan(0); // the client learns the socket went away
    expect(replica.gateway.services.subscriptions.counters()).toMatchObject({
      streams: 0,
      bufferedChanges: 0,
      bus: { state: 'stopped', listeners: 0 },
    });
    // The other replicas carry on.
    const onA = collect(client(a.wsUrl).client, { userId: 'rep-shutdown' });
    await waitForStreams(a.gateway.services.subscriptions, 1);
    await post(a.url, TOPUP, 'rep-shutdown', 1);
    expect((await onA.waitForCount(1))[0].entry.sequence).toBe('1');
  } finally {
    await replica.stop();
  }
});
