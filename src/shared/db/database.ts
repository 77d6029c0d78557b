import { existsSync } from 'node:fs';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { Client } from 'pg';
import { withSecretFiles } from '../config';
import { parseMultiHostUrl, pgConnectionConfig } from './multi-host';
import {
  EmbeddedPostgresInUseError,
  RUNTIME_DIR_SETTING,
  embeddedConnectionString,
  makeTempDataDir,
  startEmbeddedPostgres,
  type EmbeddedPostgresHandle,
} from '../../dev/embedded';

/**
 * Where the gateway's PostgreSQL comes from. DATABASE_URL wins; without it an embedded server
 * is started from a data directory under the project's git-ignored .data/, so that `npm start`
 * and `npm test` work on a machine with no database installed.
 */

export type DatabasePurpose = 'app' | 'test';

export interface ResolvedDatabase {
  connectionString: string;
  /** True when this process started (or attached to) an embedded server rather than using DATABASE_URL. */
  embedded: boolean;
  /** The embedded server's data directory (as root it may live outside the checkout: see src/dev/embedded/placement.ts). */
  dataDir?: string;
  /** Stops the embedded server this call started; a no-op otherwise. Safe to call twice. */
  stop(): Promise<void>;
}

export interface ResolveDatabaseOptions {
  log?: (message: string) => void;
  env?: NodeJS.ProcessEnv;
}

let cachedProjectRoot: string | undefined;

/**
 * The directory holding package.json, found by walking up from this file. That works from
 * src/shared/db under jest and from dist/src/shared/db after tsc alike, whatever the cwd is.
 */
export function projectRoot(): string {
  if (cachedProjectRoot) return cachedProjectRoot;
  let dir = __dirname;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json'))) {
      cachedProjectRoot = dir;
      return dir;
    }
    const parent = path.dirname(dir);
    if (parent === dir)
      throw new Error(`No package.json found above ${__dirname}: cannot locate the project root`);
    dir = parent;
  }
}

/** The same server and credentials, another database: replaces the URL's path, keeps its query. */
export function withDatabaseName(connectionString: string, dbName: string): string {
  if (parseMultiHostUrl(connectionString)) {
    // WHATWG URL cannot hold a host list: swap the path in the text, keep the rest as written.
    const match = /^(postgres(?:ql)?:\/\/[^/?#]*)(\/[^?#]*)?(.*)$/s.exec(connectionString);
    if (match) return `${match[1]}/${encodeURIComponent(dbName)}${match[3]}`;
  }
  const url = parseConnectionUrl(connectionString);
  url.pathname = `/${encodeURIComponent(dbName)}`;
  return url.toString();
}

/** The database a connection URL names, or undefined if it names none (libpq then uses the user name). */
export function databaseNameOf(connectionString: string): string | undefined {
  const url = parseConnectionUrl(connectionString);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  return name === '' ? undefined : name;
}

/**
 * The URL as WHATWG parsing sees it; a multi-host URL (src/shared/db/multi-host.ts) is checked
 * host by host and read through its first host, which shares the user, path and query.
 */
function parseConnectionUrl(connectionString: string): URL {
  let url: URL;
  try {
    const multiHost = parseMultiHostUrl(connectionString);
    url = new URL(multiHost ? multiHost.firstHostUrl : connectionString);
  } catch {
    // Never echo the string itself: it may carry a password.
    throw new Error('The database connection string is not a valid postgresql:// URL');
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    throw new Error(
      `The database connection string must start with postgresql:// (got ${url.protocol}//)`,
    );
  }
  return url;
}

/** Returns the URL with any password replaced, for log lines and error messages. */
export function redactConnectionString(connectionString: string): string {
  try {
    const multiHost = parseMultiHostUrl(connectionString);
    if (multiHost) {
      return connectionString.replace(/^(postgres(?:ql)?:\/\/[^:@/]*):[^@/]*@/, '$1:***@');
    }
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '<invalid connection string>';
  }
}

/** Double-quotes an identifier for SQL, as PostgreSQL's quote_ident does. */
export function quoteIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Creates `dbName` unless it exists; returns whether this call created it. Two processes may
 * race here (replicas starting together, jest workers): the loser's CREATE DATABASE fails with
 * duplicate_database, or with a unique violation on pg_database's name index when both pass the
 * catalog check at the same moment, and both mean the database now exists.
 */
export async function ensureDatabase(
  adminConnectionString: string,
  dbName: string,
): Promise<boolean> {
  return withClient(adminConnectionString, async (client) => {
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [dbName]);
    if (existing.rowCount && existing.rowCount > 0) return false;
    try {
      await client.query(`CREATE DATABASE ${quoteIdentifier(dbName)}`);
      return true;
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === '42P04' || code === '23505') return false;
      throw error;
    }
  });
}

