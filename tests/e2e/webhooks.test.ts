// Proves webhook delivery over real HTTP to a real receiver: signed bodies a receiver can verify (and a wrong secret cannot), retries in feed order after an outage, every event to every webhook from two gateways, give-up after the retry window, deleteWebhook stopping deliveries, the SSRF rules in production mode, and input checks.
import { verifyWalletSignature } from '../../docs/examples/verify-signature';
import {
  errorCode,
  startReplica,
  startTestGateway,
  type Replica,
  type TestGateway,
} from '../support/gateway';
import { scrape, sampleValue } from '../support/metrics-text';
import { startReceiver, type Receiver } from '../support/webhook-receiver';

const CREATE = `mutation($input: WebhookInput!) { createWebhook(input: $input) { id url createdAt secret } }`;
const DELETE = `mutation($id: ID!) { deleteWebhook(id: $id) }`;
const LIST = `query { webhooks { id url secret lastError retryingSince failedEvents { id type transaction { reference } } } }`;
const TOPUP = `mutation($input: TopupInput!) { topup(input: $input) { transaction { id } } }`;
const FEED = `query($after: String) { events(after: $after, first: 500) { edges { node { id type } } pageInfo { endCursor } } }`;

// Fast timing so that retries and give-ups happen within a test.
const FAST = {
  WEBHOOK_POLL_INTERVAL_MS: '50',
  WEBHOOK_BACKOFF_BASE_MS: '100',
  WEBHOOK_BACKOFF_MAX_MS: '400',
  WEBHOOK_LEASE_MS: '15000',
};

let gw: TestGateway;
let replica: Replica;
const receivers: Receiver[] = [];
let keyCounter = 0;

async function receiver(): Promise<Receiver> {
  const r = await startReceiver();
  receivers.push(r);
  return r;
}

async function createWebhook(
  g: TestGateway,
  input: { url: string; secret?: string },
): Promise<{ id: string; secret: string }> {
  const response = await g.gql(CREATE, { input }, { authorization: `Bearer ${g.tokens.admin}` });
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data.createWebhook;
}

async function deleteWebhook(g: TestGateway, id: string): Promise<boolean> {
  const response = await g.gql(DELETE, { id }, { authorization: `Bearer ${g.tokens.admin}` });
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data.deleteWebhook;
}

