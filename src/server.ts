import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import {
  ApolloServerPluginLandingPageLocalDefault,
  ApolloServerPluginLandingPageProductionDefault,
} from '@apollo/server/plugin/landingPage/default';
import type { Config } from './shared/config';
import { createAuthenticator } from './shared/auth/authenticate';
import { bodyErrorHandler, createHttpGuard } from './shared/auth/http-guard';
import { closeWhenTokenExpires, originAllowList } from './shared/auth/ws-guard';
import {
  apolloHardening,
  costLimitPlugin,
  legacyJsonStatusPlugin,
  prepareOperation,
} from './shared/graphql-limits';
import { inputGuardPlugin } from './shared/input-guard';
import { limits } from './shared/limits';
import { createRateLimiter } from './shared/rate-limit';
import type { GatewayContext } from './app/context';
import { createDatabase, type Database } from './shared/db/prisma';
import { createReadinessCheck } from './shared/readiness';
import { formatError } from './shared/errors';
import { createDrainGuard } from './shared/http-drain';
import { createLoaders } from './app/loaders';
import { finalErrorHandler, notFoundHandler } from './shared/http-errors';
import { securityHeaders } from './shared/security-headers';
import { logger, type Logger } from './shared/logger';
import {
  createMetrics,
  metricsHandler,
  startMetricsServer,
  type GatewayMetrics,
} from './shared/observability/metrics';
import { createOperationObserver } from './shared/observability/operation-log';
import { instrumentNotificationLag } from './shared/observability/notification-lag';
import { livePageEnabled, livePageRouter } from './live/live-page';
import { buildGatewaySchema } from './schema';
import { createServices, type Services } from './app/services';
import { startHoldExpirySweeper } from './modules/holds/expiry-sweeper';
import { eventScopedLoaders } from './modules/subscriptions/event-loaders';
import { PgWalletEventBus } from './modules/subscriptions/wallet-event-bus';
import {
  attachSubscriptionServer,
  type SubscriptionServer,
} from './modules/subscriptions/ws-server';
import { startEventFeed } from './modules/webhooks/feed';
import {
  admitWsDocument,
  loadTrustedDocuments,
  persistedQueriesOption,
  trustedDocumentsPlugin,
} from './shared/trusted-documents';

export interface Gateway {
  url: string;
  port: number;
  httpServer: http.Server;
  services: Services;
  /** This gateway's Prometheus metrics (served at /metrics). */
  metrics: GatewayMetrics;
  /** Where /metrics is served: the public port, or the METRICS_PORT server of its own. */
  metricsUrl: string;
  /** graphql-ws on the same port and path (live balance subscriptions). */
  subscriptionServer: SubscriptionServer;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  config: Config;
  database: Database;
  connectionString: string;
  /** Where operation logs go (tests capture them); default: the process logger. */
  logger?: Logger;
  /**
   * Runs after everything is set up and before the port opens (the demo seed), so that nobody
   * can reach the gateway, let alone see /readyz answer 200, before it has finished.
   */
  beforeListen?: (services: Services) => Promise<void>;
}