/**
 * Runs `work` on a dedicated connection (administration: creating and dropping databases, which
 * cannot run inside a pooled transaction) and always closes it. A connection error after the
 * work is done is ignored: the client is being thrown away.
 */
export async function withClient<T>(
  connectionString: string,
  work: (client: Client) => Promise<T>,
): Promise<T> {
  const client = new Client(pgConnectionConfig(connectionString));
  client.on('error', () => undefined);
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** The data directory of the embedded server for each purpose; tests never touch app data. */
export function embeddedDataDir(purpose: DatabasePurpose): string {
  return path.join(projectRoot(), '.data', purpose === 'app' ? 'postgres' : 'postgres-test');
}

function embeddedPortFromEnv(env: NodeJS.ProcessEnv): number | undefined {
  const raw = env.EMBEDDED_PG_PORT;
  if (raw === undefined || raw.trim() === '') return undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1024 || port > 65535) {
    throw new Error(`EMBEDDED_PG_PORT must be an integer between 1024 and 65535 (got "${raw}")`);
  }
  return port;
}

function fromHandle(handle: EmbeddedPostgresHandle): ResolvedDatabase {
  return {
    connectionString: handle.connectionString,
    embedded: true,
    dataDir: handle.dataDir,
    stop: () => handle.stop(),
  };
}

/**
 * DATABASE_URL if set (stop() is then a no-op), otherwise an embedded server on
 * .data/postgres (app) or .data/postgres-test (test), on EMBEDDED_PG_PORT or a free port.
 *
 * If the data directory is already served by a running server (a second `npm run db:migrate`
 * next to `npm start`, or a server orphaned by a killed run), the app attaches to it and leaves
 * it running on stop(). Tests must not share a server with another jest run (its globalSetup
 * would rebuild the template under the other run's feet, and the first run to finish would
 * stop the server), so a test run then starts a throw-away server in the temp directory.
 */
export async function resolveDatabase(
  purpose: DatabasePurpose,
  options: ResolveDatabaseOptions = {},
): Promise<ResolvedDatabase> {
  const env = withSecretFiles(options.env ?? process.env);
  const log = options.log ?? (() => undefined);
  const url = env.DATABASE_URL?.trim();
  if (url) {
    parseConnectionUrl(url);
    return { connectionString: url, embedded: false, stop: async () => undefined };
  }

  const dataDir = embeddedDataDir(purpose);
  const port = embeddedPortFromEnv(env);
  // As root: where the binaries and data go when the postgres user cannot reach this checkout.
  const runtimeDir = env[RUNTIME_DIR_SETTING]?.trim() || undefined;
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  try {
    return fromHandle(await startEmbeddedPostgres({ dataDir, port, log, runtimeDir }));
  } catch (error) {
    if (!(error instanceof EmbeddedPostgresInUseError)) throw error;
    if (purpose === 'app') {
      // Without a port in its lock file there is nothing to attach to: report the conflict.
      if (error.port === undefined) throw error;
      log(
        `${dataDir} is already served by PostgreSQL pid ${error.pid} on port ${error.port}; using that server and leaving it running`,
      );
      return {
        connectionString: embeddedConnectionString(error.port),
        embedded: true,
        dataDir: error.dataDir,
        stop: async () => undefined,
      };
    }
    log(`${error.message} Starting a throw-away PostgreSQL for this run instead.`);
    const temp = await makeTempDataDir('wallet-pg-test-');
    // EMBEDDED_PG_PORT is what the other server listens on, so this one takes a free port.
    const handle = await startEmbeddedPostgres({
      dataDir: temp.dataDir,
      log,
      ephemeral: true,
      runtimeDir,
    });
    return {
      connectionString: handle.connectionString,
      embedded: true,
      dataDir: handle.dataDir,
      stop: async () => {
        await handle.stop();
        await fs.rm(temp.parentDir, { recursive: true, force: true });
      },
    };
  }
}