async function topup(
  g: TestGateway,
  userId: string,
  reference?: string,
  url?: string,
): Promise<string> {
  const variables = {
    input: {
      userId,
      asset: 'GOLD_COINS',
      amount: '3',
      idempotencyKey: `wh-${++keyCounter}`,
      reference,
    },
  };
  const response = url
    ? await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${g.tokens.server}` },
        body: JSON.stringify({ query: TOPUP, variables }),
      }).then((r) => r.json() as Promise<any>)
    : await g.gql(TOPUP, variables);
  if (response.errors) throw new Error(JSON.stringify(response.errors));
  return response.data.topup.transaction.id;
}

/**
 * The feed's event ids after `after` (as the admin), in feed order, once there are at least
 * `count`: the horizon is cluster-wide, so another test file's running transaction may hold
 * fresh events back for a moment.
 */
async function feedIds(
  g: TestGateway,
  after: string | null,
  count = 0,
): Promise<{ ids: string[]; cursor: string | null }> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const response = await g.gql(FEED, { after }, { authorization: `Bearer ${g.tokens.admin}` });
    const page = {
      ids: response.data.events.edges.map((e: any) => e.node.id),
      cursor: response.data.events.pageInfo.endCursor,
    };
    if (page.ids.length >= count || Date.now() > deadline) return page;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** A cursor after every event committed so far (waiting for the horizon to pass them). */
async function settledCursor(g: TestGateway): Promise<string | null> {
  const committed = await g.database.pool.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM events',
  );
  return (await feedIds(g, null, committed.rows[0]!.n)).cursor;
}

beforeAll(async () => {
  gw = await startTestGateway('webhooks', { env: FAST });
  replica = await startReplica(gw, { poolMax: 10, statementTimeoutMs: 30_000 });
}, 120_000);
afterEach(async () => {
  // Each test's webhooks go, so that the next test's receivers see only their own.
  for (const webhook of (await gw.gql(LIST, {}, { authorization: `Bearer ${gw.tokens.admin}` }))
    .data.webhooks)
    await deleteWebhook(gw, webhook.id);
  await Promise.all(receivers.splice(0).map((r) => r.close()));
  await gw.assertInvariants();
});
afterAll(async () => {
  await replica?.stop();
  await gw?.stop();
});

it("delivers the contract body signed with the webhook's secret: the receiver verifies it, a wrong secret does not", async () => {
  const r = await receiver();
  const secret = 'a-receiver-secret-of-at-least-32-characters!';
  const created = await createWebhook(gw, { url: r.url, secret });
  expect(created.secret).toBe(secret);
  const transactionId = await topup(gw, 'wh-sig', 'order-17');
  await r.waitFor(() => r.deliveries.length >= 1, 30_000, 'the delivery');
  const delivery = r.deliveries[0]!;
  expect(delivery.body).toMatchObject({
    type: 'TRANSACTION',
    transaction: {
      id: transactionId,
      kind: 'TOPUP',
      userId: 'wh-sig',
      asset: 'GOLD_COINS',
      amount: '3',
      reference: 'order-17',
    },
  });
  expect(delivery.body.createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  expect(delivery.body.transaction.entries).toHaveLength(2);
  expect(delivery.signature).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  expect(verifyWalletSignature(secret, delivery.signature, delivery.rawBody)).toBe(true);
  expect(verifyWalletSignature(`${secret}x`, delivery.signature, delivery.rawBody)).toBe(false);
  expect(
    verifyWalletSignature(secret, delivery.signature, delivery.rawBody.replace('"3"', '"4"')),
  ).toBe(false);
  // An old signature is refused, so a captured request cannot be replayed tomorrow.
  expect(
    verifyWalletSignature(
      secret,
      delivery.signature,
      delivery.rawBody,
      Math.floor(Date.now() / 1000) + 3600,
    ),
  ).toBe(false);
  // The body's id is the event's id in the feed.
  const feed = await gw.gql(
    `query { events(first: 500) { edges { node { id transaction { id } } } } }`,
    {},
    { authorization: `Bearer ${gw.tokens.admin}` },
  );
  expect(
    feed.data.events.edges.find((e: any) => e.node.transaction?.id === transactionId).node.id,
  ).toBe(delivery.body.id);
  // The generated secret is shown once, and never in webhooks.
  const generated = await createWebhook(gw, { url: r.url });
  expect(generated.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const listed = (await gw.gql(LIST, {}, { authorization: `Bearer ${gw.tokens.admin}` })).data
    .webhooks;
  expect(listed.map((w: any) => w.secret)).toEqual([null, null]);
}, 60_000);

it('a receiver that is down for a while gets every event after it is back, retried, in feed order', async () => {
  const r = await receiver();
  let up = false;
  r.respond = () => ({ status: up ? 200 : 503 });
  const cursor = await settledCursor(gw);
  await createWebhook(gw, { url: r.url });
  for (let i = 0; i < 6; i += 1) await topup(gw, `wh-down-${i % 2}`);
  await r.waitFor(() => r.deliveries.length >= 3, 30_000, 'failed attempts while down');
  // While down, only the head event is tried: later events wait behind it.
  expect(new Set(r.deliveries.map((d) => d.body.id)).size).toBe(1);
  const failing = (await gw.gql(LIST, {}, { authorization: `Bearer ${gw.tokens.admin}` })).data
    .webhooks[0];
  expect(failing.lastError).toMatch(/HTTP 503/);
  expect(failing.retryingSince).not.toBeNull();
  up = true;
  const expected = (await feedIds(gw, cursor, 6)).ids;
  expect(expected).toHaveLength(6);
  await r.waitFor(() => r.firstArrivals().length >= 6, 30_000, 'all six events');
  expect(r.firstArrivals()).toEqual(expected);
  // Successful deliveries after the first success arrive in order without repeats.
  const delivered = r.deliveries
    .filter((d) => d.atMs >= r.deliveries.find((x) => x.body.id === expected[1])!.atMs)
    .map((d) => d.body.id);
  expect(delivered).toEqual(expected.slice(1));
  // Both gateways deliver: their counters add up. The worker counts a delivery just after the
  // receiver's answer, so the figures are polled until they settle.
  const webhookId = failing.id;
  const answered = r.deliveries.length;
  let figures = { delivered: 0, failed: 0, pending: -1 };
  for (
    const deadline = Date.now() + 10_000;
    Date.now() < deadline;
    await new Promise((resolve) => setTimeout(resolve, 50))
  ) {
    const scrapes = [await scrape(gw.url), await scrape(replica.gateway.url)];
    const count = (outcome: string) =>
      scrapes.reduce(
        (sum, { samples }) =>
          sum +
          (sampleValue(samples, 'wallet_webhook_delivery_attempts_total', {
            webhook: webhookId,
            outcome,
          }) ?? 0),
        0,
      );
    figures = {
      delivered: count('delivered'),
      failed: count('failed'),
      pending:
        sampleValue(scrapes[0]!.samples, 'wallet_webhook_pending_events', { webhook: webhookId }) ??
        -1,
    };
    if (figures.delivered + figures.failed === answered && figures.pending === 0) break;
  }
  expect(figures.delivered).toBeGreaterThanOrEqual(6);
  expect(figures.failed).toBeGreaterThanOrEqual(3);
  expect(figures.delivered + figures.failed).toBe(answered);
  expect(figures.pending).toBe(0);
}, 90_000);

it('two gateways deliver each event to each webhook, none lost, each webhook in feed order', async () => {
  const r1 = await receiver();
  const r2 = await receiver();
  const cursor = await settledCursor(gw);
  await createWebhook(gw, { url: r1.url });
  await createWebhook(gw, { url: r2.url });
  await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      topup(gw, `wh-two-${i % 5}`, undefined, i % 2 === 0 ? gw.url : replica.gateway.url),
    ),
  );
  const expected = (await feedIds(gw, cursor, 30)).ids;
  expect(expected).toHaveLength(30);
  await r1.waitFor(() => r1.firstArrivals().length >= 30, 60_000, 'thirty events at receiver 1');
  await r2.waitFor(() => r2.firstArrivals().length >= 30, 60_000, 'thirty events at receiver 2');
  expect(r1.firstArrivals()).toEqual(expected);
  expect(r2.firstArrivals()).toEqual(expected);
}, 120_000);

it('deliveries reuse kept-alive connections, and the cursor ends past the last event delivered', async () => {
  const r = await receiver();
  const webhook = await createWebhook(gw, { url: r.url });
  const ids: string[] = [];
  for (let i = 0; i < 20; i += 1) ids.push(await topup(gw, 'wh-keepalive'));
  const delivered = () =>
    ids.every((id) => r.deliveries.some((d) => d.body.transaction?.id === id));
  await r.waitFor(delivered, 30_000, 'the 20 deliveries');
  // A connection per POST would be 20 or more (both gateways' workers may deliver, each with its
  // own pool of kept-alive sockets).
  expect(r.connectionsAccepted()).toBeLessThanOrEqual(4);
  // The cursor's last move overlaps nothing and is awaited before the worker lets the webhook go.
  const last = r.deliveries.filter((d) => ids.includes(d.body.transaction?.id)).at(-1)!.body.id;
  const deadline = Date.now() + 10_000;
  let cursor = '';
  while (Date.now() < deadline) {
    const row = await gw.database.pool.query<{ cursor: string }>(
      'SELECT cursor_event_id::text AS cursor FROM webhooks WHERE id = $1',
      [webhook.id],
    );
    cursor = row.rows[0]!.cursor;
    if (BigInt(cursor) >= BigInt(last)) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  expect(BigInt(cursor) >= BigInt(last)).toBe(true);
}, 60_000);

it('deleteWebhook stops deliveries; deleting it again answers false', async () => {
  const r = await receiver();
  const webhook = await createWebhook(gw, { url: r.url });
  await topup(gw, 'wh-del');
  await r.waitFor(() => r.deliveries.length >= 1, 30_000, 'the first delivery');
  expect(await deleteWebhook(gw, webhook.id)).toBe(true);
  const count = r.deliveries.length;
  for (let i = 0; i < 3; i += 1) await topup(gw, 'wh-del');
  // Several poll intervals of both gateways.
  await new Promise((resolve) => setTimeout(resolve, 1500));
  expect(r.deliveries.length).toBe(count);
  expect(await deleteWebhook(gw, webhook.id)).toBe(false);
  expect(await deleteWebhook(gw, 'not-an-id')).toBe(false);
}, 60_000);

it('bad URLs and secrets are refused with BAD_USER_INPUT and create nothing; only admins manage webhooks', async () => {
  const admin = { authorization: `Bearer ${gw.tokens.admin}` };
  const refused = [
    { url: 'not a url' },
    { url: 'ftp://127.0.0.1/hook' },
    { url: 'file:///etc/passwd' },
    { url: 'http://user:pass@127.0.0.1/hook' },
    { url: `http://127.0.0.1/${'x'.repeat(2100)}` },
    { url: '' },
    { url: 'http://10.1.2.3/hook' },
    { url: 'http://169.254.169.254/latest/meta-data' },
    { url: 'http://127.0.0.1:9/hook', secret: 'too-short' },
    { url: 'http://127.0.0.1:9/hook', secret: 'x'.repeat(129) },
    { url: 'http://127.0.0.1:9/hook', secret: 'has spaces in it but is long enough to pass' },
  ];
  for (const input of refused) {
    const response = await gw.gql(CREATE, { input }, admin);
    expect({ input: input.url.slice(0, 60), code: errorCode(response) }).toEqual({
      input: input.url.slice(0, 60),
      code: 'BAD_USER_INPUT',
    });
  }
  expect((await gw.gql(LIST, {}, admin)).data.webhooks).toEqual([]);
  expect(errorCode(await gw.gql(CREATE, { input: { url: 'http://127.0.0.1:9/hook' } }))).toBe(
    'FORBIDDEN',
  );
  expect(errorCode(await gw.gql(LIST, {}))).toBe('FORBIDDEN');
  expect(
    errorCode(
      await gw.gql(
        DELETE,
        { id: '1' },
        { authorization: `Bearer ${await gw.tokens.player('alice')}` },
      ),
    ),
  ).toBe('FORBIDDEN');
});

