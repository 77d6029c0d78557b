// Starts a real gateway (real HTTP on an ephemeral port) on a fresh database of its own.
import 'reflect-metadata';
import { loadConfig, type Config } from '../../src/shared/config';
import { createDatabase, type Database } from '../../src/shared/db/prisma';
import { startGateway, type Gateway } from '../../src/app/gateway';
import { findEventInvariantBreaches, findInvariantBreaches } from '../../src/app/invariants';
import { seedDemo, demoAssets } from '../../src/seed/demo';
import { mintToken, type Role } from '../../src/shared/auth/tokens';
import { createTestDatabase } from './test-database';
import type { Logger } from '../../src/shared/logger';

/** The HS256 secret every test gateway is configured with. */
export const TEST_JWT_SECRET = 'test-secret-for-the-wallet-gateway-0123456789';

export interface GraphQLResponse<T = any> {
  status: number;
  data?: T;
  errors?: {
    message: string;
    extensions?: { code?: string; [key: string]: unknown };
    path?: unknown[];
  }[];
  headers: Headers;
}

export interface TestGateway {
  gateway: Gateway;
  database: Database;
  connectionString: string;
  config: Config;
  url: string;
  /** The websocket URL (graphql-ws) of the same endpoint. */
  wsUrl: string;
  /** Ready-made tokens: a game server (sub game-server-1), an admin, and players by user id. */
  tokens: { server: string; admin: string; player(userId: string): Promise<string> };
  mintToken(options: { sub: string; role: Role; expiresInSeconds?: number }): Promise<string>;
  /** Sends one GraphQL request over real HTTP as the game server (`tokens.server`) unless headers say otherwise. */
  gql<T = any>(
    query: string,
    variables?: Record<string, unknown>,
    headers?: Record<string, string>,
  ): Promise<GraphQLResponse<T>>;
  /** Throws if any ledger invariant is broken. */
  assertInvariants(): Promise<void>;
  stop(): Promise<void>;
}

export async function startTestGateway(
  label: string,
  options: { seed?: boolean; env?: Record<string, string | undefined>; logger?: Logger } = {},
): Promise<TestGateway> {
  const testDb = await createTestDatabase(label);
  // Pool waits are generous here: the suite queues hundreds of requests on one hot wallet while
  // other test files load the same two cores, and a request waiting its turn is not an outage.
  // The outage tests set their own, short, limits.
  const config = loadConfig({
    NODE_ENV: 'test',
    PORT: '0',
    HOST: '127.0.0.1',
    DB_POOL_MAX: '20',
    JWT_SECRET: TEST_JWT_SECRET,
    DB_CONNECT_TIMEOUT_MS: '20000',
    TX_MAX_WAIT_MS: '20000',
    TX_TIMEOUT_MS: '30000',
    ...options.env,
  });
  const mint = (claims: { sub: string; role: Role; expiresInSeconds?: number }) =>
    mintToken({ secret: TEST_JWT_SECRET, ...claims });
  const tokens = {
    server: await mint({ sub: 'game-server-1', role: 'server' }),
    admin: await mint({ sub: 'admin-1', role: 'admin' }),
    player: (userId: string) => mint({ sub: userId, role: 'player' }),
  };
  const database = createDatabase({
    connectionString: testDb.connectionString,
    poolMax: config.DB_POOL_MAX,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
    emitQueryEvents: true,
  });
  const gateway = await startGateway({
    config,
    database,
    connectionString: testDb.connectionString,
    logger: options.logger,
  });
  if (options.seed) await seedDemo(gateway.services);
  else for (const asset of demoAssets) await gateway.services.assets.ensure({ ...asset });

  const gql = async <T>(
    query: string,
    variables?: Record<string, unknown>,
    headers: Record<string, string> = {},
  ): Promise<GraphQLResponse<T>> => {
    const response = await fetch(gateway.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${tokens.server}`,
        ...headers,
      },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await response.json()) as { data?: T; errors?: GraphQLResponse['errors'] };
    return {
      status: response.status,
      data: body.data ?? undefined,
      errors: body.errors,
      headers: response.headers,
    };
  };

  return {
    gateway,
    database,
    connectionString: testDb.connectionString,
    config,
    url: gateway.url,
    wsUrl: gateway.url.replace(/^http/, 'ws'),
    tokens,
    mintToken: mint,
    gql,
    async assertInvariants() {
      const breaches = [
        ...(await findInvariantBreaches(database.prisma)),
        ...(await findEventInvariantBreaches(database.prisma)),
      ];
      if (breaches.length > 0) throw new Error(`ledger invariants broken:\n${breaches.join('\n')}`);
    },
    async stop() {
      await gateway.stop();
      await database.close();
      await testDb.drop();
    },
  };
}

/** A second gateway on a test gateway's database: the URLs to reach it, and a stop for both. */
export interface Replica {
  gateway: Gateway;
  database: Database;
  url: string;
  wsUrl: string;
  stop(): Promise<void>;
}

/**
 * A second gateway process in all but name: its own pool, HTTP server, LISTEN connection and
 * in-memory state, on the same database as `primary`. Stop it before the primary (which drops the
 * database).
 */
export async function startReplica(
  primary: Pick<TestGateway, 'config' | 'connectionString'>,
  options: { poolMax?: number; statementTimeoutMs?: number } = {},
): Promise<Replica> {
  const database = createDatabase({
    connectionString: primary.connectionString,
    poolMax: options.poolMax ?? primary.config.DB_POOL_MAX,
    connectTimeoutMs: primary.config.DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: options.statementTimeoutMs ?? primary.config.DB_STATEMENT_TIMEOUT_MS,
  });
  const gateway = await startGateway({
    config: primary.config,
    database,
    connectionString: primary.connectionString,
  });
  return {
    gateway,
    database,
    url: gateway.url,
    wsUrl: gateway.url.replace(/^http/, 'ws'),
    async stop() {
      await gateway.stop();
      await database.close();
    },
  };
}

/** The first error code of a response (undefined when it succeeded). */
export function errorCode(response: GraphQLResponse): string | undefined {
  return response.errors?.[0]?.extensions?.code;
}
