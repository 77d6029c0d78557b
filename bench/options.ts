/**
 * The bench's knobs, from the environment and the command line. Every one has a default that
 * gives the full run the issue asks for; `--quick` shrinks durations and rounds for a smoke run.
 */
export interface BenchOptions {
  quick: boolean;
  durationS: number;
  warmupS: number;
  rounds: number;
  /** Concurrent clients of every workload, e.g. [1, 16, 64]. */
  clients: number[];
  /** Users in the funded pool (distinct-wallet workloads give every client its own slice). */
  users: number;
  /** Entries on the ledger-read wallet. */
  ledgerEntries: number;
  /** DB_POOL_MAX for the gateway; undefined keeps the gateway's own default. */
  poolMax: number | undefined;
  /** A PostgreSQL server to create the bench database on; undefined starts an embedded one. */
  databaseUrl: string | undefined;
  /** Only workloads whose name contains one of these substrings run (comma list); empty = all. */
  only: string[];
  /** NODE_ENV of the gateway child. */
  nodeEnv: 'production' | 'development';
  /** Skip the wire census (statements and round trips per request). */
  skipCensus: boolean;
  /** Where to write the results; defaults to bench/results. */
  resultsDir: string | undefined;
}

function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer between ${min} and ${max} (got "${raw}")`);
  }
  return value;
}

export function readOptions(
  argv: string[] = process.argv.slice(2),
  env: NodeJS.ProcessEnv = process.env,
): BenchOptions {
  const unknown = argv.filter((arg) => !['--quick', '--no-census', '--help', '-h'].includes(arg));
  if (argv.includes('--help') || argv.includes('-h') || unknown.length > 0) {
    if (unknown.length > 0) console.error(`Unknown argument(s): ${unknown.join(' ')}`);
    console.error(
      'Usage: npm run bench [-- --quick] [-- --no-census]   (knobs: see the Performance section of the README)',
    );
    process.exit(unknown.length > 0 ? 64 : 0);
  }
  const quick = argv.includes('--quick');
  const clientsRaw = env.BENCH_CLIENTS?.trim() || '1,16,64';
  const clients = clientsRaw.split(',').map((part) => Number(part.trim()));
  if (clients.some((c) => !Number.isInteger(c) || c < 1 || c > 500)) {
    throw new Error(`BENCH_CLIENTS must be a comma list of integers 1..500 (got "${clientsRaw}")`);
  }
  const nodeEnv = env.BENCH_NODE_ENV?.trim() || 'production';
  if (nodeEnv !== 'production' && nodeEnv !== 'development')
    throw new Error('BENCH_NODE_ENV must be production or development');
  const users = intFromEnv('BENCH_USERS', 2000, 1, 500_000);
  const maxClients = Math.max(...clients);
  if (users < maxClients)
    throw new Error(
      `BENCH_USERS (${users}) must be at least the largest client count (${maxClients})`,
    );
  return {
    quick,
    durationS: intFromEnv('BENCH_DURATION_S', quick ? 2 : 10, 1, 3600),
    warmupS: intFromEnv('BENCH_WARMUP_S', quick ? 1 : 3, 0, 600),
    rounds: intFromEnv('BENCH_ROUNDS', quick ? 1 : 3, 1, 50),
    clients,
    users,
    ledgerEntries: intFromEnv('BENCH_LEDGER_ENTRIES', 100_000, 100, 10_000_000),
    poolMax: env.BENCH_POOL_MAX?.trim() ? intFromEnv('BENCH_POOL_MAX', 16, 1, 500) : undefined,
    databaseUrl: env.BENCH_DATABASE_URL?.trim() || undefined,
    only: (env.BENCH_ONLY ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0),
    nodeEnv,
    skipCensus: argv.includes('--no-census') || env.BENCH_CENSUS === '0',
    resultsDir: env.BENCH_RESULTS_DIR?.trim() || undefined,
  };
}
