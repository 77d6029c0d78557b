// Apollo Client 4 against a gateway with trusted documents (docs/auth.md#trusted-documents):
// every operation goes out as its manifest hash, so the query text never leaves the browser.
// tests/e2e/trusted-documents.test.ts runs it.
import { ApolloClient, ApolloLink, HttpLink, InMemoryCache } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { print, type DocumentNode } from 'graphql';
import { createClient } from 'graphql-ws';

export interface TrustedClientOptions {
  /** The gateway's GraphQL endpoint, e.g. https://wallet.example.com/graphql */
  httpUrl: string;
  /** The same endpoint over websockets, e.g. wss://wallet.example.com/graphql */
  wsUrl: string;
  /** The player's JWT. */
  token: string;
  /** Only outside browsers: a WebSocket implementation (the `ws` package on Node 20). */
  webSocketImpl?: unknown;
}

/**
 * The documents come from GraphQL Code Generator's client preset with persistedDocuments
 * (codegen.yml): each carries its manifest hash in __meta__.hash ("sha256:<hex>"). Use those
 * documents (src/client/generated/trusted/graphql.ts in this repository), not gql`` literals: a
 * document the manifest does not hold is refused with OPERATION_NOT_TRUSTED.
 */
async function manifestHash(document: DocumentNode): Promise<string> {
  const hash = (document as { __meta__?: { hash?: string } }).__meta__?.hash;
  if (hash) return hash.replace(/^sha256:/, '');
  // Not a trusted document: its own hash, so that the link's retry with the text is consistent
  // and the gateway answers what it is (OPERATION_NOT_TRUSTED for a player).
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(print(document)));
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

export function createTrustedApolloClient(options: TrustedClientOptions): ApolloClient {
  const authorization = `Bearer ${options.token}`;
  const http = ApolloLink.from([
    new PersistedQueryLink({ generateHash: manifestHash }),
    new HttpLink({ uri: options.httpUrl, headers: { authorization } }),
  ]);
  const live = new GraphQLWsLink(
    createClient({
      url: options.wsUrl,
      connectionParams: { authorization },
      ...(options.webSocketImpl ? { webSocketImpl: options.webSocketImpl } : {}),
    }),
  );
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
