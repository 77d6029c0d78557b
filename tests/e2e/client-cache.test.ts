// Proves that real normalized client caches stay current with the gateway's ids alone: Apollo Client 4 (default InMemoryCache) and urql (Graphcache) over real HTTP and graphql-ws update a watched balance from a mutation payload and from another client's spend pushed by balanceChanged, with no keyFields, update function or refetch.
import {
  ApolloClient,
  ApolloLink,
  HttpLink,
  InMemoryCache,
  gql,
  type NormalizedCacheObject,
} from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { Client as UrqlClient, fetchExchange, subscriptionExchange } from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';
import { createClient as createWsClient, type Client as WsClient } from 'graphql-ws';
import WebSocket from 'ws';
import { waitForStreams } from '../support/subscriptions';
import { useTestGateway } from '../support/use-test-gateway';

// Apollo's GraphQLWsLink reads the global WebSocket (Node 22 has one; Node 20 does not).
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

const sockets: WsClient[] = [];
const stops: (() => void)[] = [];
// Clients are closed before the gateway stops; the invariants are checked once they are.
const t = useTestGateway('client_cache', {
  invariantsAfterEach: false,
  beforeStop: async () => {
    for (const stop of stops) stop();
    await Promise.all(sockets.map((socket) => socket.dispose()));
    await t.assertInvariants();
  },
});

const BALANCE = `query Balance($userId: ID!, $asset: ID!) {
  balance(userId: $userId, asset: $asset) { id balance available }
}`;
const TOPUP = `mutation Topup($input: TopupInput!) {
  topup(input: $input) { transaction { id } wallet { id balance available } }
}`;
const BALANCE_CHANGED = `subscription BalanceChanged($userId: ID!, $asset: ID) {
  balanceChanged(userId: $userId, asset: $asset) { wallet { id balance available } entry { id sequence } }
}`;

/** Live balanceChanged streams opened so far (each stays open until the end of the file). */
let streams = 0;

function ws(token: string): WsClient {
  const client = createWsClient({
    url: t.wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
  });
  sockets.push(client);
  return client;
}

let keys = 0;
const input = (userId: string, amount: string) => ({
  userId,
  asset: 'GOLD_COINS',
  amount,
  idempotencyKey: `client-cache-${userId}-${++keys}-${Date.now()}`,
});

/** Another client (a game server over plain HTTP) spends from the wallet. */
async function spendElsewhere(userId: string, amount: string): Promise<void> {
  const res = await t.gql(`mutation($i: SpendInput!) { spend(input: $i) { wallet { balance } } }`, {
    i: input(userId, amount),
  });
  expect(res.errors).toBeUndefined();
}

async function fund(userId: string, amount: string): Promise<void> {
  const res = await t.gql(TOPUP, { input: input(userId, amount) });
  expect(res.errors).toBeUndefined();
}

/** Resolves once the watched balance shows `expected`; rejects with what it showed on timeout. */
function shows(seen: string[], expected: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const poll = () => {
      if (seen.at(-1) === expected) return resolve();
      if (Date.now() > deadline)
        return reject(new Error(`balance on screen: ${seen.join(' -> ')}; expected ${expected}`));
      setTimeout(poll, 20);
    };
    poll();
  });
}

function apollo(token: string): ApolloClient {
  const http = new HttpLink({ uri: t.url, headers: { authorization: `Bearer ${token}` } });
  const live = new GraphQLWsLink(ws(token));
  const link = ApolloLink.split(
    ({ query }) => {
      const definition = getMainDefinition(query);
      return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
    },
    live,
    http,
  );
  return new ApolloClient({ link, cache: new InMemoryCache() });
}

/** The balance of the watched query, each time the screen would re-render. */
function watchApollo(client: ApolloClient, userId: string): string[] {
  const seen: string[] = [];
  const watched = client
    .watchQuery({ query: gql(BALANCE), variables: { userId, asset: 'GOLD_COINS' } })
    .subscribe((result) => {
      const balance = (result.data as { balance?: { balance: string } } | undefined)?.balance;
      if (balance) seen.push(balance.balance);
    });
  stops.push(() => watched.unsubscribe());
  return seen;
}

