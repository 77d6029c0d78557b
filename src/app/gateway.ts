import type http from 'node:http';
import type { Config } from '../shared/config';
import { createAuthenticator, type Authenticate } from '../shared/auth/authenticate';
import { prepareOperation } from '../shared/graphql-limits';
import { createRateLimiter, type RateLimiter } from '../shared/rate-limit';
import { createDatabase, type Database } from '../shared/db/prisma';
import { createReadinessCheck } from '../shared/readiness';
import { limits } from '../shared/limits';
import { logger, type Logger } from '../shared/logger';
import { createMetrics, type GatewayMetrics } from '../shared/observability/metrics';
import { createOperationObserver } from '../shared/observability/operation-log';
import { instrumentNotificationLag } from '../shared/observability/notification-lag';
import {
  admitWsDocument,
  loadTrustedDocuments,
  persistedQueriesOption,
  trustedDocumentsPlugin,
  type TrustedDocuments,
} from '../shared/trusted-documents';
import { livePageEnabled, livePageRouter } from '../live/live-page';
import { PgWalletEventBus } from '../modules/subscriptions/wallet-event-bus';
import { createHttpGuard } from '../transport/http/http-guard';
import { startGraphqlServer } from '../transport/http/graphql-server';
import { createHttpTransport, listen, mountRoutes } from '../transport/http/http-server';
import { startMetricsServer, type MetricsServer } from '../transport/http/metrics-endpoint';
import {
  attachSubscriptionServer,
  type SubscriptionServer,
} from '../transport/ws/subscription-server';
import { closeWhenTokenExpires, originAllowList } from '../transport/ws/ws-guard';
import { startBackgroundJobs, type BackgroundJobs } from './background-jobs';
import { httpContext, websocketContext, type GatewayContext } from './context';
import { buildGatewaySchema } from './schema';
import { createServices, type Services } from './services';

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
  /** Stops in order (see shutDown); the caller closes `database` afterwards. */
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

/** What setUp builds: the services and what the transports share. */
interface Core {
  metrics: GatewayMetrics;
  walletEvents: PgWalletEventBus;
  subscriptionDatabase: Database;
  services: Services;
  authenticate: Authenticate;
  rateLimiter: RateLimiter;
  /** The operations player tokens may run (TRUSTED_DOCUMENTS_MANIFEST); undefined: any. */
  trustedDocuments: TrustedDocuments | undefined;
}

/**
 * The composition root of one gateway process: the services (app/services.ts), GraphQL over
 * HTTP and over websockets (src/transport), the background jobs, then the port.
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config } = options;
  const core = setUp(options);
  const { transport, apollo } = await startHttp(core, options);
  const jobs = await startBackgroundJobs({ ...options, ...core });
  const subscriptionServer = startWebsockets(core, options, transport.httpServer);
  core.metrics.observeWebsockets(() => subscriptionServer.sockets());
  core.metrics.observeSubscriptions(() => core.services.subscriptions.counters().streams);
  instrumentNotificationLag(core.services.subscriptions, core.metrics.observeNotificationLag);

  await options.beforeListen?.(core.services);
  const port = await listen(transport.httpServer, config.PORT, config.HOST);
  const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST;
  logger.info({ port }, 'gateway listening');
  const metricsServer = await startOwnMetricsPort(config, core.metrics);
  let stopped: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}/graphql`,
    port,
    httpServer: transport.httpServer,
    services: core.services,
    metrics: core.metrics,
    metricsUrl: metricsServer?.url ?? `http://${host}:${port}/metrics`,
    subscriptionServer,
    stop() {
      stopped ??= shutDown({ core, transport, apollo, subscriptionServer, jobs, metricsServer });
      return stopped;
    },
  };
}

function setUp(options: GatewayOptions): Core {
  const { config, database } = options;
  const metrics = createMetrics();
  metrics.observePool(database.pool);
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
  const authenticate = createAuthenticator({
    jwtSecret: config.JWT_SECRET,
    jwksFile: config.JWT_JWKS_FILE,
    jwksUrl: config.JWT_JWKS_URL,
    issuer: config.JWT_ISSUER,
    audience: config.JWT_AUDIENCE,
  });
  const rateLimiter = createRateLimiter(config, database.pool);
  const trustedDocuments = loadTrustedDocuments(config.TRUSTED_DOCUMENTS_MANIFEST);
  return {
    metrics,
    walletEvents,
    subscriptionDatabase,
    services,
    authenticate,
    rateLimiter,
    trustedDocuments,
  };
}

/** The GraphQL server over HTTP and the Express routes around it (the port is not open yet). */
async function startHttp(core: Core, options: GatewayOptions) {
  const { config, database } = options;
  const observer = createOperationObserver({
    logger: options.logger ?? logger,
    metrics: core.metrics,
  });
  const transport = createHttpTransport(config);
  const apollo = await startGraphqlServer<GatewayContext>({
    schema: buildGatewaySchema(),
    httpServer: transport.httpServer,
    production: config.NODE_ENV === 'production',
    plugins: [observer.plugin],
    firstPlugins: [trustedDocumentsPlugin(core.trustedDocuments)],
    persistedQueries: persistedQueriesOption(core.trustedDocuments),
  });
  const checkReadiness = await createReadinessCheck({
    pool: database.pool,
    connectionString: options.connectionString,
    cacheMs: limits.readinessCacheMs,
  });
  mountRoutes(transport.app, {
    apollo,
    context: httpContext({
      services: core.services,
      prisma: database.prisma,
      admit: createHttpGuard(core.authenticate, core.rateLimiter),
      observer,
    }),
    beforeGraphql: observer.begin,
    // The LISTEN connection is reported, not required: without it HTTP works and live
    // subscriptions catch up from the ledger once it is back.
    readiness: async () => ({
      ...(await checkReadiness()),
      walletEvents: core.walletEvents.status().state,
    }),
    metrics: core.metrics,
    // With METRICS_PORT, metrics live on their own internal port only (startOwnMetricsPort).
    publicMetrics: config.METRICS_PORT === undefined,
    metricsToken: config.METRICS_TOKEN,
    extraRoutes: livePageEnabled(config) ? livePageRouter() : undefined,
  });
  return { transport, apollo };
}

