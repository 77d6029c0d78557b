/**
 * The engine-level bench: the money engine called in-process (no HTTP, no GraphQL), in interleaved
 * rounds on one database, side by side:
 *   - topups on distinct wallets and spends on one hot wallet by concurrent callers, group commit
 *     off and on: what batching wins in the database, apart from what HTTP and GraphQL cost;
 *   - topups on distinct wallets with the event outbox's triggers off and on: what the outbox costs;
 *   - one caller spending from a wallet with 1 live lot and from one with 50: what lots cost.
 * `npm run bench:engine`; knobs: BENCH_CLIENTS (16), BENCH_DURATION_S (10), BENCH_ROUNDS (3),
 * BENCH_DATABASE_URL (default: an embedded PostgreSQL).
 */
import { runScript } from './cli';
import 'reflect-metadata';
import { createServices } from '../src/app/services';
import type { Principal } from '../src/shared/auth/principal';
import { loadConfig } from '../src/shared/config';
import { createDatabase } from '../src/shared/db/prisma';
import { findInvariantBreaches } from '../src/app/invariants';
import { provisionDatabase } from './database';

const server: Principal = { subject: 'bench-engine', role: 'server' };
const asset = 'ENGINE_GOLD';

const intFromEnv = (name: string, fallback: number) =>
  process.env[name]?.trim() ? Number(process.env[name]) : fallback;
const log = (message: string) =>
  console.log(`[bench:engine ${new Date().toISOString().slice(11, 19)}] ${message}`);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<number> {
  const clients = intFromEnv('BENCH_CLIENTS', 16);
  const durationMs = intFromEnv('BENCH_DURATION_S', 10) * 1000;
  const rounds = intFromEnv('BENCH_ROUNDS', 3);
  const db = await provisionDatabase(process.env.BENCH_DATABASE_URL?.trim() || undefined, log);
  const database = createDatabase({
    connectionString: db.url,
    poolMax: 16,
    connectTimeoutMs: 10_000,
    statementTimeoutMs: 60_000,
  });
  try {
    const config = loadConfig({
      NODE_ENV: 'test',
      JWT_SECRET: 'bench-engine-secret-0123456789-0123456789',
      DB_POOL_MAX: '16',
    });
    const batched = createServices(database, { ...config, GROUP_COMMIT: true });
    const unbatched = createServices(database, { ...config, GROUP_COMMIT: false });
    await batched.assets.ensure({ code: asset, name: 'Engine gold', decimals: 0 });
    // The hot wallet holds enough for every spend of every round; the lot wallets one and 50 lots.
    await batched.wallet.topup(server, {
      userId: 'engine-hot',
      asset,
      amount: 1_000_000_000n,
      idempotencyKey: 'engine-hot-fund',
    });
    await batched.wallet.topup(server, {
      userId: 'engine-lots-1',
      asset,
      amount: 1_000_000_000n,
      idempotencyKey: 'engine-lots-1',
    });
    // Credits of one origin and expiry share a lot: 50 different expiries make 50 live lots.
    for (let lot = 0; lot < 50; lot += 1) {
      const expiresAt = new Date(Date.now() + (lot + 1) * 86_400_000);
      await batched.wallet.topup(server, {
        userId: 'engine-lots-50',
        asset,
        amount: 1_000_000_000n,
        idempotencyKey: `engine-lots-50-${lot}`,
        expiresAt,
      });
    }
    const triggers = async (on: boolean) => {
      const verb = on ? 'ENABLE' : 'DISABLE';
      await database.pool.query(`ALTER TABLE transactions ${verb} TRIGGER transactions_events`);
    };

    let keys = 0;
    type Call = (client: number) => Promise<unknown>;
    const topup =
      (services: typeof batched): Call =>
      (client) =>
        services.wallet.topup(server, {
          userId: `engine-${client}`,
          asset,
          amount: 1n,
          idempotencyKey: `e-${(keys += 1)}`,
        });
    const spend =
      (services: typeof batched, userId: string): Call =>
      () =>
        services.wallet.spend(server, {
          userId,
          asset,
          amount: 1n,
          idempotencyKey: `e-${(keys += 1)}`,
        });
    /** Each comparison: a baseline side and a side under test, run one after the other every round. */
    const comparisons: {
      name: string;
      callers: number;
      sides: [string, string];
      run: (side: 0 | 1) => Call;
      setup?: (side: 0 | 1) => Promise<void>;
    }[] = [
      {
        name: 'engine topup distinct',
        callers: clients,
        sides: ['group commit off', 'on'],
        run: (side) => topup(side ? batched : unbatched),
      },
      {
        name: 'engine spend hot',
        callers: clients,
        sides: ['group commit off', 'on'],
        run: (side) => spend(side ? batched : unbatched, 'engine-hot'),
      },
      {
        name: 'engine topup distinct, outbox',
        callers: clients,
        sides: ['outbox off', 'on'],
        run: () => topup(batched),
        setup: (side) => triggers(side === 1),
      },
      {
        name: 'engine spend, live lots',
        callers: 1,
        sides: ['1 lot', '50 lots'],
        run: (side) => spend(batched, side ? 'engine-lots-50' : 'engine-lots-1'),
      },
    ];
    const results: { name: string; side: number; txPerS: number; p50Ms: number }[] = [];
    for (let round = 1; round <= rounds; round += 1) {
      for (const comparison of comparisons) {
        for (const side of [0, 1] as const) {
          await comparison.setup?.(side);
          const call = comparison.run(side);
          const until = Date.now() + durationMs;
          const latencies: number[] = [];
          const startedMs = Date.now();
          await Promise.all(
            Array.from({ length: comparison.callers }, async (_, client) => {
              while (Date.now() < until) {
                const t0 = performance.now();
                await call(client);
                latencies.push(performance.now() - t0);
              }
            }),
          );
          const txPerS = latencies.length / ((Date.now() - startedMs) / 1000);
          results.push({ name: comparison.name, side, txPerS, p50Ms: median(latencies) });
          log(
            `round ${round} ${comparison.name}, ${comparison.sides[side]} (${comparison.callers} callers): ${txPerS.toFixed(0)} tx/s, p50 ${median(latencies).toFixed(2)} ms`,
          );
        }
      }
    }
    await triggers(true);
    const breaches = await findInvariantBreaches(database.prisma);
    console.log(
      '\n| comparison | callers | side A | tx/s, p50 ms | side B | tx/s, p50 ms | B/A tx/s | B/A p50 |\n|---|---|---|---|---|---|---|---|',
    );
    for (const c of comparisons) {
      const of = (side: number, key: 'txPerS' | 'p50Ms') =>
        median(results.filter((r) => r.name === c.name && r.side === side).map((r) => r[key]));
      console.log(
        `| ${c.name} | ${c.callers} | ${c.sides[0]} | ${of(0, 'txPerS').toFixed(0)}, ${of(0, 'p50Ms').toFixed(2)} | ${c.sides[1]} | ${of(1, 'txPerS').toFixed(0)}, ${of(1, 'p50Ms').toFixed(2)} | ` +
          `${(of(1, 'txPerS') / of(0, 'txPerS')).toFixed(2)}x | ${(of(1, 'p50Ms') / of(0, 'p50Ms')).toFixed(2)}x |`,
      );
    }
    console.log(
      `\n(medians of ${rounds} interleaved rounds; invariants: ${breaches.length === 0 ? 'hold' : breaches.join('; ')})`,
    );
    return breaches.length === 0 ? 0 : 2;
  } finally {
    await database.close();
    await db.drop();
  }
}

runScript(main);
