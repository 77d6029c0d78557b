import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { ApolloServerPluginLandingPageLocalDefault, ApolloServerPluginLandingPageProductionDefault } from '@apollo/server/plugin/landingPage/default';
import type { Config } from './shared/config';
import { createAuthenticator } from './shared/auth/authenticate';
import type { GatewayContext } from './shared/context';
import type { Database } from './shared/db/prisma';
import { pendingMigrations } from './shared/db/migrate';
import { formatError } from './shared/errors';
import { createLoaders } from './shared/loaders';
import { logger } from './shared/logger';
import { buildGatewaySchema } from './schema';
import { createServices, type Services } from './services';

export interface Gateway {
  url: string;
  port: number;
  httpServer: http.Server;
  services: Services;
  stop(): Promise<void>;
}

export interface GatewayOptions {
  config: Config;
  database: Database;
  connectionString: string;
}


/**
 * The HTTP server: GraphQL at /graphql (with a landing page for humans), /healthz (the process is
 * up) and /readyz (the database answers and every migration is applied).
 */
export async function startGateway(options: GatewayOptions): Promise<Gateway> {
  const { config, database } = options;
  const services = createServices(database, config);
  const authenticate = createAuthenticator({ jwtSecret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE });
  const app = express();
  app.disable('x-powered-by');
  const httpServer = http.createServer(app);

  const apollo = new ApolloServer<GatewayContext>({
    schema: buildGatewaySchema(),
    formatError,
    includeStacktraceInErrorResponses: false,
    introspection: config.NODE_ENV !== 'production',
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      config.NODE_ENV === 'production'
        ? ApolloServerPluginLandingPageProductionDefault({ footer: false })
        : ApolloServerPluginLandingPageLocalDefault({ footer: false, embed: true }),
    ],
  });
  await apollo.start();

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const readiness = await checkReadiness(options);
    res.status(readiness.ready ? 200 : 503).json(readiness);
  });
  app.use(
    '/graphql',
    express.json({ limit: '64kb' }),
    expressMiddleware(apollo, {
      context: async ({ req, res }): Promise<GatewayContext> => {
        const requestId = headerValue(req.headers['x-request-id']) ?? randomUUID();
        res.setHeader('x-request-id', requestId);
        const principal = await authenticate(req.headers.authorization);
        return { principal, services, loaders: createLoaders(database.prisma), requestId };
      },
    }),
  );

  await new Promise<void>((resolve) => httpServer.listen(config.PORT, config.HOST, resolve));
  const { port } = httpServer.address() as AddressInfo;
  const host = config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST;
  logger.info({ port }, 'gateway listening');
  let stopped: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}/graphql`,
    port,
    httpServer,
    services,
    stop() {
      stopped ??= apollo.stop();
      return stopped;
    },
  };
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const single = Array.isArray(value) ? value[0] : value;
  return single && single.length <= 128 && /^[\w.:-]+$/.test(single) ? single : undefined;
}

async function checkReadiness(options: GatewayOptions): Promise<{ ready: boolean; database: string; pendingMigrations?: string[] }> {
  try {
    await options.database.pool.query('SELECT 1');
  } catch {
    return { ready: false, database: 'unreachable' };
  }
  try {
    const pending = await pendingMigrations(options.connectionString);
    return pending.length === 0 ? { ready: true, database: 'ok' } : { ready: false, database: 'ok', pendingMigrations: pending };
  } catch {
    return { ready: false, database: 'unreachable' };
  }
}
