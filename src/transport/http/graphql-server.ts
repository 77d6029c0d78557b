import type http from 'node:http';
import {
  ApolloServer,
  type ApolloServerOptionsWithSchema,
  type ApolloServerPlugin,
  type BaseContext,
} from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import type { GraphQLSchema } from 'graphql';
import { formatError } from '../../shared/errors';
import {
  apolloHardening,
  costLimitPlugin,
  legacyJsonStatusPlugin,
} from '../../shared/graphql-limits';
import { inputGuardPlugin } from '../../shared/input-guard';

/**
 * Apollo Server for GraphQL over HTTP, with the request limits and error shapes shared with the
 * websockets. `stop()` drains the HTTP server: it stops accepting and waits for the requests in
 * flight (ApolloServerPluginDrainHttpServer).
 */
export async function startGraphqlServer<TContext extends BaseContext>(options: {
  schema: GraphQLSchema;
  httpServer: http.Server;
  production: boolean;
  /** More plugins, after the limits (the operation log). */
  plugins: ApolloServerPlugin<TContext>[];
  /** Plugins that run before the limits (the trusted-documents rule). */
  firstPlugins?: ApolloServerPlugin<TContext>[];
  /** Apollo's persisted-queries setting: off unless a trusted-documents manifest serves as its store. */
  persistedQueries?: ApolloServerOptionsWithSchema<TContext>['persistedQueries'];
}): Promise<ApolloServer<TContext>> {
  const apollo = new ApolloServer<TContext>({
    schema: options.schema,
    formatError,
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGTERM/SIGINT. Apollo installs its own handlers when NODE_ENV is not "test";
    // they started a second, concurrent stop and re-raised the signal, and production shutdown
    // under load hung until the forced exit(1) (found by the graceful-shutdown reliability test).
    stopOnTerminationSignals: false,
    // Persisted queries only as the trusted documents' read-only store (off without a manifest):
    // never a cache of documents that strangers can fill. See docs/security.md, docs/auth.md.
    persistedQueries: options.persistedQueries ?? false,
    // Depth, alias and token limits, introspection and suggestions off in production, no batching.
    ...apolloHardening(options.production),
    plugins: [
      ...(options.firstPlugins ?? []),
      costLimitPlugin(),
      // Subscriptions over HTTP, NUL in any text, DateTime outside years 1..9999: refused first.
      inputGuardPlugin(),
      // 200 with errors for request errors when the client accepts only application/json.
      legacyJsonStatusPlugin(),
      ApolloServerPluginDrainHttpServer({ httpServer: options.httpServer }),
      options.production
        ? ApolloServerPluginLandingPageProductionDefault({ footer: false })
        : ApolloServerPluginLandingPageLocalDefault({ footer: false, embed: true }),
      ...options.plugins,
    ],
  });
  await apollo.start();
  return apollo;
}
