import { createServices, type Services } from '../src/app/services';
import type { Principal } from '../src/shared/auth/principal';
import { loadConfig } from '../src/shared/config';
import { createDatabase, type Database } from '../src/shared/db/prisma';
import { percentile } from './stats';

/**
 * The engine rows of `npm run bench`: the money engine called in-process by concurrent callers
 * (no HTTP, no GraphQL, no autocannon), group commit as shipped, against the bench's database.
 * What the engine gets out of PostgreSQL apart from what HTTP and GraphQL cost; bench/engine.ts
 * (`npm run bench:engine`) compares group commit off and on, the outbox and lots on its own
 * database.
 *
 * Its wallets are its own (users "bench-engine-<n>" and "bench-engine-hot", never the gateway's
 * or the ceilings'): they are created and funded through the engine, so they carry lots like any
 * wallet the gateway posts to, and the invariant check holds them to every rule.
 */

export interface EngineWorkloadDefinition {
  name: string;
  description: string;
  /** The ceiling this row is compared with (a pgbench workload name). */
  ceiling: string;
  operation: 'topup' | 'spend';
  hot: boolean;
}

export const engineWorkloads: EngineWorkloadDefinition[] = [
  {
    name: 'engine topup distinct',
    description: 'services.wallet.topup in-process, every caller on its own wallet',
    ceiling: 'pgbench same-SQL topup distinct',
    operation: 'topup',
    hot: false,
  },
  {
    name: 'engine spend hot',
    description: 'services.wallet.spend in-process, every caller on one funded wallet',
    ceiling: 'pgbench naive spend hot',
    operation: 'spend',
    hot: true,
  },
];

export interface EngineRunResult {
  txPerS: number;
  successes: number;
  p50Ms: number;
  p99Ms: number;
  errors: number;
  errorCodes: Record<string, number>;
  errorSamples: string[];
  /** Operations per engine database transaction in this run (the onBatch hook); NaN if none. */
  meanBatchOps: number;
  durationS: number;
}

export interface EngineHarness {
  run(
    workload: EngineWorkloadDefinition,
    callers: number,
    durationS: number,
  ): Promise<EngineRunResult>;
  close(): Promise<void>;
}

const principal: Principal = { subject: 'bench-engine', role: 'server' };
const hotUser = 'bench-engine-hot';
const hotFunding = 1_000_000_000_000_000n;
const distinctUser = (caller: number) => `bench-engine-${caller + 1}`;

/**
 * The engine on a pool of its own (DB_POOL_MAX as the gateway's: BENCH_POOL_MAX, else the
 * gateway's default 16), configured like the gateway child: GROUP_COMMIT, TX_MAX_WAIT_MS and
 * TX_TIMEOUT_MS from the environment when set (bench/ab.sh's GROUP_COMMIT=false reaches both).
 */
export async function startEngineHarness(options: {
  databaseUrl: string;
  asset: string;
  poolMax: number | undefined;
  log: (m: string) => void;
}): Promise<EngineHarness> {
  const env: NodeJS.ProcessEnv = {
    NODE_ENV: 'test',
    JWT_SECRET: 'bench-engine-secret-0123456789-0123456789',
    DB_POOL_MAX: String(options.poolMax ?? 16),
  };
  for (const name of ['GROUP_COMMIT', 'TX_MAX_WAIT_MS', 'TX_TIMEOUT_MS'])
    if (process.env[name] !== undefined) env[name] = process.env[name];
  const config = loadConfig(env);
  const database: Database = createDatabase({
    connectionString: options.databaseUrl,
    poolMax: config.DB_POOL_MAX,
    connectTimeoutMs: 10_000,
    statementTimeoutMs: 60_000,
  });
  const batches = { operations: 0, transactions: 0 };
  let services: Services;
  try {
    services = createServices(database, config, {
      onBatch: (operations) => {
        batches.operations += operations;
        batches.transactions += 1;
      },
    });
    await services.wallet.topup(principal, {
      userId: hotUser,
      asset: options.asset,
      amount: hotFunding,
      idempotencyKey: `bench-engine-hot-fund-${Date.now().toString(36)}`,
    });
  } catch (error) {
    await database.close();
    throw error;
  }
  options.log(
    `engine harness: in-process money engine, pool ${config.DB_POOL_MAX}, group commit ${config.GROUP_COMMIT ? 'on' : 'off'}; ${hotUser} funded with ${hotFunding}`,
  );

  const keyPrefix = `bench-engine-${Date.now().toString(36)}-${process.pid}`;
  let keys = 0;
  const call = (workload: EngineWorkloadDefinition, caller: number) => {
    const input = {
      userId: workload.hot ? hotUser : distinctUser(caller),
      asset: options.asset,
      amount: 1n,
      idempotencyKey: `${keyPrefix}-${(keys += 1)}`,
    };
    return workload.operation === 'topup'
      ? services.wallet.topup(principal, input)
      : services.wallet.spend(principal, input);
  };

  return {
    async run(workload, callers, durationS) {
      const latencies: number[] = [];
      const errorCodes: Record<string, number> = {};
      const errorSamples: string[] = [];
      let errors = 0;
      const before = { ...batches };
      const startedMs = performance.now();
      const until = startedMs + durationS * 1000;
      await Promise.all(
        Array.from({ length: callers }, async (_, caller) => {
          while (performance.now() < until) {
            const t0 = performance.now();
            try {
              await call(workload, caller);
              latencies.push(performance.now() - t0);
            } catch (error) {
              errors += 1;
              const code = String((error as { code?: unknown }).code ?? (error as Error).name);
              errorCodes[code] = (errorCodes[code] ?? 0) + 1;
              if (errorSamples.length < 5) errorSamples.push(String(error).slice(0, 400));
            }
          }
        }),
      );
      const elapsedS = (performance.now() - startedMs) / 1000;
      const transactions = batches.transactions - before.transactions;
      return {
        txPerS: latencies.length / elapsedS,
        successes: latencies.length,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
        errors,
        errorCodes,
        errorSamples,
        meanBatchOps:
          transactions > 0 ? (batches.operations - before.operations) / transactions : Number.NaN,
        durationS: elapsedS,
      };
    },
    close: () => database.close(),
  };
}