/** graphql-ws on the HTTP server's port and path, with the same limits and credentials as HTTP. */
function startWebsockets(
  core: Core,
  options: GatewayOptions,
  httpServer: http.Server,
): SubscriptionServer {
  const { config } = options;
  return attachSubscriptionServer({
    httpServer,
    path: '/graphql',
    schema: buildGatewaySchema(),
    authenticate: core.authenticate,
    context: websocketContext({ services: core.services, prisma: options.database.prisma }),
    prepareOperation: (schema, payload) => prepareOperation(schema, payload),
    // The same rate limit as HTTP, a browser Origin allow-list, and no socket outliving its token.
    admitOperation: (principal) => core.rateLimiter.consume(principal),
    admitDocument: (principal, payload) =>
      admitWsDocument(core.trustedDocuments, principal, payload),
    verifyUpgrade: [originAllowList(config.WS_ALLOWED_ORIGINS)],
    onAuthenticated: closeWhenTokenExpires,
    socketsMax: config.WS_SOCKETS_MAX,
    unauthenticatedSocketsMax: config.WS_UNAUTHENTICATED_SOCKETS_MAX,
    initTimeoutMs: config.WS_INIT_TIMEOUT_MS,
    socketsPerSubjectMax: (principal) =>
      principal.role === 'player'
        ? config.WS_SOCKETS_PER_PLAYER_MAX
        : config.WS_SOCKETS_PER_SERVER_MAX,
    subscriptionsPerSocketMax: config.WS_SUBSCRIPTIONS_PER_SOCKET_MAX,
    keepAliveMs: config.WS_KEEPALIVE_MS,
    isProduction: config.NODE_ENV === 'production',
    logger: options.logger ?? logger,
  });
}

async function startOwnMetricsPort(
  config: Config,
  metrics: GatewayMetrics,
): Promise<MetricsServer | undefined> {
  if (config.METRICS_PORT === undefined) return undefined;
  const server = await startMetricsServer({
    metrics,
    port: config.METRICS_PORT,
    host: config.METRICS_HOST,
    token: config.METRICS_TOKEN,
  });
  logger.info({ url: server.url }, 'metrics served on their own port');
  return server;
}

/**
 * The shutdown order: stop accepting (new HTTP requests get 503, websockets are closed with 1001
 * so that the HTTP drain does not wait on them), let the requests in flight finish, stop the
 * background jobs, then close the LISTEN connection and the gateway's own pools. The caller
 * closes the main pool and the database after this, so no connection is open when PostgreSQL
 * stops and none is cut off mid-query.
 */
async function shutDown(parts: {
  core: Core;
  transport: { drain: { begin(): void } };
  apollo: { stop(): Promise<void> };
  subscriptionServer: SubscriptionServer;
  jobs: BackgroundJobs;
  metricsServer: MetricsServer | undefined;
}): Promise<void> {
  parts.transport.drain.begin();
  await parts.subscriptionServer.close();
  parts.core.services.subscriptions.closeAll();
  await Promise.all([parts.apollo.stop(), parts.metricsServer?.close()]);
  await parts.jobs.stopJobs();
  await Promise.all([parts.jobs.stopListening(), parts.core.subscriptionDatabase.close()]);
}
