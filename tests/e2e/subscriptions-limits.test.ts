// Proves the bounds on live subscriptions: sockets per process, operations per socket, the slow-consumer buffer, keepalive pings, and that 1,000 subscribe/close cycles leave no stream, listener, buffer or socket behind.
import WebSocket from 'ws';
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
const SOCKETS_MAX = 4;
const PER_SOCKET_MAX = 3;
const BUFFER_MAX = 5;
const KEEPALIVE_MS = 300;

const clients: WsClient[] = [];
let keyCounter = 0;

function client(): WsClient {
  const c = wsClient(t.wsUrl, t.tokens.server);
  clients.push(c);
  return c;
}

async function topup(userId: string, amount = 1): Promise<void> {
  const res = await t.gql(TOPUP, {
    input: {
      userId,
      asset: 'GOLD_COINS',
      amount: String(amount),
      idempotencyKey: `lim-${++keyCounter}`,
    },
  });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
}

/** A raw websocket that speaks graphql-transport-ws up to connection_ack. */
async function rawSocket(options: WebSocket.ClientOptions = {}): Promise<WebSocket> {
  const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws', options);
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () =>
      socket.send(
        JSON.stringify({
          type: 'connection_init',
          payload: { authorization: `Bearer ${t.tokens.server}` },
        }),
      ),
    );
    socket.once('message', (data) =>
      JSON.parse(String(data)).type === 'connection_ack'
        ? resolve()
        : reject(new Error(String(data))),
    );
    socket.once('error', reject);
  });
  return socket;
}

const counters = () => t.gateway.services.subscriptions.counters();

const t = useTestGateway('subscription_limits', {
  env: {
    WS_SOCKETS_MAX: String(SOCKETS_MAX),
    WS_SUBSCRIPTIONS_PER_SOCKET_MAX: String(PER_SOCKET_MAX),
    WS_SUBSCRIPTION_BUFFER_MAX: String(BUFFER_MAX),
    WS_KEEPALIVE_MS: String(KEEPALIVE_MS),
  },
  invariantsAfterEach: false,
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  await waitUntil(
    () => counters().streams === 0 && t.gateway.subscriptionServer.sockets() === 0,
    5000,
    'streams and sockets to end',
  );
  await t.assertInvariants();
});

it('refuses the upgrade with 503 past the per-process socket limit, and accepts again once one closes', async () => {
  const sockets = await Promise.all(Array.from({ length: SOCKETS_MAX }, () => rawSocket()));
  const status = await new Promise<number>((resolve, reject) => {
    const extra = new WebSocket(t.wsUrl, 'graphql-transport-ws');
    extra.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    extra.once('open', () => reject(new Error('the socket past the limit was accepted')));
    extra.once('error', () => undefined);
  });
  expect(status).toBe(503);
  sockets[0]!.close();
  await waitUntil(
    () => t.gateway.subscriptionServer.sockets() === SOCKETS_MAX - 1,
    5000,
    'the close',
  );
  const again = await rawSocket();
  again.close();
  for (const socket of sockets.slice(1)) socket.close();
});

it('refuses an operation past the per-socket limit with RATE_LIMITED; the others keep delivering', async () => {
  const c = client();
  const subs = Array.from({ length: PER_SOCKET_MAX }, () =>
    collect(c.client, { userId: 'lim-per-socket' }),
  );
  await waitForStreams(t.gateway.services.subscriptions, PER_SOCKET_MAX);
  const extra = collect(c.client, { userId: 'lim-per-socket' });
  expect((await extra.waitForError())[0]!.extensions).toMatchObject({
    code: 'RATE_LIMITED',
    reason: 'TOO_MANY_SUBSCRIPTIONS',
    limit: PER_SOCKET_MAX,
  });
  await topup('lim-per-socket');
  for (const sub of subs) expect((await sub.waitForCount(1))[0].entry.sequence).toBe('1');
  // Completing one frees its slot.
  subs[0]!.unsubscribe();
  await waitUntil(
    () => counters().streams === PER_SOCKET_MAX - 1,
    5000,
    'the completed stream to end',
  );
  const replacement = collect(c.client, { userId: 'lim-per-socket' });
  await waitForStreams(t.gateway.services.subscriptions, PER_SOCKET_MAX);
  await topup('lim-per-socket');
  expect((await replacement.waitForCount(1))[0].entry.sequence).toBe('2');
});

