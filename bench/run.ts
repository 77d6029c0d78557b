import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { projectRoot } from '../src/shared/db/database';
import { createDatabase } from '../src/shared/db/prisma';
import { mintToken } from '../src/shared/auth/tokens';
import { findInvariantBreaches } from '../src/app/invariants';
import {
  compareWithScript,
  startWireCensus,
  statementLabel,
  takeCensus,
  type CensusOperation,
} from './census';
import { provisionDatabase, withClient, type BenchDatabase } from './database';
import {
  engineWorkloads,
  startEngineHarness,
  type EngineHarness,
  type EngineWorkloadDefinition,
} from './engine-load';
import { meanBatchOps, startGatewayChild, type GatewayChild } from './gateway';
import { httpWorkloads, runHttpWorkload, type HttpWorkloadDefinition } from './http-load';
import { readOptions, type BenchOptions } from './options';
import { findPgbench, pgbenchInstallHint, runPgbench, type PgbenchBinary } from './pgbench';
import {
  aggregate,
  banner,
  evaluateTargets,
  renderConsoleTable,
  renderConsoleTargets,
  renderMarkdown,
  tableNotes,
  targetClients,
  type BenchReport,
  type CensusReport,
  type RunRecord,
} from './report';
import {
  balanceQuery,
  ceilingHotUser,
  ceilingPoolBase,
  ceilingUserId,
  checkDeepCursor,
  graphql,
  ledgerQuery,
  poolUserId,
  readBenchSql,
  setupData,
  transferMutation,
  type BenchData,
} from './setup';

/**
 * `npm run bench`: the gateway side by side with PostgreSQL's own ceiling on one fresh database.
 * See the README's Performance section for what each row means and the knobs.
 */

interface CeilingDefinition {
  name: string;
  description: string;
  script: 'same-sql-transfer.sql' | 'naive-transfer.sql' | 'batched-transfer.sql';
  operation: 'topup' | 'spend';
  hot: boolean;
  /** batched-transfer.sql: transfers per pgbench transaction. */
  batch?: number;
  /** The per-transfer ceiling a batched reference is shown against (its ratio columns). */
  ceiling?: string;
}

const ceilings: CeilingDefinition[] = [
  {
    name: 'pgbench same-SQL topup distinct',
    description: "the gateway's topup statements, every client on its own wallet",
    script: 'same-sql-transfer.sql',
    operation: 'topup',
    hot: false,
  },
  {
    name: 'pgbench same-SQL spend distinct',
    description: "the gateway's spend statements, every client on its own wallet",
    script: 'same-sql-transfer.sql',
    operation: 'spend',
    hot: false,
  },
  {
    name: 'pgbench naive spend distinct',
    description: 'the textbook spend, every client on its own wallet',
    script: 'naive-transfer.sql',
    operation: 'spend',
    hot: false,
  },
  {
    name: 'pgbench same-SQL spend hot',
    description: "the gateway's spend statements, all clients on one wallet",
    script: 'same-sql-transfer.sql',
    operation: 'spend',
    hot: true,
  },
  {
    name: 'pgbench naive spend hot',
    description: 'the textbook spend, all clients on one wallet',
    script: 'naive-transfer.sql',
    operation: 'spend',
    hot: true,
  },
  // The references of group commit: the engine's batched shape (one lock statement, one posting
  // statement per batch), driven by pgbench. Run at the targets' client count only.
  ...[8, 32].flatMap((batch): CeilingDefinition[] => [
    {
      name: `pgbench batched topup distinct x${batch}`,
      description: `${batch} topups per transaction, each client on ${batch} wallets of its own slice`,
      script: 'batched-transfer.sql',
      operation: 'topup',
      hot: false,
      batch,
      ceiling: 'pgbench same-SQL topup distinct',
    },
    {
      name: `pgbench batched spend hot x${batch}`,
      description: `${batch} spends per transaction, all on the one hot wallet`,
      script: 'batched-transfer.sql',
      operation: 'spend',
      hot: true,
      batch,
      ceiling: 'pgbench naive spend hot',
    },
  ]),
];