it('an event that fails for the whole retry window is marked failed and visible; later events then flow', async () => {
  const g = await startTestGateway('webhooks_giveup', {
    env: { ...FAST, WEBHOOK_RETRY_WINDOW_MS: '1500' },
  });
  const r = await receiver();
  try {
    r.respond = (delivery) => ({
      status: delivery.body.transaction?.reference === 'poison' ? 500 : 200,
    });
    const webhook = await createWebhook(g, { url: r.url });
    await topup(g, 'wh-poison', 'poison');
    await topup(g, 'wh-poison', 'fine');
    await r.waitFor(
      () => r.deliveries.some((d) => d.body.transaction.reference === 'fine'),
      30_000,
      'the event behind the poisoned one',
    );
    const poisoned = r.deliveries.filter((d) => d.body.transaction.reference === 'poison');
    const fine = r.deliveries.find((d) => d.body.transaction.reference === 'fine')!;
    // Retried for the whole window before giving up, and the later event waited for that.
    expect(poisoned.length).toBeGreaterThanOrEqual(3);
    expect(fine.atMs - poisoned[0]!.atMs).toBeGreaterThanOrEqual(1400);
    expect(Math.max(...poisoned.map((d) => d.atMs))).toBeLessThan(fine.atMs);
    const listed = (await g.gql(LIST, {}, { authorization: `Bearer ${g.tokens.admin}` })).data
      .webhooks;
    expect(listed[0].failedEvents).toEqual([
      { id: poisoned[0]!.body.id, type: 'TRANSACTION', transaction: { reference: 'poison' } },
    ]);
    expect(listed[0].lastError).toBeNull();
    const { samples } = await scrape(g.url);
    expect(sampleValue(samples, 'wallet_webhook_failed_events', { webhook: webhook.id })).toBe(1);
    expect(
      sampleValue(samples, 'wallet_webhook_delivery_failures_total', { webhook: webhook.id }),
    ).toBe(1);
    expect(
      sampleValue(samples, 'wallet_webhook_delivery_attempts_total', {
        webhook: webhook.id,
        outcome: 'failed',
      }),
    ).toBe(poisoned.length);
    await g.assertInvariants();
  } finally {
    await g.stop();
  }
}, 90_000);

