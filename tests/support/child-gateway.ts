// Runs the built gateway (node dist/src/main.js) as a child process, as production does, so that tests can SIGKILL it, SIGTERM it and watch it live through a database outage.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { PrismaClient } from '../../generated/prisma/client';
import { AssetService } from '../../src/modules/assets/asset.service';
import { demoAssets } from '../../src/seed/demo';
import { projectRoot } from '../../src/shared/db/database';
import { findFreePort } from '../../src/dev/embedded';
import { mintToken, type Role } from '../../src/shared/auth/tokens';
import { createDatabase, type Database } from '../../src/shared/db/prisma';
import { TEST_JWT_SECRET } from './gateway';
import { createTestDatabase, type TestDatabase } from './test-database';

/** Lines of the child's output kept for failure messages. */
const OUTPUT_TAIL_LINES = 80;

/**
 * Builds dist/ when it is missing or older than the sources (scripts/ensure-built.js). Test files
 * run in parallel workers, so a directory lock keeps two of them from compiling at once; the
 * second then finds dist/ fresh.
 */
export function ensureBuilt(): void {
  const root = projectRoot();
  const lock = path.join(
    os.tmpdir(),
    `wallet-gateway-build-${Buffer.from(root).toString('hex').slice(-32)}.lock`,
  );
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than the deadline was left by a killed run.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 180_000)
          rmSync(lock, { recursive: true, force: true });
      } catch {
        // Released meanwhile.
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for the build lock ${lock}`);
      spawnSync('sleep', ['0.2']);
    }
  }
  try {
    const startedMs = Date.now();
    const result = spawnSync(process.execPath, [path.join(root, 'scripts', 'ensure-built.js')], {
      cwd: root,
      encoding: 'utf8',
    });
    if (result.status !== 0) {
      // tsc emits despite type errors. `npm test` has already failed on those before jest runs;
      // a direct jest run may go on with what was emitted, so that a colleague's half-finished
      // file elsewhere in the tree does not block these tests.
      const main = path.join(root, 'dist', 'src', 'main.js');
      const emitted = existsSync(main) && statSync(main).mtimeMs >= startedMs - 1000;
      if (!emitted)
        throw new Error(`building the gateway failed:\n${result.stdout}\n${result.stderr}`);
      process.stderr.write(
        `warning: the build reported errors; testing what tsc emitted:\n${result.stdout.slice(-2000)}\n`,
      );
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export interface ChildGatewayOptions {
  databaseUrl: string;
  /** A fixed port, so that a restarted gateway answers where the clients already send. */
  port?: number;
  env?: Record<string, string>;
}

export interface ChildGateway {
  url: string;
  port: number;
  child: ChildProcess;
  /** Resolves with how the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines the process wrote. */
  output(): string;
  /** Sends a signal; a no-op once the process has exited. */
  kill(signal: NodeJS.Signals): void;
  alive(): boolean;
}

const running = new Set<ChildProcess>();
// A test that fails or times out must not leave gateways running after jest exits.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/** Starts `node dist/src/main.js` and resolves once /readyz answers 200. */
export async function startChildGateway(
  options: ChildGatewayOptions,
  readyTimeoutMs = 20_000,
): Promise<ChildGateway> {
  const root = projectRoot();
  const main = path.join(root, 'dist', 'src', 'main.js');
  if (!existsSync(main)) throw new Error(`${main} is missing: call ensureBuilt() first`);
  const port = options.port ?? (await findFreePort());
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATABASE_URL: options.databaseUrl,
    JWT_SECRET: TEST_JWT_SECRET,
    // Production refuses an unprotected /metrics (src/shared/config.ts).
    METRICS_TOKEN: 'child-gateway-metrics-token',
    LOG_LEVEL: process.env.RELIABILITY_GATEWAY_LOG_LEVEL ?? 'error',
    ...options.env,
  };
  const child = spawn(process.execPath, [main], {
    cwd: root,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() === '') continue;
      tail.push(line.length > 500 ? `${line.slice(0, 500)}...` : line);
      if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
    }
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => {
      exitInfo = { code, signal };
      running.delete(child);
      resolve(exitInfo);
    });
  });
  const gateway: ChildGateway = {
    url: `http://127.0.0.1:${port}/graphql`,
    port,
    child,
    exited,
    output: () => tail.join('\n'),
    kill(signal) {
      if (!exitInfo) child.kill(signal);
    },
    alive: () => exitInfo === undefined,
  };

  const deadline = Date.now() + readyTimeoutMs;
  for (;;) {
    if (exitInfo)
      throw new Error(
        `the gateway exited during start (${JSON.stringify(exitInfo)}):\n${gateway.output()}`,
      );
    try {
      const response = await fetch(`http://127.0.0.1:${port}/readyz`, {
        signal: AbortSignal.timeout(2000),
      });
      if (response.status === 200) return gateway;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      gateway.kill('SIGKILL');
      throw new Error(
        `the gateway was not ready within ${readyTimeoutMs} ms:\n${gateway.output()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 40));
  }
}

/** Bearer tokens for the test's clients, signed with the secret child gateways get. */
export async function mintTokens(
  subjects: string[],
  role: Role = 'server',
): Promise<Map<string, string>> {
  const tokens = new Map<string, string>();
  for (const sub of subjects)
    tokens.set(
      sub,
      await mintToken({ secret: TEST_JWT_SECRET, sub, role, expiresInSeconds: 3600 }),
    );
  return tokens;
}

/** Open file descriptors of a process (Linux), to spot leaked sockets; undefined elsewhere. */
export function openFileDescriptors(pid: number): number | undefined {
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return undefined;
  }
}

/** The demo assets, created directly through the service (a child gateway's database starts empty of them). */
export async function seedAssets(prisma: PrismaClient): Promise<void> {
  const assets = new AssetService(prisma);
  for (const asset of demoAssets) await assets.ensure({ ...asset });
}

/** What a child-gateway test file shares between its hooks and its tests. */
export interface ChildGatewayFixture {
  testDb: TestDatabase;
  /** A connection of the test's own, for seeding and for the invariant checks. */
  database: Database;
  /** The gateway child the test started last; killed after the file if still running. */
  gateway: ChildGateway | undefined;
}

/**
 * Registers the hooks every child-gateway test file needs: build dist/ once, a fresh database with
 * the demo assets before the tests, and afterwards the child killed and everything closed.
 */
export function useChildGatewayFixture(label: string): ChildGatewayFixture {
  const fixture = { gateway: undefined } as ChildGatewayFixture;
  beforeAll(async () => {
    ensureBuilt();
    fixture.testDb = await createTestDatabase(label);
    fixture.database = createDatabase({
      connectionString: fixture.testDb.connectionString,
      poolMax: 4,
      connectTimeoutMs: 3000,
      statementTimeoutMs: 30_000,
    });
    await seedAssets(fixture.database.prisma);
  }, 180_000);
  afterAll(async () => {
    fixture.gateway?.kill('SIGKILL');
    await fixture.gateway?.exited;
    await fixture.database?.close();
    await fixture.testDb?.drop();
  });
  return fixture;
}