/** The order of one round: each gateway workload right after the ceiling it is compared with. */
const order = [
  'pgbench same-SQL topup distinct',
  'pgbench batched topup distinct x8',
  'pgbench batched topup distinct x32',
  'engine topup distinct',
  'gw topup distinct',
  'gw topup distinct outbox off',
  'pgbench same-SQL spend distinct',
  'gw spend distinct',
  'pgbench naive spend distinct',
  'pgbench same-SQL spend hot',
  'pgbench naive spend hot',
  'pgbench batched spend hot x8',
  'pgbench batched spend hot x32',
  'engine spend hot',
  'gw spend hot',
  'gw mixed',
  'gw ledger first page',
  'gw ledger deep page',
  'gw balance',
];

/** A request hash for the ceilings' idempotency rows (any 64 hex digits; nothing replays them). */
const ceilingRequestHash = 'c'.repeat(64);

function log(message: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

function ceilingVariables(
  def: CeilingDefinition,
  data: BenchData,
  clients: number,
): Record<string, string | number> {
  const topup = def.operation === 'topup';
  return {
    kind: topup ? 'TOPUP' : 'SPEND',
    udir: topup ? 'CREDIT' : 'DEBIT',
    sdir: topup ? 'DEBIT' : 'CREDIT',
    skind: topup ? 'TREASURY' : 'REVENUE',
    sys: topup ? data.systemAccounts.TREASURY : data.systemAccounts.REVENUE,
    op: def.operation,
    amount: topup ? 100 : 1,
    delta: topup ? 100 : -1,
    cid: {
      'naive-transfer.sql': 'pgbench-naive',
      'same-sql-transfer.sql': 'pgbench-same',
      'batched-transfer.sql': 'pgbench-batched',
    }[def.script],
    asset: data.asset,
    hash: ceilingRequestHash,
    // Distinct: client c draws from its own slice of the pool; hot: everyone on the hot user.
    // (A batched script draws `batch` consecutive users of its slice: random(0, stride - batch).)
    ubase: def.hot ? Number(ceilingHotUser) : ceilingPoolBase + 1,
    stride: def.hot ? (def.batch ?? 1) : Math.floor(data.users / clients),
    spread: def.hot ? 0 : 1,
    ...(def.batch === undefined ? {} : { batch: def.batch }),
    // The same NOTIFY as the gateway's posting sends, on a channel nobody listens to: PostgreSQL
    // does the same work, and the running gateway is not woken by the ceiling's transactions.
    channel: 'bench_ceiling_events',
  };
}

function gitDescription(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: projectRoot(),
      encoding: 'utf8',
    }).trim();
    const dirty =
      execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
        cwd: projectRoot(),
        encoding: 'utf8',
      }).trim().length > 0;
    return `${head}${dirty ? ' (with uncommitted changes)' : ''}`;
  } catch {
    return 'unknown';
  }
}

/** The event outbox's trigger on transactions (see prisma/migrations/*_events), off or on. */
async function setOutboxTrigger(url: string, on: boolean): Promise<void> {
  await withClient(url, (client) =>
    client.query(
      `ALTER TABLE transactions ${on ? 'ENABLE' : 'DISABLE'} TRIGGER transactions_events`,
    ),
  );
}

/** Ceiling wallets exempt from the lots-sum rule: the whole ceiling pool a bench may fund. */
let ceilingUsersMax = 0;

async function checkInvariants(url: string): Promise<string[]> {
  const database = createDatabase({
    connectionString: url,
    poolMax: 2,
    connectTimeoutMs: 10_000,
    statementTimeoutMs: 600_000,
  });
  try {
    // The ceilings' wallets post without lots (see ceilingPoolBase): exempt from the lots-sum rule.
    return await findInvariantBreaches(database.prisma, {
      lotsExemptUsers: [
        ceilingHotUser,
        ...Array.from({ length: ceilingUsersMax }, (_, i) => ceilingUserId(i)),
      ],
    });
  } finally {
    await database.close();
  }
}

