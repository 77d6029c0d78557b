// Proves websocket authentication and hardening with real graphql-ws clients: bad credentials close with 4403, players subscribe only to their own wallets, the socket closes when its token expires, browser Origins are checked at the upgrade, the depth/alias/cost/token limits and the rate limit apply to subscriptions as over HTTP.
import WebSocket from 'ws';
import { UnsecuredJWT } from 'jose';
import { mintToken } from '../../src/shared/auth/tokens';
import { limits } from '../../src/shared/limits';
import {
  collect,
  useWsClients,
  waitForStreams,
  waitUntil,
  type WsClient,
} from '../support/subscriptions';
import type { TestGateway } from '../support/gateway';
import { useTestGateway } from '../support/use-test-gateway';
import { inputMutation } from '../support/documents';

const openWsClient = useWsClients(() => t);
let keyCounter = 0;

function client(token: string | undefined, gateway: TestGateway = t): WsClient {
  return openWsClient(gateway.wsUrl, token);
}
const streams = (gateway: TestGateway = t) =>
  gateway.gateway.services.subscriptions.counters().streams;

async function topup(userId: string, amount: number) {
  const res = await t.gql(inputMutation('topup', `wallet { balance }`), {
    input: {
      userId,
      asset: 'GOLD_COINS',
      amount: String(amount),
      idempotencyKey: `ws-auth-${++keyCounter}`,
    },
  });
  if (res.errors) throw new Error(JSON.stringify(res.errors));
}

const t = useTestGateway('websocket-auth', {
  env: { WS_ALLOWED_ORIGINS: 'https://play.example.com, https://admin.example.com' },
  invariantsAfterEach: false,
});

describe('credentials', () => {
  it.each([
    ['no connectionParams credential', async () => undefined],
    ['garbage', async () => 'garbage'],
    [
      'a forged signature',
      async () =>
        mintToken({
          secret: 'some-other-secret-that-is-long-enough-42',
          sub: 'alice',
          role: 'player',
        }),
    ],
    [
      'alg none',
      async () =>
        new UnsecuredJWT({ role: 'admin' }).setSubject('admin-1').setExpirationTime('1h').encode(),
    ],
    [
      'an expired token',
      async () => t.mintToken({ sub: 'alice', role: 'player', expiresInSeconds: -60 }),
    ],
  ])('%s: the socket closes with 4403 before any subscription runs', async (_name, token) => {
    const c = client(await token());
    const sub = collect(c.client, { userId: 'alice' });
    await sub.waitForError();
    await waitUntil(() => c.closes.length > 0, 5000, 'the close');
    expect(c.closes[0]!.code).toBe(limits.wsCloseForbidden);
    expect(sub.events).toEqual([]);
  });

  it("a player subscribes to their own wallet; another player's is FORBIDDEN and delivers nothing", async () => {
    const c = client(await t.tokens.player('ws-alice'));
    const foreign = collect(c.client, { userId: 'ws-bob' });
    expect((await foreign.waitForError())[0]!.extensions?.code).toBe('FORBIDDEN');
    const own = collect(c.client, { userId: 'ws-alice' });
    await waitForStreams(t.gateway.services.subscriptions, 1);
    await topup('ws-bob', 5);
    await topup('ws-alice', 7);
    const [event] = await own.waitForCount(1);
    expect(event.wallet.userId).toBe('ws-alice');
    expect(event.entry.amount).toBe('7');
    expect(foreign.events).toEqual([]);
  });

  it('server and admin tokens may follow any user', async () => {
    for (const token of [t.tokens.server, t.tokens.admin]) {
      const c = client(token);
      const sub = collect(c.client, { userId: 'ws-any' });
      await waitForStreams(t.gateway.services.subscriptions, 1);
      await topup('ws-any', 1);
      expect((await sub.waitForCount(1))[0].wallet.userId).toBe('ws-any');
      await c.dispose();
      await waitUntil(() => streams() === 0, 5000, 'the stream to end');
    }
  });

  it('the socket closes with 4403 "Token expired" when its token expires, ending the live subscription', async () => {
    const shortLived = await t.mintToken({
      sub: 'ws-expiring',
      role: 'player',
      expiresInSeconds: 2,
    });
    const c = client(shortLived);
    const sub = collect(c.client, { userId: 'ws-expiring' });
    await waitForStreams(t.gateway.services.subscriptions, 1);
    await topup('ws-expiring', 1);
    await sub.waitForCount(1);
    const openedAt = Date.now();
    await waitUntil(() => c.closes.length > 0, 6000, 'the expiry close');
    expect(c.closes[0]).toEqual({ code: limits.wsCloseForbidden, reason: 'Token expired' });
    expect(Date.now() - openedAt).toBeLessThan(4000);
    await waitUntil(() => streams() === 0, 5000, 'the stream to end');
  });
});

