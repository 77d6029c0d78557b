import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../src/shared/db/database';
import { findFreePort } from '../src/dev/embedded';

/**
 * The gateway under test, run as a child process exactly as production runs it
 * (`node dist/src/main.js`), so that its memory can be read from /proc and its CPU is not shared
 * with the load generator's event loop.
 */
export interface GatewayChild {
  url: string;
  pid: number;
  nodeEnv: string;
  /** Lines the gateway wrote (its logs at LOG_LEVEL=warn), since the last drain. */
  drainLogLines(): string[];
  /** Starts a fresh RSS window; stopRssWindow returns its maximum in bytes (undefined off Linux). */
  startRssWindow(): void;
  stopRssWindow(): number | undefined;
  /** The largest RSS sampled over the child's whole life. */
  maxRssBytes(): number | undefined;
  /**
   * The histogram wallet_batch_operations from the gateway's /metrics: the money operations and
   * the engine's database transactions so far (read before and after a run, the difference gives
   * the run's mean batch size). Undefined when /metrics cannot be read.
   */
  batchTotals(): Promise<BatchTotals | undefined>;
  stop(): Promise<void>;
}

export interface GatewayChildOptions {
  databaseUrl: string;
  jwtSecret: string;
  nodeEnv: 'production' | 'development';
  poolMax: number | undefined;
  /** More environment for the child (the census turns the hold sweep off, for instance). */
  extraEnv?: Record<string, string>;
  log: (m: string) => void;
}

export interface BatchTotals {
  /** wallet_batch_operations_sum: operations carried by the engine's database transactions. */
  operations: number;
  /** wallet_batch_operations_count: the engine's database transactions. */
  transactions: number;
}

/** Operations per database transaction between two readings; undefined when none ran. */
export function meanBatchOps(
  before: BatchTotals | undefined,
  after: BatchTotals | undefined,
): number | undefined {
  if (!before || !after) return undefined;
  const transactions = after.transactions - before.transactions;
  return transactions > 0 ? (after.operations - before.operations) / transactions : undefined;
}

/** The sum and count of wallet_batch_operations in a Prometheus text exposition. */
export function parseBatchTotals(text: string): BatchTotals | undefined {
  const sum = /^wallet_batch_operations_sum(?:\{\})? ([0-9.e+-]+)$/m.exec(text)?.[1];
  const count = /^wallet_batch_operations_count(?:\{\})? ([0-9.e+-]+)$/m.exec(text)?.[1];
  return sum === undefined || count === undefined
    ? undefined
    : { operations: Number(sum), transactions: Number(count) };
}

const rssSampleIntervalMs = 100;
const readyTimeoutMs = 60_000;
const keptLogLines = 2000;

/** VmRSS of a process in bytes, from /proc (Linux only). */
export function readRssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Settings that keep the gateway's request budget out of the measurement: the bench is one
 * credential sending thousands of requests per second on purpose. The limiter itself still runs
 * (its cost is part of every request), only its budget is raised. Only variables the gateway's
 * config declares are set, and a value already in the bench's environment wins.
 */
function rateLimitEnv(): Record<string, string> {
  const wanted: Record<string, string> = {
    RATE_LIMIT_POINTS: '100000000',
    RATE_LIMIT_PLAYER_POINTS: '100000000',
  };
  let configText = '';
  try {
    configText = readFileSync(path.join(projectRoot(), 'src', 'shared', 'config.ts'), 'utf8');
  } catch {
    return {};
  }
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(wanted)) {
    if (process.env[name] === undefined && new RegExp(`\\b${name}\\s*:`).test(configText))
      env[name] = value;
  }
  return env;
}

async function waitForReady(
  baseUrl: string,
  child: ChildProcess,
  output: () => string,
): Promise<void> {
  const deadline = Date.now() + readyTimeoutMs;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `the gateway exited (code ${child.exitCode ?? child.signalCode}) before it was ready:\n${output()}`,
      );
    }
    try {
      const response = await fetch(`${baseUrl}/readyz`);
      if (response.ok) return;
      lastProblem = `readyz answered ${response.status}: ${await response.text()}`;
    } catch (error) {
      lastProblem = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `the gateway was not ready within ${readyTimeoutMs} ms (${lastProblem}):\n${output()}`,
  );
}