async function runCensus(options: {
  db: BenchDatabase;
  jwtSecret: string;
  nodeEnv: BenchOptions['nodeEnv'];
  poolMax: number | undefined;
  token: string;
  data: BenchData;
}): Promise<CensusReport> {
  const target = new URL(options.db.url);
  const census = await startWireCensus({
    host: target.hostname,
    port: Number(target.port || 5432),
  });
  const proxied = new URL(options.db.url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(census.port);
  let gateway: GatewayChild | undefined;
  try {
    // The hold sweep's periodic statement would otherwise land in the counts.
    gateway = await startGatewayChild({
      databaseUrl: proxied.toString(),
      jwtSecret: options.jwtSecret,
      nodeEnv: options.nodeEnv,
      poolMax: options.poolMax,
      extraEnv: { HOLD_SWEEP_INTERVAL_MS: '0' },
      log,
    });
    const url = gateway.url;
    const { data, token } = options;
    const transfer = (operation: 'topup' | 'spend', i: number, keyPrefix: string) =>
      graphql(url, token, transferMutation(operation), {
        input: {
          userId: poolUserId(Math.max(0, i) % data.users),
          asset: data.asset,
          amount: operation === 'topup' ? '100' : '1',
          idempotencyKey: `${keyPrefix}-${i}`,
        },
      }).then(() => undefined);
    const operations: CensusOperation[] = [
      { operation: 'topup', requests: 20, send: (i) => transfer('topup', i, 'census-topup') },
      { operation: 'spend', requests: 20, send: (i) => transfer('spend', i, 'census-spend') },
      {
        operation: 'topup replay (same key, same input)',
        requests: 10,
        send: (i) => transfer('topup', Math.max(0, i), 'census-topup'),
      },
      {
        operation: 'balance',
        requests: 20,
        send: (i) =>
          graphql(url, token, balanceQuery, {
            userId: poolUserId(Math.max(0, i) % data.users),
            asset: data.asset,
          }).then(() => undefined),
      },
      {
        operation: 'ledger first page',
        requests: 10,
        send: () =>
          graphql(url, token, ledgerQuery, {
            userId: data.ledgerUser,
            asset: data.asset,
            first: 50,
          }).then(() => undefined),
      },
    ];
    const outcomes = await takeCensus(census, operations);
    const script = readBenchSql('same-sql-transfer.sql');
    const drift: CensusReport['drift'] = [];
    for (const operation of ['topup', 'spend']) {
      const outcome = outcomes.find((o) => o.operation === operation)!;
      const detail = compareWithScript(outcome.lastRequest, script);
      drift.push({
        script: 'bench/sql/same-sql-transfer.sql',
        operation,
        matches: detail === undefined,
        detail: detail ?? '',
      });
    }
    return {
      operations: outcomes.map((o) => ({
        operation: o.operation,
        requests: o.requests,
        statementsPerRequest: o.statementsPerRequest,
        roundTripsPerRequest: o.roundTripsPerRequest,
        sequence: o.lastRequest.map((s) => statementLabel(s.sql)),
      })),
      drift,
    };
  } finally {
    await gateway?.stop();
    await census.stop();
  }
}

/**
 * The client counts a workload runs at: every BENCH_CLIENTS count, except the batched pgbench
 * references and the engine rows, which run at the targets' count only (16 by default); a
 * batched reference on distinct wallets also needs a slice of at least `batch` users per client.
 */
function clientCountsOf(name: string, options: BenchOptions, skipped: string[]): number[] {
  const at = targetClients(options.clients);
  if (engineWorkloads.some((w) => w.name === name)) return [at];
  const ceiling = ceilings.find((c) => c.name === name);
  if (ceiling?.batch === undefined) return options.clients;
  if (!ceiling.hot && Math.floor(options.users / at) < ceiling.batch) {
    skipped.push(
      `${name} at ${at} clients: ${options.users} users give each client ${Math.floor(options.users / at)} wallets, fewer than ${ceiling.batch}`,
    );
    return [];
  }
  return [at];
}

function selected(options: BenchOptions, name: string): boolean {
  return (
    options.only.length === 0 ||
    options.only.some((part) => name.toLowerCase().includes(part.toLowerCase()))
  );
}

async function main(): Promise<number> {
  const options = readOptions();
  const startedAt = new Date();
  const skippedRuns: string[] = [];
  const plan = order
    .filter((name) => selected(options, name))
    .map((name) => ({ name, clients: clientCountsOf(name, options, skippedRuns) }))
    .filter((entry) => entry.clients.length > 0);
  const runsPerRound = plan.reduce((sum, entry) => sum + entry.clients.length, 0);
  const runsPlanned = options.rounds * runsPerRound;
  const estimateS = runsPlanned * (options.warmupS + options.durationS + 1) + 60;
  log(
    `${plan.length} workloads, ${runsPerRound} runs per round (client counts ${options.clients.join(',')}; batched pgbench and engine rows at ${targetClients(options.clients)} only) x ${options.rounds} round(s) = ${runsPlanned} runs of ${options.warmupS} s warm-up + ${options.durationS} s; about ${Math.ceil(estimateS / 60)} min including setup`,
  );
  for (const skipped of skippedRuns) log(`skipped: ${skipped}`);

  const pgbench: PgbenchBinary | undefined = await findPgbench();
  const alarms: string[] = [];
  const alarm = (title: string, lines: string[]) => {
    alarms.push(`${title}${lines.length > 0 ? `: ${lines.join(' | ')}` : ''}`);
    console.log(`\n${banner(title, lines)}\n`);
  };
  if (pgbench) log(`pgbench: ${pgbench.path} (${pgbench.version})`);
  else if (process.env.BENCH_PGBENCH === 'none')
    alarm('BENCH_PGBENCH=none: ceilings skipped, ratios read n/a', []);
  else alarm('pgbench NOT FOUND: ceilings skipped', pgbenchInstallHint.split('\n'));
  // Figures taken on a busy machine are not comparable with anything; say so where it is seen.
  const loadAtStart = os.loadavg()[0]!;
  if (loadAtStart > os.cpus().length * 0.5) {
    alarm(
      `the machine is busy (1-minute load average ${loadAtStart.toFixed(2)} on ${os.cpus().length} cores): figures from this run are noisy`,
      [],
    );
  }

  let db: BenchDatabase | undefined;
  let gateway: GatewayChild | undefined;
  let engine: EngineHarness | undefined;
  const cleanup = async () => {
    await engine?.close().catch(() => undefined);
    engine = undefined;
    await gateway?.stop().catch(() => undefined);
    await db
      ?.drop()
      .catch((error: unknown) =>
        log(`could not remove the bench database: ${(error as Error).message}`),
      );
  };
  const onSignal = (signal: NodeJS.Signals) => {
    log(`${signal}: stopping the gateway and removing the bench database`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    db = await provisionDatabase(options.databaseUrl, log);
    log(`database: ${db.description}, PostgreSQL ${db.serverVersion}`);
    const jwtSecret = randomBytes(32).toString('hex');
    gateway = await startGatewayChild({
      databaseUrl: db.url,
      jwtSecret,
      nodeEnv: options.nodeEnv,
      poolMax: options.poolMax,
      log,
    });
    if (gateway.nodeEnv !== options.nodeEnv)
      alarm(`the gateway runs with NODE_ENV=${gateway.nodeEnv}, not ${options.nodeEnv}`, []);
    const adminToken = await mintToken({
      secret: jwtSecret,
      sub: 'bench-admin',
      role: 'admin',
      expiresInSeconds: 24 * 3600,
    });
    const serverToken = await mintToken({
      secret: jwtSecret,
      sub: 'bench-game-server',
      role: 'server',
      expiresInSeconds: 24 * 3600,
    });

    ceilingUsersMax = options.users;
    const data = await setupData({
      databaseUrl: db.url,
      gatewayUrl: gateway.url,
      adminToken,
      users: options.users,
      ledgerEntries: options.ledgerEntries,
      log,
    });
    await checkDeepCursor(gateway.url, serverToken, data);
    const setupBreaches = await checkInvariants(db.url);
    if (setupBreaches.length > 0) {
      alarm(
        'INVARIANT BREACH AFTER SETUP (a bug in bench/sql/setup-*.sql, not in the gateway)',
        setupBreaches,
      );
      return 2;
    }
    log('ledger invariants hold after setup');

    let census: CensusReport | null = null;
    if (!options.skipCensus) {
      census = await runCensus({
        db,
        jwtSecret,
        nodeEnv: options.nodeEnv,
        poolMax: options.poolMax,
        token: serverToken,
        data,
      });
      for (const op of census.operations)
        log(
          `census ${op.operation}: ${op.statementsPerRequest.toFixed(2)} statements, ${op.roundTripsPerRequest.toFixed(2)} round trips per request: ${op.sequence.join(' -> ')}`,
        );
      for (const drift of census.drift) {
        if (!drift.matches)
          alarm(
            `DRIFT: ${drift.script} no longer matches what the gateway sends for a ${drift.operation}; the same-SQL ceiling is not the same SQL. Update the script.`,
            drift.detail.split('\n'),
          );
      }
    }

    if (plan.some((entry) => engineWorkloads.some((w) => w.name === entry.name)))
      engine = await startEngineHarness({
        databaseUrl: db.url,
        asset: data.asset,
        poolMax: options.poolMax,
        log,
      });

    const runs: RunRecord[] = [];
    const ceilingOf: Record<string, string> = {};
    for (const workload of [...httpWorkloads, ...engineWorkloads, ...ceilings])
      if (workload.ceiling) ceilingOf[workload.name] = workload.ceiling;

    const runOne = async (
      name: string,
      clients: number,
      round: number,
    ): Promise<RunRecord | undefined> => {
      const engineWorkload = engineWorkloads.find((w) => w.name === name);
      if (engineWorkload) return runEngine(engineWorkload, clients, round);
      const ceiling = ceilings.find((c) => c.name === name);
      if (ceiling) {
        if (!pgbench) return undefined;
        const scriptPath = path.join(projectRoot(), 'bench', 'sql', ceiling.script);
        const variables = ceilingVariables(ceiling, data, clients);
        const common = { binary: pgbench, databaseUrl: db!.url, scriptPath, variables, clients };
        const warm =
          options.warmupS > 0
            ? await runPgbench({ ...common, durationS: options.warmupS, recordLatencies: false })
            : undefined;
        const result = await runPgbench({
          ...common,
          durationS: options.durationS,
          recordLatencies: true,
        });
        const errors = result.failed + result.errors.length;
        // pgbench's tps counts its transactions: a batched script's carry `batch` transfers each
        // (its latencies stay per transaction, that is per batch).
        const batch = ceiling.batch ?? 1;
        const record: RunRecord = {
          workload: name,
          kind: 'ceiling',
          clients,
          round,
          txPerS: result.txPerS * batch,
          p50Ms: result.p50Ms,
          p99Ms: result.p99Ms,
          meanBatchOps: batch,
          batch: ceiling.batch,
          errors,
          errorCodes: errors > 0 ? { PGBENCH: errors } : {},
          warmupErrors: warm ? warm.failed + warm.errors.length : 0,
          durationS: result.durationS,
          errorSamples: result.errors.slice(0, 5),
        };
        if (errors > 0 || record.warmupErrors > 0)
          alarm(`ERRORS in ${name}, ${clients} clients, round ${round}`, [
            ...result.errors.slice(0, 5),
            ...(warm?.errors.slice(0, 3) ?? []),
          ]);
        return record;
      }
      const workload = httpWorkloads.find((w) => w.name === name) as HttpWorkloadDefinition;
      if (workload.outbox === 'off') await setOutboxTrigger(db!.url, false);
      try {
        return await runGateway(workload, clients, round);
      } finally {
        if (workload.outbox === 'off') await setOutboxTrigger(db!.url, true);
      }
    };

    const runGateway = async (
      workload: HttpWorkloadDefinition,
      clients: number,
      round: number,
    ): Promise<RunRecord> => {
      const name = workload.name;
      const common = { url: gateway!.url, token: serverToken, workload, data, clients };
      gateway!.drainLogLines();
      gateway!.startRssWindow();
      const warm =
        options.warmupS > 0
          ? await runHttpWorkload({ ...common, durationS: options.warmupS })
          : undefined;
      const batchesBefore = await gateway!.batchTotals();
      const result = await runHttpWorkload({ ...common, durationS: options.durationS });
      const batchesAfter = await gateway!.batchTotals();
      const rss = gateway!.stopRssWindow();
      // The gateway's log lines for the last requests arrive a moment after their answers.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const logLines = gateway!.drainLogLines();
      const errors =
        result.non2xx + result.graphqlErrors + result.socketErrors + result.replayMismatches;
      const warmupErrors = warm
        ? warm.non2xx + warm.graphqlErrors + warm.socketErrors + warm.replayMismatches
        : 0;
      const record: RunRecord = {
        workload: name,
        kind: 'gateway',
        clients,
        round,
        txPerS: result.txPerS,
        p50Ms: result.p50Ms,
        p99Ms: result.p99Ms,
        meanBatchOps: meanBatchOps(batchesBefore, batchesAfter),
        errors,
        errorCodes: result.errorCodes,
        warmupErrors,
        rssMaxMb: rss === undefined ? undefined : rss / (1024 * 1024),
        serverLogLines: logLines.length,
        replaysSent: result.replaysSent,
        replayMismatches: result.replayMismatches,
        durationS: result.durationS,
        errorSamples: result.errorSamples,
      };
      if (errors > 0 || warmupErrors > 0) {
        alarm(
          `ERRORS in ${name}, ${clients} clients, round ${round}: ${errors} in the run, ${warmupErrors} in the warm-up`,
          [
            `by code: ${JSON.stringify(result.errorCodes)}${warm && warmupErrors > 0 ? `; warm-up: ${JSON.stringify(warm.errorCodes)}` : ''}`,
            ...result.errorSamples.slice(0, 3),
            ...(warm?.errorSamples.slice(0, 2) ?? []),
          ],
        );
      }
      if (logLines.length > 0)
        alarm(
          `the gateway logged ${logLines.length} line(s) at warn or worse during ${name}, ${clients} clients, round ${round}`,
          logLines.slice(0, 5).map((l) => l.slice(0, 300)),
        );
      return record;
    };

    const runEngine = async (
      workload: EngineWorkloadDefinition,
      clients: number,
      round: number,
    ): Promise<RunRecord> => {
      const warm =
        options.warmupS > 0 ? await engine!.run(workload, clients, options.warmupS) : undefined;
      const result = await engine!.run(workload, clients, options.durationS);
      const record: RunRecord = {
        workload: workload.name,
        kind: 'engine',
        clients,
        round,
        txPerS: result.txPerS,
        p50Ms: result.p50Ms,
        p99Ms: result.p99Ms,
        meanBatchOps: Number.isFinite(result.meanBatchOps) ? result.meanBatchOps : undefined,
        errors: result.errors,
        errorCodes: result.errorCodes,
        warmupErrors: warm?.errors ?? 0,
        durationS: result.durationS,
        errorSamples: result.errorSamples,
      };
      if (record.errors > 0 || record.warmupErrors > 0)
        alarm(
          `ERRORS in ${workload.name}, ${clients} callers, round ${round}: ${record.errors} in the run, ${record.warmupErrors} in the warm-up`,
          [
            `by code: ${JSON.stringify(result.errorCodes)}${warm && warm.errors > 0 ? `; warm-up: ${JSON.stringify(warm.errorCodes)}` : ''}`,
            ...result.errorSamples.slice(0, 3),
            ...(warm?.errorSamples.slice(0, 2) ?? []),
          ],
        );
      return record;
    };

    let done = 0;
    for (let round = 1; round <= options.rounds; round++) {
      for (const { name, clients: clientCounts } of plan) {
        for (const clients of clientCounts) {
          const record = await runOne(name, clients, round);
          done += 1;
          if (!record) continue;
          runs.push(record);
          log(
            `[${done}/${runsPlanned}] round ${round} ${name.padEnd(34)} c=${String(clients).padStart(2)}  ${record.txPerS.toFixed(0).padStart(6)} tx/s  p50 ${record.p50Ms.toFixed(2)} ms  p99 ${record.p99Ms.toFixed(2)} ms${record.meanBatchOps !== undefined ? `  ops/batch ${record.meanBatchOps.toFixed(1)}` : ''}  errors ${record.errors}${record.rssMaxMb !== undefined ? `  rss ${record.rssMaxMb.toFixed(0)} MB` : ''}${record.replaysSent ? `  replays ${record.replaysSent}` : ''}`,
          );
        }
      }
    }

    await engine?.close();
    engine = undefined;
    const overallRssBytes = gateway.maxRssBytes();
    const gatewayNodeEnv = gateway.nodeEnv;
    await gateway.stop();
    gateway = undefined;

    log('checking the ledger invariants after the runs');
    const invariantBreaches = await checkInvariants(db.url);
    // The same-SQL script relies on pgbench sending undefined variables as NULL; if a pgbench
    // version sent them otherwise, its rows would carry a reference or metadata.
    const ceilingRows = await withClient(db.url, (client) =>
      client.query<{ n: string }>(
        `SELECT count(*)::text AS n FROM transactions WHERE client_id LIKE 'pgbench-%' AND (reference IS NOT NULL OR metadata IS NOT NULL)`,
      ),
    );
    if (ceilingRows.rows[0]!.n !== '0')
      alarm(
        `the pgbench ceilings wrote ${ceilingRows.rows[0]!.n} transaction(s) with a non-NULL reference or metadata: the same-SQL script does not send what the gateway sends`,
        [],
      );
    if (invariantBreaches.length > 0)
      alarm(
        `INVARIANT BREACH: ${invariantBreaches.length} invariant(s) broken after the runs`,
        invariantBreaches,
      );
    else log('ledger invariants hold after the runs');

    const rows = aggregate(runs, ceilingOf);
    const overallRssMb =
      overallRssBytes === undefined ? undefined : overallRssBytes / (1024 * 1024);
    const targets = evaluateTargets(rows, options.clients, overallRssMb);
    const finishedAt = new Date();
    const cpus = os.cpus();
    const report: BenchReport = {
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      wallTimeS: (finishedAt.getTime() - startedAt.getTime()) / 1000,
      machine: {
        cpu: `${cpus.length} x ${cpus[0]?.model ?? 'unknown'}`,
        memoryGb: Math.round(os.totalmem() / 1e9),
        os: `${os.type()} ${os.release()}`,
        loadAverageAtStart: loadAtStart.toFixed(2),
        loadAverageAtEnd: os
          .loadavg()
          .map((l) => l.toFixed(2))
          .join(' '),
        node: process.version,
        postgres: db.serverVersion,
        database: db.description,
        pgbench: pgbench ? `${pgbench.path} (${pgbench.version})` : 'not found',
        git: gitDescription(),
      },
      settings: {
        quick: options.quick,
        durationS: options.durationS,
        warmupS: options.warmupS,
        rounds: options.rounds,
        clients: options.clients.join(','),
        users: options.users,
        ledgerEntries: options.ledgerEntries,
        gatewayNodeEnv,
        dbPoolMax: options.poolMax ?? 'gateway default',
        only: options.only.join(',') || null,
        batchedAndEngineClients: targetClients(options.clients),
        skippedRuns: skippedRuns.join('; ') || null,
        overallMaxRssMb: overallRssMb === undefined ? null : Math.round(overallRssMb),
      },
      rows,
      runs,
      targets,
      census,
      invariantBreaches,
      alarms,
      ceilingOf,
    };

    console.log('');
    console.log(renderConsoleTable(rows));
    for (const note of tableNotes) console.log(`  (${note.replace(/`/g, '')})`);
    console.log('');
    console.log(renderConsoleTargets(targets));
    console.log('');
    const resultsDir = options.resultsDir ?? path.join(projectRoot(), 'bench', 'results');
    await fs.mkdir(resultsDir, { recursive: true });
    const stamp = startedAt
      .toISOString()
      .replace(/:/g, '-')
      .replace(/\.\d+Z$/, 'Z');
    const mdPath = path.join(resultsDir, `${stamp}.md`);
    const jsonPath = path.join(resultsDir, `${stamp}.json`);
    await fs.writeFile(mdPath, renderMarkdown(report));
    await fs.writeFile(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
    log(
      `results written to ${path.relative(process.cwd(), mdPath)} and ${path.relative(process.cwd(), jsonPath)}; wall time ${Math.round(report.wallTimeS)} s`,
    );
    if (alarms.length > 0)
      console.log(
        `\n${banner(
          `${alarms.length} ALARM(S) in this run; see above and the report`,
          alarms.map((a) => a.slice(0, 200)),
        )}\n`,
      );
    return invariantBreaches.length > 0 ? 2 : 0;
  } finally {
    await cleanup();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(
      banner(
        'BENCH FAILED',
        String(error instanceof Error ? (error.stack ?? error.message) : error).split('\n'),
      ),
    );
    process.exit(1);
  },
);