it('ends a consumer that falls more than the buffer behind with RATE_LIMITED, releasing its buffer; it resumes with afterSequence', async () => {
  const userId = 'lim-slow';
  await topup(userId);
  // The service's own iterator, never read: a consumer that has stopped taking changes.
  const stalled = await t.gateway.services.subscriptions.balanceChanged(
    { subject: 'test', role: 'server' },
    { userId, asset: 'GOLD_COINS' },
  );
  expect(counters().streams).toBe(1);
  for (let i = 0; i < BUFFER_MAX; i++) await topup(userId);
  await waitUntil(() => counters().bufferedChanges === BUFFER_MAX, 5000, 'the buffer to fill');
  await topup(userId);
  await waitUntil(() => counters().streams === 0, 5000, 'the stalled stream to be ended');
  expect(counters()).toMatchObject({ bufferedChanges: 0, bus: { listeners: 0 } });
  await expect(stalled.next()).rejects.toMatchObject({
    extensions: { code: 'RATE_LIMITED', reason: 'SUBSCRIPTION_BUFFER_FULL', limit: BUFFER_MAX },
  });
  await expect(stalled.next()).resolves.toEqual({ value: undefined, done: true });

  // Resuming replays the backlog page by page at the consumer's pace: more than the buffer holds, no overflow.
  const resumed = collect(client().client, { userId, asset: 'GOLD_COINS', after: '1' });
  const events = await resumed.waitForCount(BUFFER_MAX + 1);
  expect(events.map((e) => e.entry.sequence)).toEqual(
    Array.from({ length: BUFFER_MAX + 1 }, (_, i) => String(i + 2)),
  );
  for (let i = 0; i < 3 * BUFFER_MAX; i++) await topup(userId, 2);
  await resumed.waitForCount(4 * BUFFER_MAX + 1);
  const full = collect(client().client, { userId, asset: 'GOLD_COINS', after: 0 });
  expect(
    (await full.waitForCount(4 * BUFFER_MAX + 2)).map((e) => Number(e.entry.sequence)),
  ).toEqual(Array.from({ length: 4 * BUFFER_MAX + 2 }, (_, i) => i + 1));
});

it('pings every socket and drops one that stops answering; answering sockets stay', async () => {
  const silent = await rawSocket({ autoPong: false });
  const healthy = await rawSocket();
  const closed = new Promise<number>((resolve) => silent.once('close', (code) => resolve(code)));
  const started = Date.now();
  expect(await closed).toBe(1006); // terminated, not closed politely
  expect(Date.now() - started).toBeLessThan(5 * KEEPALIVE_MS + 1000);
  await new Promise((resolve) => setTimeout(resolve, 3 * KEEPALIVE_MS));
  expect(healthy.readyState).toBe(WebSocket.OPEN);
  healthy.close();
});

it('1,000 subscribe/close cycles leave no stream, bus listener, buffer, read or socket behind', async () => {
  const userId = 'lim-cycles';
  let sequence = 0;
  for (let socketIndex = 0; socketIndex < 10; socketIndex++) {
    const c = wsClient(t.wsUrl, t.tokens.server);
    for (let cycle = 0; cycle < 100; cycle++) {
      // Resuming from the current sequence makes delivery independent of when the stream starts.
      const sub = collect(c.client, { userId, asset: 'GOLD_COINS', after: String(sequence) });
      if (cycle % 4 === 0) {
        // Completed before the server may even have started it.
        sub.unsubscribe();
        continue;
      }
      await waitForStreams(t.gateway.services.subscriptions, 1);
      if (cycle % 10 === 1) {
        await topup(userId);
        sequence += 1;
        expect((await sub.waitForCount(1))[0].entry.sequence).toBe(String(sequence));
      }
      if (cycle === 99) break; // the last one is left open: closing the socket must end it
      sub.unsubscribe();
      await waitUntil(() => counters().streams === 0, 5000, 'the stream to end');
    }
    await c.dispose();
    await waitUntil(
      () => counters().streams === 0 && t.gateway.subscriptionServer.sockets() === 0,
      5000,
      'the socket to close',
    );
  }
  expect(counters()).toEqual({
    streams: 0,
    bufferedChanges: 0,
    readsInFlight: 0,
    bus: expect.objectContaining({ state: 'listening', users: 0, listeners: 0 }),
  });
  expect(t.gateway.subscriptionServer.sockets()).toBe(0);
}, 120_000);
