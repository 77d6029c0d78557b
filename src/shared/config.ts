import { z } from 'zod';

/**
 * Every setting of the gateway, read from the environment once and validated at start. A bad
 * value stops the process with a message naming the variable. `.env.example` documents them.
 */
const integer = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);
const flag = (fallback: boolean) =>
  z.enum(['true', 'false', '1', '0']).default(fallback ? 'true' : 'false').transform((v) => v === 'true' || v === '1');

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: integer(4000, 0, 65535),
  /** With no DATABASE_URL the gateway starts an embedded PostgreSQL in .data/postgres. */
  DATABASE_URL: z.string().url().optional(),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65535).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Connections in the pool; every money transaction holds one for its duration. */
  DB_POOL_MAX: integer(16, 1, 500),
  /** How long to wait for a new database connection before answering SERVICE_UNAVAILABLE. */
  DB_CONNECT_TIMEOUT_MS: integer(3000, 100, 60000),
  /** How long a money transaction may wait for a pooled connection (Prisma `maxWait`). */
  TX_MAX_WAIT_MS: integer(4000, 100, 60000),
  /** The longest a money transaction may run before Prisma rolls it back (Prisma `timeout`). */
  TX_TIMEOUT_MS: integer(10000, 100, 120000),
  /** Statement timeout on every database connection, so that no query can hang a request. */
  DB_STATEMENT_TIMEOUT_MS: integer(10000, 100, 120000),
  /** HS256 secret for verifying bearer tokens (development and tests; JWKS for production). */
  JWT_SECRET: z.string().min(32, 'JWT_SECRET must be at least 32 characters').optional(),
  /** When set, tokens must carry this issuer / audience. */
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  /** Seed the demo assets and the demo users alice and bob at start (npm start sets it). */
  SEED_DEMO: flag(false),
});

export type Config = z.infer<typeof configSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n');
    throw new Error(`Invalid configuration:\n${problems}`);
  }
  return parsed.data;
}
