import fs from 'node:fs';
import { z } from 'zod';
import { parseMultiHostUrl } from './db/multi-host';
import { limits } from './limits';

/**
 * Every setting of the gateway, read from the environment once and validated at start. A bad
 * value stops the process with a message naming the variable. `.env.example` documents them.
 */
/** A WEBHOOK_ALLOWED_HOSTS entry's port, when it names one, is 1..65535 (a bare IPv6 names none). */
function validAllowedHostPort(entry: string): boolean {
  const colons = entry.split(':').length - 1;
  const port = entry.startsWith('[')
    ? /^\[[^\]]+\](?::(.*))?$/.exec(entry)?.[1]
    : colons === 1
      ? entry.split(':')[1]
      : undefined;
  if (entry.startsWith('[') && !/^\[[^\]]+\](?::.*)?$/.test(entry)) return false;
  if (port === undefined) return true;
  return /^\d{1,5}$/.test(port) && Number(port) >= 1 && Number(port) <= 65535;
}

const integer = (fallback: number, min: number, max: number) =>
  z.coerce.number().int().min(min).max(max).default(fallback);
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

export const configSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  HOST: z.string().min(1).default('0.0.0.0'),
  PORT: integer(4000, 0, 65535),
  /**
   * With no DATABASE_URL the gateway starts an embedded PostgreSQL in .data/postgres. A libpq-style
   * host list (h1:5432,h2:5433, src/shared/db/multi-host.ts) is checked through its first host.
   */
  DATABASE_URL: z
    .string()
    .refine(
      (value) => {
        try {
          return URL.canParse(parseMultiHostUrl(value)?.firstHostUrl ?? value);
        } catch {
          return false;
        }
      },
      { message: 'Invalid URL' },
    )
    .optional(),
  EMBEDDED_PG_PORT: z.coerce.number().int().min(1024).max(65535).optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Slow clients: the time a request's headers, and the whole request, may take to arrive (HTTP 408 after). */
  HTTP_HEADERS_TIMEOUT_MS: integer(limits.httpHeadersTimeoutMs, 100, 600_000),
  HTTP_REQUEST_TIMEOUT_MS: integer(limits.httpRequestTimeoutMs, 100, 3_600_000),
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
  /** A JSON Web Key Set file (RS256, ES256, EdDSA public keys); read once at start. */
  JWT_JWKS_FILE: z.string().min(1).optional(),
  /** A JSON Web Key Set URL (an identity provider's jwks_uri); fetched and cached, refetched for unknown key ids. */
  JWT_JWKS_URL: z.string().url().optional(),
  /**
   * Browser origins allowed to open a websocket, comma-separated (e.g. https://play.example.com).
   * Empty: no browser origin is allowed. Clients that send no Origin header (servers) always are.
   */
  WS_ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter((origin) => origin.length > 0),
    ),
  /** Where request budgets are counted: this process (memory) or PostgreSQL, shared by every replica. */
  RATE_LIMIT_STORE: z.enum(['memory', 'postgres']).default('memory'),
  /** Requests (GraphQL operations) one server or admin credential subject may make per window. */
  RATE_LIMIT_POINTS: integer(10000, 1, 100_000_000),
  /** Requests one player may make per window. */
  RATE_LIMIT_PLAYER_POINTS: integer(300, 1, 100_000_000),
  /** The rate limit window. */
  RATE_LIMIT_DURATION_SECONDS: integer(1, 1, 86400),
  /**
   * How often this process marks holds past their expiresAt as EXPIRED (0: never, for example when
   * another replica or a worker runs the sweep). Reads never count an expired hold either way;
   * the sweep only records it. Several replicas may sweep at once safely.
   */
  HOLD_SWEEP_INTERVAL_MS: integer(5000, 0, 3_600_000),
  /**
   * Group commit: money operations that arrive while the engine's transactions are in flight share
   * the next one (src/money/engine.ts). false runs each in a transaction of its own.
   */
  GROUP_COMMIT: flag(true),
  /** Authenticated websockets per process (live subscriptions); an upgrade past it is answered 503. */
  WS_SOCKETS_MAX: integer(limits.websocketsMax, 1, 1_000_000),
  /** Websockets that have not sent connection_init yet, per process (a budget apart from WS_SOCKETS_MAX). */
  WS_UNAUTHENTICATED_SOCKETS_MAX: integer(limits.websocketsUnauthenticatedMax, 1, 1_000_000),
  /** How long a websocket may take to send connection_init before it is closed with 4408. */
  WS_INIT_TIMEOUT_MS: integer(limits.websocketInitTimeoutMs, 100, 60_000),
  /** Authenticated websockets per player (per token subject). */
  WS_SOCKETS_PER_PLAYER_MAX: integer(limits.websocketsPerPlayerMax, 1, 1_000_000),
  /** Authenticated websockets per game-server or admin credential subject. */
  WS_SOCKETS_PER_SERVER_MAX: integer(limits.websocketsPerServerMax, 1, 1_000_000),
  /** Operations open at once on one websocket. */
  WS_SUBSCRIPTIONS_PER_SOCKET_MAX: integer(limits.subscriptionsPerSocketMax, 1, 1000),
  /** Balance changes a subscription may have pending before it is ended as a slow consumer. */
  WS_SUBSCRIPTION_BUFFER_MAX: integer(limits.subscriptionBufferMax, 1, 100_000),
  /** Interval of the server's websocket pings; an unanswered ping drops the socket (0: no pings). */
  WS_KEEPALIVE_MS: integer(limits.websocketKeepAliveMs, 0, 600_000),
  /** Connections reserved for live-subscription reads (a pool apart from DB_POOL_MAX's). */
  SUBSCRIPTION_DB_POOL_MAX: integer(limits.subscriptionReadPoolMax, 1, 100),
  /** Seed the demo assets and the demo users alice and bob at start (npm start sets it). */
  SEED_DEMO: flag(false),
  /**
   * Apply pending migrations at start (the production entry otherwise expects `prisma migrate
   * deploy` to have run; npm start always migrates). Safe on several replicas at once.
   */
  MIGRATE_ON_START: flag(false),
  /**
   * Human-readable logs (pino-pretty) instead of JSON lines. Unset: pretty only when
   * NODE_ENV=development and stdout is a terminal. pino-pretty is a development dependency, so
   * production images always log JSON.
   */
  LOG_PRETTY: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1')),
  /**
   * When set, GET /metrics requires `Authorization: Bearer <METRICS_TOKEN>`; unset, /metrics is
   * open. In production one of METRICS_TOKEN and METRICS_PORT is required (see loadConfig).
   */
  METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
  /**
   * When set, /metrics is served on this port of its own (0: any free port), on METRICS_HOST, and
   * not on the public port; a port that only the scraper can reach needs no token.
   */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  /** The interface of the metrics port: loopback by default, so that it is internal unless opened on purpose. */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  /** Serve the live demo page at /live. Unset: served unless NODE_ENV=production. */
  LIVE_PAGE: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1')),
  /**
   * Webhook hosts allowed in production even though they resolve to a loopback, private,
   * link-local or metadata address (comma-separated host names or IP literals, e.g. an internal
   * CRM), each optionally with a port (`crm.internal:8443`, `10.0.0.12:9000`, `[fd00::5]:8443`):
   * then only that port is allowed. Everyone else's URLs must resolve to public addresses.
   * Development allows loopback.
   */
  /**
   * The persisted-documents manifest (GraphQL Code Generator's client preset, hash -> document) of
   * the frontends' own operations. When set, player tokens may run only those operations
   * (OPERATION_NOT_TRUSTED otherwise); servers and admins may send any document. Unset: off.
   */
  TRUSTED_DOCUMENTS_MANIFEST: z.string().min(1).optional(),
  WEBHOOK_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((value) =>
      value
        .split(',')
        .map((host) => host.trim().toLowerCase())
        .filter((host) => host.length > 0),
    )
    .refine(
      (hosts) => hosts.every(validAllowedHostPort),
      'each entry is a host, host:port (port 1..65535), [ipv6]:port or a bare IPv6 literal',
    ),
  /** How often an idle webhook delivery worker looks for due work (0: this process delivers nothing). */
  WEBHOOK_POLL_INTERVAL_MS: integer(limits.webhookPollIntervalMsDefault, 0, 600_000),
  /** First retry delay of a failed delivery; it doubles per attempt up to WEBHOOK_BACKOFF_MAX_MS, with jitter. */
  WEBHOOK_BACKOFF_BASE_MS: integer(limits.webhookBackoffBaseMsDefault, 1, 3_600_000),
  WEBHOOK_BACKOFF_MAX_MS: integer(limits.webhookBackoffMaxMsDefault, 1, 86_400_000),
  /** How long a failing event is retried before it is marked failed (the contract promises 24 h; shorter only outside production). */
  WEBHOOK_RETRY_WINDOW_MS: integer(limits.webhookRetryWindowMsDefault, 1, 30 * 86_400_000),
  /** A replica's claim on one webhook, renewed before each delivery; must exceed one delivery (10 s). */
  WEBHOOK_LEASE_MS: integer(limits.webhookLeaseMsDefault, 1000, 600_000),
  /** Files holding DATABASE_URL, JWT_SECRET and METRICS_TOKEN (Docker secrets); see withSecretFiles. */
  DATABASE_URL_FILE: z.string().min(1).optional(),
  JWT_SECRET_FILE: z.string().min(1).optional(),
  METRICS_TOKEN_FILE: z.string().min(1).optional(),
});