/**
 * The HTTP server: GraphQL at /graphql (with a landing page for humans), /healthz (the process is
 * up) and /readyz (the database answers and every migration is applied).
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, database } = options;
  const metrics = createMetrics();
  metrics.observePool(database.pool);
  const observer = createOperationObserver({ logger: options.logger ?? logger, metrics });
  // One LISTEN connection per process carries the wake-ups of every live subscription.
  const walletEvents = new PgWalletEventBus({
    connectionString: options.connectionString,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
  });
  // Subscription reads get a small pool of their own: a delivery must not wait behind the money
  // transactions queued for the main pool under load.
  const subscriptionDatabase = createDatabase({
    connectionString: options.connectionString,
    poolMax: config.SUBSCRIPTION_DB_POOL_MAX,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
  });
  metrics.observePool(subscriptionDatabase.pool, 'subscriptions');
  const services = createServices(database, config, {
    onMoneyMoved: metrics.recordMoneyMoved,
    onBatch: metrics.recordBatch,
    walletEvents,
    subscriptionReads: subscriptionDatabase.prisma,
  });
  // The event feed and the webhooks' delivery worker (src/modules/events, src/modules/webhooks).
  const feed = startEventFeed({
    services,
    prisma: database.prisma,
    connectionString: options.connectionString,
    config,
    registry: metrics.registry,
  });
  const authenticate = createAuthenticator({
    jwtSecret: config.JWT_SECRET,
    jwksFile: config.JWT_JWKS_FILE,
    jwksUrl: config.JWT_JWKS_URL,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  });
  const rateLimiter = createRateLimiter(config, database.pool);
  const admitHttpRequest = createHttpGuard(authenticate, rateLimiter);
  const app = express();
  app.disable('x-powered-by');
  // First middleware: once stop() begins, new requests are refused while in-flight ones finish.
  const drain = createDrainGuard();
  app.use(drain.middleware);
  app.use(securityHeaders);
  // Slow clients (slowloris) are cut after seconds, checked every second (Node: minutes, every 30 s).
  const httpServer = http.createServer(
    {
      headersTimeout: config.HTTP_HEADERS_TIMEOUT_MS,
      requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: limits.httpTimeoutCheckIntervalMs,
    },
    app,
  );

  const trustedDocuments = loadTrustedDocuments(config.TRUSTED_DOCUMENTS_MANIFEST);
  const apollo = new ApolloServer<GatewayContext>({
    schema: buildGatewaySchema(),
    formatError,
    includeStacktraceInErrorResponses: false,
    // main.ts owns SIGTERM/SIGINT. Apollo installs its own handlers when NODE_ENV is not "test";
    // they started a second, concurrent stop and re-raised the signal, and production shutdown
    // under load hung until the forced exit(1) (found by the graceful-shutdown reliability test).
    stopOnTerminationSignals: false,
    // Persisted queries only as the trusted documents' read-only store (off without a manifest):
    // never a cache of documents that strangers can fill. See docs/security.md, docs/auth.md.
    persistedQueries: persistedQueriesOption(trustedDocuments),
    // Depth, alias and token limits, introspection and suggestions off in production, no batching.
    ...apolloHardening(config.NODE_ENV === 'production'),
    plugins: [
      trustedDocumentsPlugin(trustedDocuments),
      costLimitPlugin(),
      // Subscriptions over HTTP, NUL in any text, DateTime outside years 1..9999: refused first.
      inputGuardPlugin(),
      // 200 with errors for request errors when the client accepts only application/json.
      legacyJsonStatusPlugin(),
      ApolloServerPluginDrainHttpServer({ httpServer }),
      config.NODE_ENV === 'production'
        ? ApolloServerPluginLandingPageProductionDefault({ footer: false })
        : ApolloServerPluginLandingPageLocalDefault({ footer: false, embed: true }),
      observer.plugin,
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  const checkReadiness = await createReadinessCheck({
    pool: database.pool,
    connectionString: options.connectionString,
    cacheMs: limits.readinessCacheMs,
  });
  app.get('/readyz', async (_req, res) => {
    const readiness = await checkReadiness();
    // The LISTEN connection is reported, not required: without it HTTP works and live
    // subscriptions catch up from the ledger once it is back.
    res
      .status(readiness.ready ? 200 : 503)
      .json({ ...readiness, walletEvents: walletEvents.status().state });
  });
  // With METRICS_PORT, metrics live on their own internal port only (started below).
  if (config.METRICS_PORT === undefined)
    app.get('/metrics', metricsHandler(metrics, config.METRICS_TOKEN));
  if (livePageEnabled(config)) app.use(livePageRouter());
  app.use(
    '/graphql',
    observer.begin,
    express.json({ limit: limits.requestBodyBytesMax }),
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<GatewayContext> => {
        const requestId = headerValue(req.headers['x-request-id']) ?? randomUUID();
        res.setHeader('x-request-id', requestId);
        let principal: Awaited<ReturnType<typeof admitHttpRequest>>;
        try {
          principal = await admitHttpRequest(req.headers.authorization);
        } catch (error) {
          observer.contextFailed(req, error);
          throw error;
        }
        return {
          principal,
          services,
          loaders: createLoaders(database.prisma),
          requestId,
          operationRecord: observer.recordOf(req),
        };
      },
    }),
    bodyErrorHandler,
  );
  // Last: anything not handled above answers in the GraphQL error shape, with no stack or path.
  app.use(notFoundHandler, finalErrorHandler);

  await walletEvents.start();
  const subscriptionLoaders = eventScopedLoaders(() => createLoaders(database.prisma));
  const subscriptionServer = attachSubscriptionServer({
    httpServer,
    path: '/graphql',
    schema: buildGatewaySchema(),
    authenticate,
    context: (principal) => ({
      principal,
      services,
      // Per event, not per subscription: see eventScopedLoaders.
      get loaders() {
        return subscriptionLoaders.current();
      },
      requestId: randomUUID(),
    }),
    prepareOperation: (schema, payload) => prepareOperation(schema, payload),
    // The same rate limit as HTTP, a browser Origin allow-list, and no socket outliving its token.
    admitOperation: (principal) => rateLimiter.consume(principal),
    admitDocument: (principal, payload) => admitWsDocument(trustedDocuments, principal, payload),
    verifyUpgrade: [originAllowList(config.WS_ALLOWED_ORIGINS)],
    onAuthenticated: closeWhenTokenExpires,
    socketsMax: config.WS_SOCKETS_MAX,
    unauthenticatedSocketsMax: config.WS_UNAUTHENTICATED_SOCKETS_MAX,
    socketsPerSubjectMax: (principal) =>
      principal.role === 'player'
        ? config.WS_SOCKETS_PER_PLAYER_MAX
        : config.WS_SOCKETS_PER_SERVER_MAX,
    subscriptionsPerSocketMax: config.WS_SUBSCRIPTIONS_PER_SOCKET_MAX,
    keepAliveMs: config.WS_KEEPALIVE_MS,
    isProduction: config.NODE_ENV === 'production',
  });
  metrics.observeWebsockets(() => subscriptionServer.sockets());
  metrics.observeSubscriptions(() => services.subscriptions.counters().streams);
  instrumentNotificationLag(services.subscriptions, metrics.observeNotificationLag);

  await options.beforeListen?.(services);
  await new Promise<void>((resolve) => httpServer.listen(config.PORT, config.HOST, resolve));
  const { port } = httpServer.address() as AddressInfo;
  const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST;
  logger.info({ port }, 'gateway listening');
  const metricsServer =
    config.METRICS_PORT === undefined
      ? undefined
      : await startMetricsServer({
          metrics,
          port: config.METRICS_PORT,
          host: config.METRICS_HOST,
          token: config.METRICS_TOKEN,
        });
  if (metricsServer) logger.info({ url: metricsServer.url }, 'metrics served on their own port');
  // Marks holds past their expiry EXPIRED in the background (reads already ignore them).
  // The same pass posts the EXPIRY of credit lots past their expiresAt (reads already ignore them).
  const sweep = {
    sweepExpiredHolds: async () =>
      (await services.holds.sweepExpiredHolds()) + (await services.lots.sweepExpiredLots()),
  };
  const sweeper =
    config.HOLD_SWEEP_INTERVAL_MS > 0
      ? startHoldExpirySweeper(sweep, config.HOLD_SWEEP_INTERVAL_MS)
      : undefined;
  let stopped: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}/graphql`,
    port,
    httpServer,
    services,
    metrics,
    metricsUrl: metricsServer?.url ?? `http://${host}:${port}/metrics`,
    subscriptionServer,
    stop() {
      drain.begin();
      // Websockets first (closed with 1001, their streams end), so the HTTP drain does not wait on them.
      stopped ??= subscriptionServer
        .close()
        .then(() => {
          services.subscriptions.closeAll();
          return Promise.all([walletEvents.stop(), subscriptionDatabase.close()]);
        })
        .then(() =>
          Promise.all([sweeper?.stop(), feed.stop(), apollo.stop(), metricsServer?.close()]),
        )
        .then(() => undefined);
      return stopped;
    },
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const single = Array.isArray(value) ? value[0] : value;
  return single && single.length <= 128 && /^[\w.:-]+$/.test(single) ? single : undefined;
}
