import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import type { ApolloServer, BaseContext } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import type { Config } from '../../shared/config';
import { limits } from '../../shared/limits';
import type { GatewayMetrics } from '../../shared/observability/metrics';
import { createDrainGuard, type DrainGuard } from './drain';
import { bodyErrorHandler } from './http-guard';
import { finalErrorHandler, notFoundHandler } from './http-errors';
import { metricsHandler } from './metrics-endpoint';
import { securityHeaders } from './security-headers';

export interface HttpTransport {
  app: Express;
  httpServer: http.Server;
  /** Once begun, new requests are refused with 503 while the ones in flight finish. */
  drain: DrainGuard;
}

/** The Express app and its HTTP server, with the drain guard and security headers first. */
export function createHttpTransport(
  config: Pick<Config, 'HTTP_HEADERS_TIMEOUT_MS' | 'HTTP_REQUEST_TIMEOUT_MS'>,
): HttpTransport {
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
  return { app, httpServer, drain };
}

export interface RouteOptions<TContext extends BaseContext> {
  apollo: ApolloServer<TContext>;
  /** The GraphQL context of one request (authentication and the rate limit happen there). */
  context(req: Request, res: Response): Promise<TContext>;
  /** Runs before the body is read (the operation log's start). */
  beforeGraphql: RequestHandler;
  /** /readyz: 200 when ready, 503 otherwise, with the body given. */
  readiness(): Promise<{ ready: boolean } & Record<string, unknown>>;
  metrics: GatewayMetrics;
  /** Serve /metrics on this port too (false when METRICS_PORT gives it a port of its own). */
  publicMetrics: boolean;
  metricsToken?: string;
  /** More routes before /graphql (the live page). */
  extraRoutes?: RequestHandler;
}

/**
 * GraphQL at /graphql (with a landing page for humans), /healthz (the process is up), /readyz
 * (the database answers and every migration is applied), /metrics, and the GraphQL error shape
 * for everything else.
 */
export function mountRoutes<TContext extends BaseContext>(
  app: Express,
  options: RouteOptions<TContext>,
): void {
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const readiness = await options.readiness();
    res.status(readiness.ready ? 200 : 503).json(readiness);
  });
  if (options.publicMetrics)
    app.get('/metrics', metricsHandler(options.metrics, options.metricsToken));
  if (options.extraRoutes) app.use(options.extraRoutes);
  app.use(
    '/graphql',
    options.beforeGraphql,
    express.json({ limit: limits.requestBodyBytesMax }),
    expressMiddleware(options.apollo, {
      context: ({ req, res }) => options.context(req, res),
    }),
    bodyErrorHandler,
  );
  // Last: anything not handled above answers in the GraphQL error shape, with no stack or path.
  app.use(notFoundHandler, finalErrorHandler);
}

/** Opens the port; resolves with the port number (PORT=0 picks a free one). */
export async function listen(httpServer: http.Server, port: number, host: string): Promise<number> {
  await new Promise<void>((resolve) => httpServer.listen(port, host, resolve));
  return (httpServer.address() as AddressInfo).port;
}