export type Config = z.infer<typeof configSchema>;

/**
 * The settings that are secrets and may come from a file instead (`NAME_FILE=/run/secrets/name`):
 * Docker and Kubernetes secrets are files, and a file keeps the value out of `docker inspect`, the
 * process environment of every child and the compose file.
 */
export const fileSecretSettings = ['DATABASE_URL', 'JWT_SECRET', 'METRICS_TOKEN'] as const;

/**
 * `env` with each `NAME_FILE` read into `NAME`: the file's content without its trailing newline
 * (what `echo secret > file` leaves). Setting both NAME and NAME_FILE is refused, since which one
 * wins would be a guess; an unreadable file is refused with the variable's name.
 */
export function withSecretFiles(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const resolved: NodeJS.ProcessEnv = { ...env };
  for (const name of fileSecretSettings) {
    const file = env[`${name}_FILE`];
    if (file === undefined || file === '') continue;
    if (env[name] !== undefined && env[name] !== '')
      throw new Error(
        `Invalid configuration:\n  ${name} and ${name}_FILE: set one of them, not both.`,
      );
    let content: string;
    try {
      content = fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new Error(
        `Invalid configuration:\n  ${name}_FILE: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}).`,
      );
    }
    resolved[name] = content.replace(/\r?\n$/, '');
  }
  return resolved;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = configSchema.safeParse(withSecretFiles(env));
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `  ${issue.path.join('.')}: ${issue.message}`)
      .join('\n');
    throw new Error(`Invalid configuration:\n${problems}`);
  }
  const config = parsed.data;
  if (config.HTTP_HEADERS_TIMEOUT_MS > config.HTTP_REQUEST_TIMEOUT_MS) {
    throw new Error(
      'Invalid configuration:\n  HTTP_HEADERS_TIMEOUT_MS must not be above HTTP_REQUEST_TIMEOUT_MS.',
    );
  }
  if (config.JWT_JWKS_FILE && config.JWT_JWKS_URL) {
    throw new Error(
      'Invalid configuration:\n  JWT_JWKS_FILE and JWT_JWKS_URL: set one of them, not both.',
    );
  }
  if (
    config.NODE_ENV === 'production' &&
    config.WEBHOOK_RETRY_WINDOW_MS < limits.webhookRetryWindowMsDefault
  ) {
    throw new Error(
      'Invalid configuration:\n  WEBHOOK_RETRY_WINDOW_MS: the contract promises retries for at least 24 hours; set it to 86400000 or more in production.',
    );
  }
  // Outside production, main.ts generates a development secret when none is configured; in
  // production a gateway that could verify no token would refuse every request, so it stops here.
  if (config.NODE_ENV === 'production' && !hasVerificationKey(config)) {
    throw new Error(
      'Invalid configuration:\n  No token verification key: in production (NODE_ENV=production) set JWT_JWKS_URL or ' +
        'JWT_JWKS_FILE (RS256/ES256/EdDSA public keys), or JWT_SECRET (HS256). See docs/auth.md, section "Configuring keys".',
    );
  }
  // /metrics shows money moved per asset and transaction volumes: in production it is either
  // behind a token or on a port of its own (loopback unless METRICS_HOST says otherwise).
  if (
    config.NODE_ENV === 'production' &&
    !config.METRICS_TOKEN &&
    config.METRICS_PORT === undefined
  ) {
    throw new Error(
      'Invalid configuration:\n  /metrics is not protected: in production (NODE_ENV=production) set METRICS_TOKEN (scrapers send ' +
        '"Authorization: Bearer <token>"), or METRICS_PORT to serve metrics on a separate internal port (bound to METRICS_HOST, 127.0.0.1 by default).',
    );
  }
  return config;
}

/** True when at least one way of verifying bearer tokens is configured. */
export function hasVerificationKey(
  config: Pick<Config, 'JWT_SECRET' | 'JWT_JWKS_FILE' | 'JWT_JWKS_URL'>,
): boolean {
  return Boolean(config.JWT_SECRET || config.JWT_JWKS_FILE || config.JWT_JWKS_URL);
}
