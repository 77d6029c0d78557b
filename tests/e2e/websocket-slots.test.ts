// Proves over real websockets that no credential, or lack of one, can take every socket slot: sockets without connection_init have a budget of their own and are dropped after a short init timeout, authenticated sockets count toward the shared cap, and each credential subject has a cap of its own.
import WebSocket from 'ws';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { openIdleSocket, waitUntil } from '../support/subscriptions';
import { limits } from '../../src/shared/limits';

const SOCKETS_MAX = 3;
const UNAUTHENTICATED_MAX = 3;
const PER_PLAYER_MAX = 2;

let t: TestGateway;
const opened: WebSocket[] = [];

beforeAll(async () => {
  t = await startTestGateway('websocket_slots', {
    env: {
      WS_SOCKETS_MAX: String(SOCKETS_MAX),
      WS_UNAUTHENTICATED_SOCKETS_MAX: String(UNAUTHENTICATED_MAX),
      WS_SOCKETS_PER_PLAYER_MAX: String(PER_PLAYER_MAX),
    },
  });
});
afterEach(async () => {
  for (const socket of opened.splice(0)) socket.terminate();
  await waitUntil(
    () => t.gateway.subscriptionServer.sockets() === 0,
    10_000,
    'every socket to close',
  );
  expect(t.gateway.subscriptionServer.socketCounts()).toEqual({
    unauthenticated: 0,
    authenticated: 0,
  });
});
afterAll(async () => {
  await t?.stop();
});

/** Opens a socket that never sends connection_init; resolves once open, or with the refusal status. */
const idleSocket = () => openIdleSocket(t.wsUrl, opened);

/** Opens a socket and authenticates it; resolves with `acked` or the close code the server sent. */
function authenticatedSocket(
  token: string,
): Promise<{ socket: WebSocket; acked: boolean; closeCode?: number }> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws');
    opened.push(socket);
    socket.once('open', () =>
      socket.send(
        JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }),
      ),
    );
    socket.once('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack') resolve({ socket, acked: true });
    });
    socket.once('close', (code) => resolve({ socket, acked: false, closeCode: code }));
    socket.once('unexpected-response', (_req, res) =>
      reject(new Error(`upgrade refused with ${res.statusCode}`)),
    );
  });
}

/** Sends connection_init on an open socket; resolves with `acked` or the close code the server sent. */
function initialise(
  socket: WebSocket,
  token: string,
): Promise<{ acked: boolean; closeCode?: number }> {
  return new Promise((resolve) => {
    socket.once('message', (data) => {
      if (JSON.parse(String(data)).type === 'connection_ack') resolve({ acked: true });
    });
    socket.once('close', (code) => resolve({ acked: false, closeCode: code }));
    socket.send(
      JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }),
    );
  });
}

it('sockets that have not sent connection_init do not count toward the shared cap; they have a budget of their own', async () => {
  const authenticated = await Promise.all(
    Array.from({ length: SOCKETS_MAX - 1 }, async (_, i) =>
      authenticatedSocket(await t.tokens.player(`slot-player-${i}`)),
    ),
  );
  expect(authenticated.map((s) => s.acked)).toEqual(Array(SOCKETS_MAX - 1).fill(true));
  const idle = await Promise.all(Array.from({ length: 2 }, () => idleSocket()));
  expect(idle.every((s) => s.socket !== undefined)).toBe(true);
  // Idle sockets take no shared slot: one more client still gets in and authenticates.
  const last = await authenticatedSocket(await t.tokens.player('slot-player-last'));
  expect(last.acked).toBe(true);
  expect(t.gateway.subscriptionServer.socketCounts()).toEqual({
    unauthenticated: 2,
    authenticated: SOCKETS_MAX,
  });
  // The shared cap is now full: the next upgrade is refused.
  expect((await idleSocket()).status).toBe(503);
});

it(`the unauthenticated budget holds ${UNAUTHENTICATED_MAX} sockets; the next upgrade is 503`, async () => {
  const idle = await Promise.all(Array.from({ length: UNAUTHENTICATED_MAX }, () => idleSocket()));
  expect(idle.every((s) => s.socket !== undefined)).toBe(true);
  expect((await idleSocket()).status).toBe(503);
  // Authenticating one moves it to the shared budget and frees its unauthenticated slot.
  expect(await initialise(idle[0]!.socket!, t.tokens.server)).toEqual({ acked: true });
  expect((await idleSocket()).socket).toBeDefined();
});

it('sockets that never send connection_init are closed with 4408 after the short init timeout, and their slots serve others', async () => {
  const idle = await Promise.all(Array.from({ length: UNAUTHENTICATED_MAX }, () => idleSocket()));
  const started = Date.now();
  const closes = await Promise.all(
    idle.map(
      (s) => new Promise<number>((resolve) => s.socket!.once('close', (code) => resolve(code))),
    ),
  );
  // graphql-ws closes a socket that has not initialised with 4408.
  expect(closes).toEqual(Array(UNAUTHENTICATED_MAX).fill(4408));
  expect(Date.now() - started).toBeLessThan(limits.websocketInitTimeoutMs + 2000);
  expect(limits.websocketInitTimeoutMs).toBeLessThanOrEqual(1500);
  const after = await authenticatedSocket(t.tokens.server);
  expect(after.acked).toBe(true);
});

it(`one player holds at most ${PER_PLAYER_MAX} sockets; the next is closed with 1008 and other players are unaffected`, async () => {
  const token = await t.tokens.player('slot-hog');
  const first = await Promise.all(
    Array.from({ length: PER_PLAYER_MAX }, () => authenticatedSocket(token)),
  );
  expect(first.map((s) => s.acked)).toEqual(Array(PER_PLAYER_MAX).fill(true));
  const extra = await authenticatedSocket(token);
  expect(extra).toMatchObject({ acked: false, closeCode: 1008 });
  const other = await authenticatedSocket(await t.tokens.player('slot-other'));
  expect(other.acked).toBe(true);
  // Closing one gives the slot back.
  first[0]!.socket.close();
  await waitUntil(
    () => t.gateway.subscriptionServer.socketCounts().authenticated === PER_PLAYER_MAX,
    5000,
    'the close',
  );
  expect((await authenticatedSocket(token)).acked).toBe(true);
});

it('past the shared cap, a socket that authenticates is closed with 1013 (try again later)', async () => {
  const authenticated = await Promise.all(
    Array.from({ length: SOCKETS_MAX - 1 }, async (_, i) =>
      authenticatedSocket(await t.tokens.player(`slot-race-${i}`)),
    ),
  );
  expect(authenticated.every((s) => s.acked)).toBe(true);
  // Two sockets open while one shared slot is left; both then authenticate.
  const idle = await Promise.all([idleSocket(), idleSocket()]);
  const results = await Promise.all(
    idle.map(async (s, i) => initialise(s.socket!, await t.tokens.player(`slot-race-late-${i}`))),
  );
  expect(results.filter((r) => r.acked)).toHaveLength(1);
  expect(results.find((r) => !r.acked)).toEqual({ acked: false, closeCode: 1013 });
});