async function spawnGateway(options: GatewayChildOptions, nodeEnv: string): Promise<GatewayChild> {
  const port = await findFreePort();
  const metricsToken = process.env.METRICS_TOKEN ?? 'bench-metrics-token-0123456789';
  const env: NodeJS.ProcessEnv = {
    // The container image's malloc setting (see the Dockerfile), unless the caller chose another.
    MALLOC_ARENA_MAX: '2',
    ...process.env,
    ...rateLimitEnv(),
    DATABASE_URL: options.databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    NODE_ENV: nodeEnv,
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
    LOG_PRETTY: 'false',
    JWT_SECRET: options.jwtSecret,
    // Production refuses to serve /metrics unprotected; the bench reads it with this token.
    METRICS_TOKEN: metricsToken,
    SEED_DEMO: 'false',
    MIGRATE_ON_START: 'false',
    ...options.extraEnv,
  };
  if (options.poolMax !== undefined) env.DB_POOL_MAX = String(options.poolMax);
  // The bench reads the batch sizes from /metrics on the gateway's own port (see batchTotals).
  delete env.METRICS_PORT;
  // BENCH_GATEWAY_NODE_ARGS: flags for the gateway's node only, such as
  // `--cpu-prof --cpu-prof-dir=/tmp/profiles` (node refuses --cpu-prof in NODE_OPTIONS).
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const main = path.join(projectRoot(), 'dist', 'src', 'main.js');
  const child = spawn(process.execPath, [...nodeArgs, main], {
    cwd: projectRoot(),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own, ended through its id below: whatever the gateway starts goes
    // with it, and nothing else on the machine is touched.
    detached: true,
  });
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // The group is gone already.
    }
  };
  let pending: string[] = [];
  const everything: string[] = [];
  const onData = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      pending.push(line);
      everything.push(line);
      if (pending.length > keptLogLines) pending.shift();
      if (everything.length > 200) everything.shift();
    }
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  let lifetimeMax: number | undefined;
  let windowMax: number | undefined;
  const sampler = setInterval(() => {
    const rss = readRssBytes(child.pid!);
    if (rss === undefined) return;
    lifetimeMax = Math.max(lifetimeMax ?? 0, rss);
    if (windowMax !== undefined) windowMax = Math.max(windowMax, rss);
  }, rssSampleIntervalMs);
  sampler.unref();

  const stop = async () => {
    clearInterval(sampler);
    if (child.exitCode === null && child.signalCode === null) {
      signalGroup('SIGTERM');
      const timer = setTimeout(() => signalGroup('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    }
  };

  const baseUrl = `http://127.0.0.1:${port}`;
  try {
    await waitForReady(baseUrl, child, () => everything.slice(-40).join('\n'));
  } catch (error) {
    await stop();
    throw error;
  }
  // The start-up banner and info lines are not part of any run.
  pending = [];
  options.log(`gateway pid ${child.pid} ready at ${baseUrl}/graphql (NODE_ENV=${nodeEnv})`);
  return {
    url: `${baseUrl}/graphql`,
    pid: child.pid!,
    nodeEnv,
    drainLogLines() {
      const lines = pending;
      pending = [];
      return lines;
    },
    startRssWindow() {
      windowMax = readRssBytes(child.pid!) ?? 0;
    },
    stopRssWindow() {
      const rss = readRssBytes(child.pid!);
      const max = windowMax === undefined ? undefined : Math.max(windowMax, rss ?? 0);
      windowMax = undefined;
      if (max !== undefined) lifetimeMax = Math.max(lifetimeMax ?? 0, max);
      return max === 0 ? undefined : max;
    },
    maxRssBytes: () => lifetimeMax,
    async batchTotals() {
      try {
        const response = await fetch(`${baseUrl}/metrics`, {
          headers: { authorization: `Bearer ${metricsToken}` },
        });
        return response.ok ? parseBatchTotals(await response.text()) : undefined;
      } catch {
        return undefined;
      }
    },
    stop,
  };
}

/**
 * Starts the gateway in the requested NODE_ENV. If production refuses to start (it may demand
 * configuration the bench does not have, like a JWKS URL), the bench falls back to development
 * with the same log level and says so, rather than not measuring at all.
 */
export async function startGatewayChild(options: GatewayChildOptions): Promise<GatewayChild> {
  try {
    return await spawnGateway(options, options.nodeEnv);
  } catch (error) {
    if (options.nodeEnv !== 'production') throw error;
    options.log(
      `the gateway did not start with NODE_ENV=production; falling back to development. Reason:\n${(error as Error).message}`,
    );
    return spawnGateway(options, 'development');
  }
}