const walletsIn = (cache: NormalizedCacheObject) =>
  Object.keys(cache).filter((key) => key.startsWith('Wallet:'));

describe('Apollo Client 4, default InMemoryCache', () => {
  it('a topup payload updates the balance on screen', async () => {
    await fund('apollo-ann', '100');
    const client = apollo(t.tokens.server);
    const seen = watchApollo(client, 'apollo-ann');
    await shows(seen, '100');
    const res = await client.mutate({
      mutation: gql(TOPUP),
      variables: { input: input('apollo-ann', '25') },
    });
    expect(res.error).toBeUndefined();
    await shows(seen, '125');
    expect(walletsIn(client.cache.extract() as NormalizedCacheObject)).toHaveLength(1);
  });

  it("a player's screen follows another client's spend through balanceChanged", async () => {
    await fund('apollo-ben', '80');
    const client = apollo(await t.tokens.player('apollo-ben'));
    const seen = watchApollo(client, 'apollo-ben');
    await shows(seen, '80');
    const pushes: unknown[] = [];
    const live = client
      .subscribe({
        query: gql(BALANCE_CHANGED),
        variables: { userId: 'apollo-ben', asset: 'GOLD_COINS' },
      })
      .subscribe((result) => pushes.push(result.data));
    stops.push(() => live.unsubscribe());
    // The subscription is live once the server acknowledged it: a spend now reaches it.
    await waitForStreams(t.gateway.services.subscriptions, ++streams);
    await spendElsewhere('apollo-ben', '30');
    await shows(seen, '50');
    expect(pushes.length).toBeGreaterThanOrEqual(1);
    expect(walletsIn(client.cache.extract() as NormalizedCacheObject)).toHaveLength(1);
  });
});

function urql(token: string): UrqlClient {
  const socket = ws(token);
  return new UrqlClient({
    url: t.url,
    // POST, as Apollo sends: the gateway's CSRF prevention refuses a GET without a preflight header.
    preferGetMethod: false,
    fetchOptions: { headers: { authorization: `Bearer ${token}` } },
    exchanges: [
      cacheExchange({}),
      fetchExchange,
      subscriptionExchange({
        forwardSubscription: (request) => ({
          subscribe: (sink) => ({
            unsubscribe: socket.subscribe({ ...request, query: request.query ?? '' }, sink),
          }),
        }),
      }),
    ],
  });
}

function watchUrql(client: UrqlClient, userId: string): string[] {
  const seen: string[] = [];
  const watched = client.query(BALANCE, { userId, asset: 'GOLD_COINS' }).subscribe((result) => {
    const balance = (result.data as { balance?: { balance: string } } | undefined)?.balance;
    if (balance && seen.at(-1) !== balance.balance) seen.push(balance.balance);
  });
  stops.push(() => watched.unsubscribe());
  return seen;
}

describe('urql with Graphcache', () => {
  it('a topup payload updates the balance on screen', async () => {
    await fund('urql-cat', '40');
    const client = urql(t.tokens.server);
    const seen = watchUrql(client, 'urql-cat');
    await shows(seen, '40');
    const res = await client.mutation(TOPUP, { input: input('urql-cat', '2') }).toPromise();
    expect(res.error).toBeUndefined();
    await shows(seen, '42');
  });

  it("a player's screen follows another client's spend through balanceChanged", async () => {
    await fund('urql-dan', '60');
    const client = urql(await t.tokens.player('urql-dan'));
    const seen = watchUrql(client, 'urql-dan');
    await shows(seen, '60');
    const live = client
      .subscription(BALANCE_CHANGED, { userId: 'urql-dan', asset: 'GOLD_COINS' })
      .subscribe(() => undefined);
    stops.push(() => live.unsubscribe());
    await waitForStreams(t.gateway.services.subscriptions, ++streams);
    await spendElsewhere('urql-dan', '15');
    await shows(seen, '45');
  });
});
