// Proves the small transport hardenings over real HTTP and websockets: token lifetime, exp and iat bounds, persisted queries off, slow clients cut after seconds, security headers, and a refused subscription answered with the graphql-ws `error` message.
import net from 'node:net';
import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../support/gateway';
import { limits } from '../../src/shared/limits';

jest.setTimeout(120_000);

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway('transport-hardening', {
    env: { HTTP_HEADERS_TIMEOUT_MS: '1000', HTTP_REQUEST_TIMEOUT_MS: '2000' },
  });
});
afterAll(async () => {
  await t?.stop();
});

const nowSeconds = () => Math.floor(Date.now() / 1000);

function sign(claims: { exp: number; iat?: number }): Promise<string> {
  const jwt = new SignJWT({
    role: 'server',
    exp: claims.exp,
    ...(claims.iat === undefined ? {} : { iat: claims.iat }),
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('game-server-1');
  return jwt.sign(new TextEncoder().encode(TEST_JWT_SECRET));
}

async function assetsWith(token: string) {
  const response = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query: '{ assets { code } }' }),
  });
  return {
    status: response.status,
    headers: response.headers,
    json: (await response.json()) as any,
  };
}

/** Opens a websocket and sends connection_init; resolves with the first message type or the close code. */
function wsInit(token: string): Promise<{ type?: string; closeCode?: number; socket: WebSocket }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws');
    socket.once('open', () =>
      socket.send(
        JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${token}` } }),
      ),
    );
    socket.once('message', (data) => resolve({ type: JSON.parse(String(data)).type, socket }));
    socket.once('close', (code) => resolve({ closeCode: code, socket }));
  });
}

describe('token lifetime', () => {
  it.each([
    ['exp 1e20 (an Invalid Date)', { exp: 1e20, iat: nowSeconds() }],
    ['exp 1e20 without iat', { exp: 1e20 }],
    [
      `a lifetime over ${limits.tokenLifetimeMaxSeconds} s`,
      { exp: nowSeconds() + limits.tokenLifetimeMaxSeconds + 3600, iat: nowSeconds() },
    ],
    ['iat an hour in the future', { exp: nowSeconds() + 7200, iat: nowSeconds() + 3600 }],
  ])('%s is UNAUTHENTICATED over HTTP and closes a websocket with 4403', async (_name, claims) => {
    const token = await sign(claims);
    const http = await assetsWith(token);
    expect(http.status).toBe(401);
    expect(http.json.errors[0].extensions.code).toBe('UNAUTHENTICATED');
    const ws = await wsInit(token);
    expect(ws.closeCode).toBe(4403);
  });

  it('a token of the longest lifetime, and one issued a few seconds ahead of our clock, are accepted', async () => {
    expect(
      (
        await assetsWith(
          await sign({
            exp: nowSeconds() + limits.tokenLifetimeMaxSeconds - 60,
            iat: nowSeconds(),
          }),
        )
      ).status,
    ).toBe(200);
    expect(
      (await assetsWith(await sign({ exp: nowSeconds() + 3600, iat: nowSeconds() + 10 }))).status,
    ).toBe(200);
  });
});

describe('HTTP', () => {
  it('automatic persisted queries are off: a hash alone is refused as BAD_USER_INPUT, and nothing is cached', async () => {
    const response = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.tokens.server}` },
      body: JSON.stringify({
        extensions: { persistedQuery: { version: 1, sha256Hash: 'a'.repeat(64) } },
      }),
    });
    const body = (await response.json()) as any;
    expect(body.errors[0].extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      reason: 'PERSISTED_QUERY_NOT_SUPPORTED',
    });
  });

  it('security headers on /graphql: nosniff, no framing, no referrer, no caching', async () => {
    const { headers } = await assetsWith(t.tokens.server);
    expect(headers.get('x-content-type-options')).toBe('nosniff');
    expect(headers.get('x-frame-options')).toBe('DENY');
    expect(headers.get('referrer-policy')).toBe('no-referrer');
    expect(headers.get('cache-control')).toBe('no-store');
  });

  it('a slow client that never finishes its headers is cut after seconds, not minutes', async () => {
    const { port } = new URL(t.url);
    const started = Date.now();
    const ended = await new Promise<{ afterMs: number; answer: string }>((resolve, reject) => {
      const socket = net.connect(Number(port), '127.0.0.1');
      let answer = '';
      // One header line every 300 ms: each keeps the connection busy, none completes the request.
      const drip = setInterval(() => socket.write(`x-slow-${Date.now()}: 1\r\n`), 300);
      socket.on('connect', () => socket.write('GET /healthz HTTP/1.1\r\nHost: localhost\r\n'));
      socket.on('data', (chunk) => (answer += chunk.toString()));
      socket.on('close', () => {
        clearInterval(drip);
        resolve({ afterMs: Date.now() - started, answer });
      });
      socket.on('error', () => undefined);
      setTimeout(
        () => reject(new Error('the slow connection was still open after 15 s')),
        15_000,
      ).unref();
    });
    expect(ended.answer).toMatch(/^HTTP\/1\.1 408/);
    // headers timeout 1 s, checked every limits.httpTimeoutCheckIntervalMs.
    expect(ended.afterMs).toBeLessThan(1000 + limits.httpTimeoutCheckIntervalMs + 2000);
  });
});

describe('websockets', () => {
  it('a refused subscription arrives as the graphql-ws `error` message, with no `next` or `complete`', async () => {
    const { socket, type } = await wsInit(await t.tokens.player('ws-refused-me'));
    expect(type).toBe('connection_ack');
    const messages: any[] = [];
    socket.on('message', (data) => messages.push(JSON.parse(String(data))));
    socket.send(
      JSON.stringify({
        id: '1',
        type: 'subscribe',
        payload: {
          query: 'subscription { balanceChanged(userId: "someone-else") { wallet { balance } } }',
        },
      }),
    );
    const deadline = Date.now() + 10_000;
    while (messages.length === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    // Anything else the server would send follows at once; give it a moment.
    await new Promise((resolve) => setTimeout(resolve, 200));
    socket.close();
    expect(messages.map((message) => message.type)).toEqual(['error']);
    expect(messages[0].payload[0].extensions.code).toBe('FORBIDDEN');
    expect(JSON.stringify(messages[0].payload)).not.toMatch(/at \S+ \(|node_modules/);
  });
});
