// Proves trusted documents over real HTTP and graphql-ws: with TRUSTED_DOCUMENTS_MANIFEST set, a player runs the manifest's operations (by hash alone or as text) and is refused any other with OPERATION_NOT_TRUSTED, while servers and admins may send any document; Apollo Client's persisted-queries link (docs/examples/apollo-persisted-queries.ts) works as written.
import path from 'node:path';
import { gql } from '@apollo/client';
import WebSocket from 'ws';
import {
  BalanceChangedDocument,
  BalanceDocument,
} from '../../src/client/generated/trusted/graphql';
import { createTrustedApolloClient } from '../../docs/examples/apollo-persisted-queries';
import { errorCode } from '../support/gateway';
import { waitForStreams, wsClient } from '../support/subscriptions';
import { useTestGateway } from '../support/use-test-gateway';

const manifest = path.join(
  __dirname,
  '..',
  '..',
  'src/client/generated/trusted/persisted-documents.json',
);
const t = useTestGateway('trusted_documents', { env: { TRUSTED_DOCUMENTS_MANIFEST: manifest } });

const hashOf = (document: unknown) =>
  (document as { __meta__: { hash: string } }).__meta__.hash.replace(/^sha256:/, '');
const ARBITRARY = `query($u: ID!) { balance(userId: $u, asset: "GOLD_COINS") { balance } }`;

async function post(token: string, body: Record<string, unknown>) {
  const response = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  return {
    status: response.status,
    ...((await response.json()) as { data?: any; errors?: any[] }),
  };
}

describe('trusted documents', () => {
  it('a player runs a manifest operation by its hash alone', async () => {
    const res = await post(await t.tokens.player('td-ann'), {
      variables: { userId: 'td-ann', asset: 'GOLD_COINS' },
      extensions: { persistedQuery: { version: 1, sha256Hash: hashOf(BalanceDocument) } },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data.balance).toMatchObject({ __typename: 'Wallet', balance: '0' });
  });

  it('a player is refused any other document with OPERATION_NOT_TRUSTED', async () => {
    const token = await t.tokens.player('td-ann');
    const res = await t.gql(ARBITRARY, { u: 'td-ann' }, { authorization: `Bearer ${token}` });
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('OPERATION_NOT_TRUSTED');
    expect(res.data).toBeUndefined();
    const unknownHash = await post(token, {
      extensions: { persistedQuery: { version: 1, sha256Hash: 'ab'.repeat(32) } },
    });
    expect(unknownHash.errors?.[0]?.extensions?.reason).toBe('PERSISTED_QUERY_NOT_FOUND');
  });

  it('servers and admins may still send any document', async () => {
    const asServer = await t.gql(ARBITRARY, { u: 'td-ann' });
    expect(asServer.errors).toBeUndefined();
    expect(asServer.data.balance.balance).toBe('0');
    const asAdmin = await t.gql(
      ARBITRARY,
      { u: 'td-ann' },
      { authorization: `Bearer ${t.tokens.admin}` },
    );
    expect(asAdmin.errors).toBeUndefined();
  });

  it('the same rule holds on the websocket', async () => {
    const token = await t.tokens.player('td-ben');
    const ws = wsClient(t.wsUrl, token);
    try {
      const refused = await new Promise<any>((resolve) => {
        ws.client.subscribe(
          { query: `subscription { balanceChanged(userId: "td-ben") { wallet { balance } } }` },
          { next: () => undefined, error: resolve, complete: () => resolve(undefined) },
        );
      });
      expect(refused?.[0]?.extensions?.code).toBe('OPERATION_NOT_TRUSTED');
      const streams = t.gateway.services.subscriptions.counters().streams;
      const events: any[] = [];
      const stop = ws.client.subscribe(
        {
          query: '',
          variables: { userId: 'td-ben', asset: 'GOLD_COINS' },
          extensions: {
            persistedQuery: { version: 1, sha256Hash: hashOf(BalanceChangedDocument) },
          },
        },
        { next: (value) => events.push(value), error: () => undefined, complete: () => undefined },
      );
      await waitForStreams(t.gateway.services.subscriptions, streams + 1);
      const topup = await t.gql(
        `mutation { topup(input: { userId: "td-ben", asset: "GOLD_COINS", amount: "5", idempotencyKey: "td-ben-1" }) { wallet { balance } } }`,
      );
      expect(topup.errors).toBeUndefined();
      const deadline = Date.now() + 10_000;
      while (events.length === 0 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(events[0]?.data?.balanceChanged?.wallet?.balance).toBe('5');
      stop();
    } finally {
      await ws.dispose();
    }
  });

  it("Apollo Client's persisted-queries link sends the manifest's hashes", async () => {
    const client = createTrustedApolloClient({
      httpUrl: t.url,
      wsUrl: t.wsUrl,
      token: await t.tokens.player('td-cat'),
      webSocketImpl: WebSocket,
    });
    try {
      const result = await client.query({
        query: BalanceDocument,
        variables: { userId: 'td-cat', asset: 'GOLD_COINS' },
      });
      expect(result.error).toBeUndefined();
      expect(result.data?.balance.balance).toBe('0');
      // A document the manifest does not hold is refused, even when the link sends its text.
      await expect(
        client.query({
          query: gql(ARBITRARY),
          variables: { u: 'td-cat' },
          fetchPolicy: 'network-only',
        }),
      ).rejects.toThrow(/trusted documents/);
    } finally {
      client.stop();
    }
  });
});
