// Proves a slow or dead webhook receiver does not hold back another's deliveries: with four receivers that never answer, a fast one gets each event within about 2 s of its commit, while the four time out (10 s) and are scheduled for retry.
import { useTestGateway } from '../support/use-test-gateway';
import { startReceiver, type Receiver } from '../support/webhook-receiver';
import { limits } from '../../src/shared/limits';

jest.setTimeout(90_000);

const CREATE = `mutation($input: WebhookInput!) { createWebhook(input: $input) { id } }`;
const LIST = `query { webhooks { id url lastError retryingSince } }`;
const TOPUP = `mutation($input: TopupInput!) { topup(input: $input) { transaction { id } } }`;

const receivers: Receiver[] = [];
const gw = useTestGateway('webhook_isolation', {
  env: {
    WEBHOOK_POLL_INTERVAL_MS: '50',
    WEBHOOK_BACKOFF_BASE_MS: '100',
    WEBHOOK_BACKOFF_MAX_MS: '400',
    WEBHOOK_LEASE_MS: '15000',
  },
  // Receivers first: a hanging answer must not keep the gateway's stop waiting.
  beforeStop: () => Promise.all(receivers.map((r) => r.close())),
});

const admin = () => ({ authorization: `Bearer ${gw.tokens.admin}` });
let keys = 0;
async function topup(userId: string): Promise<{ id: string; committedMs: number }> {
  const response = await gw.gql(TOPUP, {
    input: { userId, asset: 'GOLD_COINS', amount: '1', idempotencyKey: `iso-${++keys}` },
  });
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return { id: response.data.topup.transaction.id, committedMs: Date.now() };
}
const transactionOf = (delivery: { body: any }) => delivery.body.transaction?.id as string;

it('four hanging receivers time out while a fast webhook gets every event within ~2 s', async () => {
  const slow = await Promise.all(Array.from({ length: 4 }, () => startReceiver()));
  const fast = await startReceiver();
  receivers.push(...slow, fast);
  // Longer than the delivery timeout: to the gateway these receivers never answer.
  for (const r of slow)
    r.respond = () => ({ status: 200, delayMs: limits.webhookDeliveryTimeoutMs + 20_000 });
  for (const r of [...slow, fast]) {
    const created = await gw.gql(CREATE, { input: { url: r.url } }, admin());
    if (created.errors) throw new Error(JSON.stringify(created.errors));
  }
  // A first event takes every slow receiver's delivery into its hang.
  const first = await topup('iso-1');
  await Promise.all(
    slow.map((r) => r.waitFor(() => r.deliveries.length >= 1, 15_000, 'the slow receiver hanging')),
  );
  await fast.waitFor(
    () => fast.deliveries.some((d) => transactionOf(d) === first.id),
    5_000,
    'the first event at the fast receiver',
  );
  const hangStartedMs = Date.now();
  // Ten more events while the four hang: each reaches the fast receiver within ~2 s.
  const latenciesMs: number[] = [];
  for (let i = 0; i < 10; i += 1) {
    const event = await topup(`iso-${i % 3}`);
    await fast.waitFor(
      () => fast.deliveries.some((d) => transactionOf(d) === event.id),
      8_000,
      `event ${i} at the fast receiver`,
    );
    const delivered = fast.deliveries.find((d) => transactionOf(d) === event.id)!;
    latenciesMs.push(delivered.atMs - event.committedMs);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
  // The four were still hanging throughout: none got past its first delivery yet.
  expect(Date.now() - hangStartedMs).toBeLessThan(limits.webhookDeliveryTimeoutMs);
  expect(Math.max(...latenciesMs)).toBeLessThan(2_000);
  // Then each slow webhook's delivery times out and is scheduled for a retry.
  const deadline = Date.now() + limits.webhookDeliveryTimeoutMs + 10_000;
  let listed: { url: string; lastError: string | null; retryingSince: string | null }[] = [];
  for (;;) {
    listed = (await gw.gql(LIST, {}, admin())).data.webhooks;
    const slowListed = listed.filter((w) => slow.some((r) => r.url === w.url));
    if (slowListed.every((w) => w.lastError) || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  for (const r of slow) {
    expect(listed.find((w) => w.url === r.url)).toMatchObject({
      lastError: `no answer within ${limits.webhookDeliveryTimeoutMs} ms`,
      retryingSince: expect.any(String),
    });
  }
  expect(listed.find((w) => w.url === fast.url)).toMatchObject({ lastError: null });
  // The fast receiver got every event once at least, in feed order.
  const order = fast.firstArrivals();
  expect(order.length).toBeGreaterThanOrEqual(11);
  expect([...order].sort((a, b) => Number(BigInt(a) - BigInt(b)))).toEqual(order);
});