describe('SSRF rules in production mode', () => {
  it('refuses loopback, private, link-local and metadata hosts unless allow-listed, and checks again at delivery', async () => {
    const r = await receiver();
    const prod = await startTestGateway('webhooks_prod', {
      env: {
        ...FAST,
        NODE_ENV: 'production',
        METRICS_TOKEN: 'a-metrics-token-for-tests-0123',
        WEBHOOK_ALLOWED_HOSTS: 'allowed.invalid',
      },
    });
    const allowing = await startTestGateway('webhooks_prod_allow', {
      env: {
        ...FAST,
        NODE_ENV: 'production',
        METRICS_TOKEN: 'a-metrics-token-for-tests-0123',
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
      },
    });
    try {
      const admin = { authorization: `Bearer ${prod.tokens.admin}` };
      for (const url of [
        r.url,
        `http://localhost:${r.port}/hook`,
        'http://[::1]/hook',
        'http://[::ffff:127.0.0.1]/hook',
        'http://[::ffff:7f00:1]/hook',
        'http://0.0.0.0/hook',
        'http://10.0.0.1/hook',
        'http://172.16.5.4/hook',
        'http://192.168.1.1/hook',
        'http://169.254.169.254/latest',
        'http://100.100.100.200/hook',
        'http://[fd00:ec2::254]/hook',
        'http://[fe80::1]/hook',
        'http://2130706433/hook',
      ]) {
        const response = await prod.gql(CREATE, { input: { url } }, admin);
        expect({ url, code: errorCode(response) }).toEqual({ url, code: 'BAD_USER_INPUT' });
      }
      // A public address literal is accepted (nothing listens there; no delivery is attempted without events).
      expect(
        errorCode(await prod.gql(CREATE, { input: { url: 'https://93.184.215.14/hook' } }, admin)),
      ).toBeUndefined();

      // Allow-listed, the loopback receiver is accepted and gets its events.
      const allowed = await createWebhook(allowing, { url: r.url });
      await topup(allowing, 'wh-prod');
      await r.waitFor(() => r.deliveries.length >= 1, 30_000, 'the allow-listed delivery');
      expect(
        verifyWalletSignature(allowed.secret, r.deliveries[0]!.signature, r.deliveries[0]!.rawBody),
      ).toBe(true);

      // At delivery time: a webhook whose host now resolves to loopback (here: written straight
      // into the table, as if DNS had changed since creation) is never called.
      await prod.database.pool.query(
        `INSERT INTO webhooks (url, secret, cursor_xact, cursor_event_id) VALUES ($1, 'x'::text || repeat('y', 40), 0, 0)`,
        [`http://localhost:${r.port}/rebound`],
      );
      const before = r.deliveries.length;
      await topup(prod, 'wh-prod');
      const deadline = Date.now() + 20_000;
      let lastError: string | null = null;
      while (Date.now() < deadline) {
        const row = await prod.database.pool.query(
          `SELECT last_error FROM webhooks WHERE url LIKE '%/rebound'`,
        );
        lastError = row.rows[0].last_error;
        if (lastError) break;
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(lastError).toMatch(/loopback, private, link-local or metadata/);
      expect(r.deliveries.length).toBe(before);
      await prod.assertInvariants();
    } finally {
      await prod.stop();
      await allowing.stop();
    }
  }, 120_000);
});
