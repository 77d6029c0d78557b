// Proves at-least-once webhook delivery across SIGKILLs: the gateway process killed mid-delivery and restarted still delivers every event, in feed order, and a re-delivered event keeps its id and body; the outbox and the ledger agree afterwards.
import { findFreePort } from '../../src/dev/embedded';
import { findEventInvariantBreaches, findInvariantBreaches } from '../../src/app/invariants';
import { mintTokens, startChildGateway, useChildGatewayFixture } from '../support/child-gateway';
import { startReceiver, type Receiver } from '../support/webhook-receiver';

const fx = useChildGatewayFixture('rel_webhook_kill');
const KILLS = 3;
// Short lease and poll so that the restarted gateway resumes within a second or two.
const env = {
  DB_POOL_MAX: '6',
  WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
  WEBHOOK_POLL_INTERVAL_MS: '50',
  WEBHOOK_LEASE_MS: '1500',
  WEBHOOK_BACKOFF_BASE_MS: '100',
  WEBHOOK_BACKOFF_MAX_MS: '500',
};

let receiver: Receiver | undefined;
afterAll(async () => {
  await receiver?.close();
});

async function gql(
  port: number,
  token: string,
  query: string,
  variables: Record<string, unknown>,
): Promise<any> {
  const response = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as any;
  if (body.errors) throw new Error(JSON.stringify(body.errors));
  return body.data;
}

it(`delivers every event in feed order through ${KILLS} SIGKILLs mid-delivery; duplicates keep their id and body`, async () => {
  const tokens = await mintTokens(['webhook-kill-server']);
  const admin = (await mintTokens(['webhook-kill-admin'], 'admin')).get('webhook-kill-admin')!;
  const server = tokens.get('webhook-kill-server')!;
  receiver = await startReceiver();
  // Every answer takes a while, so that a kill lands while a delivery is in flight.
  receiver.respond = () => ({ status: 200, delayMs: 80 });
  const port = await findFreePort();
  fx.gateway = await startChildGateway({ databaseUrl: fx.testDb.connectionString, port, env });
  const created = await gql(
    port,
    admin,
    `mutation($input: WebhookInput!) { createWebhook(input: $input) { id secret } }`,
    { input: { url: receiver.url } },
  );
  expect(created.createWebhook.secret).toBeTruthy();
  const TOPUP = `mutation($input: TopupInput!) { topup(input: $input) { transaction { id } } }`;
  let key = 0;
  const burst = (n: number) =>
    Promise.all(
      Array.from({ length: n }, () =>
        gql(port, server, TOPUP, {
          input: {
            userId: `whk-${key % 4}`,
            asset: 'GOLD_COINS',
            amount: '2',
            idempotencyKey: `whk-${++key}`,
          },
        }),
      ),
    );
  await burst(40);
  let inFlightAtKill = 0;
  for (let kill = 0; kill < KILLS; kill += 1) {
    const delivered = receiver.deliveries.length;
    await receiver.waitFor(
      () => receiver!.deliveries.length >= delivered + 3,
      30_000,
      'deliveries before the kill',
    );
    // Kill halfway through an 80 ms answer.
    await new Promise((resolve) => setTimeout(resolve, 40));
    if (Date.now() - receiver.deliveries.at(-1)!.atMs < 80) inFlightAtKill += 1;
    fx.gateway.kill('SIGKILL');
    expect((await fx.gateway.exited).signal).toBe('SIGKILL');
    fx.gateway = await startChildGateway({ databaseUrl: fx.testDb.connectionString, port, env });
    await burst(10);
  }
  const expected = await fx.database.pool.query<{ id: string }>(
    // Ordered by the numeric id (an output column named id would sort as text: "10" < "9").
    `SELECT e.id::text AS id FROM events e ORDER BY e.xact, e.id`,
  );
  const ids = expected.rows.map((row) => row.id);
  expect(ids).toHaveLength(40 + KILLS * 10);
  await receiver.waitFor(
    () => receiver!.firstArrivals().length >= ids.length,
    90_000,
    'every event at the receiver',
  );
  expect(receiver.firstArrivals()).toEqual(ids);
  const firstBody = new Map<string, string>();
  let duplicates = 0;
  for (const delivery of receiver.deliveries) {
    const first = firstBody.get(delivery.body.id);
    if (first === undefined) firstBody.set(delivery.body.id, delivery.rawBody);
    else {
      duplicates += 1;
      expect(delivery.rawBody).toBe(first);
    }
  }
  console.log(
    `webhook kill: ${JSON.stringify({ events: ids.length, deliveries: receiver.deliveries.length, duplicates, inFlightAtKill })}`,
  );
  // The kills cut deliveries off (each lands within an 80 ms answer), and those were sent again.
  expect(duplicates).toBeGreaterThanOrEqual(1);
  expect(await findEventInvariantBreaches(fx.database.prisma)).toEqual([]);
  expect(await findInvariantBreaches(fx.database.prisma)).toEqual([]);
}, 300_000);
