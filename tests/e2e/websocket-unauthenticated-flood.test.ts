// Proves over real websockets that sockets which never send connection_init cannot keep an authenticated client out: while a flooder holds the whole unauthenticated budget and reopens every socket it loses, clients with a token still connect, and the idle socket that made room is closed with 4408.
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { openIdleSocket, waitUntil } from '../support/subscriptions';
import { limits } from '../../src/shared/limits';

const UNAUTHENTICATED_MAX = 3;
const INIT_TIMEOUT_MS = 4000;

let t: TestGateway;
const opened: WebSocket[] = [];

beforeAll(async () => {
  t = await startTestGateway('websocket_flood', {
    env: {
      WS_UNAUTHENTICATED_SOCKETS_MAX: String(UNAUTHENTICATED_MAX),
      // Long enough that no idle socket times out during the test: only eviction makes room.
      WS_INIT_TIMEOUT_MS: String(INIT_TIMEOUT_MS),
    },
  });
});
afterEach(async () => {
  for (const socket of opened.splice(0)) socket.terminate();
  await waitUntil(() => t.gateway.subscriptionServer.sockets() === 0, 10_000, 'sockets to close');
});
afterAll(async () => {
  await t?.stop();
});

/** Opens a socket that never sends connection_init; resolves once open, or with the refusal status. */
const idleSocket = () => openIdleSocket(t.wsUrl, opened);

/** Opens a socket and authenticates at once, as graphql-ws clients do; resolves with the outcome. */
function authenticatedSocket(token: string): Promise<{ acked: boolean; status?: number }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws');
    opened.push(socket);
    socket.once('open', () =>
      socket.send(
        JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }),
      ),
    );
    socket.once('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack') resolve({ acked: true });
    });
    socket.once('close', () => resolve({ acked: false }));
    socket.once('unexpected-response', (_req, res) =>
      resolve({ acked: false, status: res.statusCode }),
    );
    socket.once('error', () => undefined);
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('an authenticated client gets in while idle sockets hold the whole unauthenticated budget', async () => {
  const idle = await Promise.all(Array.from({ length: UNAUTHENTICATED_MAX }, () => idleSocket()));
  expect(idle.every((s) => s.socket !== undefined)).toBe(true);
  const closes = idle.map(
    (s) => new Promise<number>((resolve) => s.socket!.once('close', (code) => resolve(code))),
  );
  // Past the eviction age, an idle socket gives its slot to the next upgrade.
  await sleep(limits.websocketUnauthenticatedEvictAfterMs + 100);
  expect(await authenticatedSocket(t.tokens.server)).toEqual({ acked: true });
  // The oldest idle socket made room, closed the way the init timeout would close it.
  expect(await Promise.race([closes[0]!, sleep(2000).then(() => 'still open')])).toBe(4408);
  expect(t.gateway.subscriptionServer.socketCounts()).toEqual({
    unauthenticated: UNAUTHENTICATED_MAX - 1,
    authenticated: 1,
  });
});

it('a flooder that reopens every socket it loses does not keep clients with a token out', async () => {
  let flooding = true;
  const hold = async () => {
    while (flooding) {
      const { socket } = await idleSocket();
      if (!socket) {
        await sleep(20);
        continue;
      }
      if (!flooding) {
        socket.terminate();
        break;
      }
      await new Promise((resolve) => socket.once('close', resolve));
    }
  };
  const flooders = Array.from({ length: UNAUTHENTICATED_MAX }, () => hold());
  try {
    await waitUntil(
      () => t.gateway.subscriptionServer.socketCounts().unauthenticated === UNAUTHENTICATED_MAX,
      10_000,
      'the flood to fill the budget',
    );
    const outcomes = [];
    for (let i = 0; i < 4; i += 1) {
      await sleep(limits.websocketUnauthenticatedEvictAfterMs + 100);
      outcomes.push(await authenticatedSocket(await t.tokens.player(`flooded-${i}`)));
    }
    expect(outcomes).toEqual(Array(4).fill({ acked: true }));
  } finally {
    flooding = false;
    for (const socket of opened) socket.terminate();
    await Promise.all(flooders);
  }
});

it('WS_INIT_TIMEOUT_MS sets the connection_init timeout', () => {
  expect(t.config.WS_INIT_TIMEOUT_MS).toBe(INIT_TIMEOUT_MS);
  expect(limits.websocketUnauthenticatedEvictAfterMs).toBeLessThan(limits.websocketInitTimeoutMs);
});
