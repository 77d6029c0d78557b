// A balance badge for a player's screen with Apollo Client 4 and React: it stays live through the
// balanceChanged subscription with no cache code. The wallet's id (the same in every answer) lets
// the default InMemoryCache merge each push into the query on screen, which re-renders by itself:
// no keyFields, no update function, no refetch. tests/e2e/react-badge.test.ts renders it.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { ApolloProvider, useQuery, useSubscription } from '@apollo/client/react';
import { getMainDefinition } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';

const BALANCE = gql`
  query BadgeBalance($userId: ID!, $asset: ID!) {
    balance(userId: $userId, asset: $asset) {
      id
      balance
    }
  }
`;

const BALANCE_CHANGED = gql`
  subscription BadgeBalanceChanged($userId: ID!, $asset: ID!) {
    balanceChanged(userId: $userId, asset: $asset) {
      wallet {
        id
        balance
      }
    }
  }
`;

interface BalanceData {
  balance: { id: string; balance: string };
}

export interface WalletClientOptions {
  /** The gateway's GraphQL endpoint, e.g. https://wallet.example.com/graphql */
  httpUrl: string;
  /** The same endpoint over websockets, e.g. wss://wallet.example.com/graphql */
  wsUrl: string;
  /** The player's JWT. */
  token: string;
  /** Only outside browsers: a WebSocket implementation (the `ws` package on Node 20). */
  webSocketImpl?: unknown;
}

/** Queries and mutations over HTTP, subscriptions over graphql-ws, one default cache. */
export function createWalletClient(options: WalletClientOptions): ApolloClient {
  const authorization = `Bearer ${options.token}`;
  const live = new GraphQLWsLink(
    createClient({
      url: options.wsUrl,
      connectionParams: { authorization },
      ...(options.webSocketImpl ? { webSocketImpl: options.webSocketImpl } : {}),
    }),
  );
  const http = new HttpLink({ uri: options.httpUrl, headers: { authorization } });
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

export function BalanceBadge({ userId, asset }: { userId: string; asset: string }) {
  const { data, error } = useQuery<BalanceData>(BALANCE, { variables: { userId, asset } });
  // Nothing to do with its results: each push is written to the cache under the wallet's id.
  useSubscription(BALANCE_CHANGED, { variables: { userId, asset } });
  if (error) return <span className="balance-badge balance-badge--error">{error.message}</span>;
  if (!data) return <span className="balance-badge">…</span>;
  return (
    <span className="balance-badge">
      {data.balance.balance} {asset}
    </span>
  );
}

export function WalletBadgeApp(props: { client: ApolloClient; userId: string; asset: string }) {
  return (
    <ApolloProvider client={props.client}>
      <BalanceBadge userId={props.userId} asset={props.asset} />
    </ApolloProvider>
  );
}