describe('Origin allow-list at the upgrade', () => {
  /** Opens a raw websocket with the graphql-ws subprotocol; resolves with the HTTP outcome of the upgrade. */
  const upgrade = (headers: Record<string, string>) =>
    new Promise<number>((resolve, reject) => {
      const socket = new WebSocket(t.wsUrl, 'graphql-transport-ws', { headers });
      socket.on('open', () => {
        socket.close();
        resolve(101);
      });
      socket.on('unexpected-response', (_request, response) => {
        resolve(response.statusCode ?? 0);
        socket.terminate();
      });
      socket.on('error', (error) => {
        if (!String(error).includes('Unexpected server response')) reject(error);
      });
    });

  it("no Origin (a game server), an allowed origin and the gateway's own origin are accepted", async () => {
    expect(await upgrade({})).toBe(101);
    expect(await upgrade({ origin: 'https://play.example.com' })).toBe(101);
    expect(await upgrade({ origin: 'https://ADMIN.example.com' })).toBe(101);
    expect(await upgrade({ origin: new URL(t.url).origin })).toBe(101);
  });

  it('any other Origin is refused with 403 before the handshake', async () => {
    for (const origin of [
      'https://evil.example.com',
      'http://play.example.com',
      'https://play.example.com.evil.net',
      'null',
      'file://',
    ]) {
      expect({ origin, status: await upgrade({ origin }) }).toEqual({ origin, status: 403 });
    }
  });
});

describe('limits, as over HTTP', () => {
  async function refusal(
    query: string,
    variables: Record<string, unknown> = { userId: 'ws-limits' },
  ) {
    const c = client(t.tokens.server);
    const sub = collect(c.client, variables, query);
    return (await sub.waitForError())[0]!.extensions;
  }

  it('depth: one level past the limit is QUERY_TOO_DEEP', async () => {
    // balanceChanged(1) entry(2), then transaction/entries levels down to depth 11 with the leaf.
    const query = `subscription($userId: ID!) { balanceChanged(userId: $userId) { entry { transaction { entries { transaction { entries { transaction { entries { transaction { entries { id } } } } } } } } } } }`;
    expect(await refusal(query)).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'QUERY_TOO_DEEP',
      limit: limits.queryDepthMax,
    });
  });

  it('aliases: one past the limit is TOO_MANY_ALIASES', async () => {
    const fields = Array.from(
      { length: limits.queryAliasesMax + 1 },
      (_, i) => `b${i}: balance`,
    ).join(' ');
    const query = `subscription($userId: ID!) { balanceChanged(userId: $userId) { wallet { ${fields} } } }`;
    expect(await refusal(query)).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'TOO_MANY_ALIASES',
      limit: limits.queryAliasesMax,
    });
  });

  it('cost: fragments repeated at each level multiply the estimate past the limit: QUERY_TOO_COMPLEX', async () => {
    const ten = (spread: string) => Array.from({ length: 10 }, () => spread).join(' ');
    const query = `subscription($userId: ID!) { balanceChanged(userId: $userId) { entry { transaction { ${ten('...T3')} } } } }
      fragment T3 on Transaction { entries { ${ten('...E2')} } }
      fragment E2 on LedgerEntry { transaction { ${ten('...T1')} } }
      fragment T1 on Transaction { entries { ${ten('...E0')} } }
      fragment E0 on LedgerEntry { id amount direction sequence }`;
    expect(await refusal(query)).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'QUERY_TOO_COMPLEX',
      limit: limits.queryCostMax,
    });
  });

  it('size: a document over the token limit is QUERY_TOO_LARGE', async () => {
    const query = `subscription($userId: ID!) { balanceChanged(userId: $userId) { wallet { ${'balance '.repeat(limits.queryTokensMax)} } } }`;
    expect(await refusal(query)).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'QUERY_TOO_LARGE',
      limit: limits.queryTokensMax,
    });
  });
});

describe('rate limit', () => {
  const limited = useTestGateway('websocket-ratelimit', {
    env: { RATE_LIMIT_PLAYER_POINTS: '2', RATE_LIMIT_DURATION_SECONDS: '600' },
    invariantsAfterEach: false,
  });

  it('each subscribe costs a point: past the budget the subscribe is RATE_LIMITED and opens no stream', async () => {
    const c = client(await limited.tokens.player('ws-limited'), limited);
    const first = collect(c.client, { userId: 'ws-limited' });
    const second = collect(c.client, { userId: 'ws-limited', asset: 'GOLD_COINS' });
    await waitForStreams(limited.gateway.services.subscriptions, 2);
    const third = collect(c.client, { userId: 'ws-limited', asset: 'DIAMONDS' });
    expect((await third.waitForError())[0]!.extensions).toMatchObject({ code: 'RATE_LIMITED' });
    expect(streams(limited)).toBe(2);
    // The socket stays open and the admitted subscriptions keep running.
    expect(c.closes).toEqual([]);
    expect(first.errors).toBeUndefined();
    expect(second.errors).toBeUndefined();
    await c.dispose();
    await waitUntil(() => streams(limited) === 0, 5000, 'streams to end');
  });
});
