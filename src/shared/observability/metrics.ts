import type pg from 'pg';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Called after a money transaction commits: the asset, the transaction kind and the amount in minor units. */
export type MoneyMovedHook = (assetCode: string, kind: string, amount: bigint) => void;

/**
 * The metrics of one gateway. Each gateway owns its Registry (not prom-client's global one), so
 * that several gateways in one process, as in the tests, keep separate counts and never collide
 * on metric names.
 */
export interface GatewayMetrics {
  readonly registry: Registry;
  /** One finished GraphQL operation over HTTP: its operation label, outcome code and duration. */
  recordOperation(operation: string, outcome: string, durationSeconds: number): void;
  /**
   * Money that moved in a committed transaction. Amounts are bigint minor units; Prometheus
   * samples are doubles, so the counter is exact up to 2^53 and approximate beyond (it is a
   * graphing aid; the ledger is the record).
   */
  recordMoneyMoved: MoneyMovedHook;
  /** The size of every money transaction's batch (group commit). */
  recordBatch(operations: number): void;
  /** Reports the open graphql-ws websockets at every scrape (the subscription server counts them). */
  observeWebsockets(count: () => number): void;
  /** Reports the active balanceChanged subscriptions (streams) at every scrape. */
  observeSubscriptions(count: () => number): void;
  /** Time from a transaction's commit to its delivery to a subscriber, in seconds. */
  observeNotificationLag(seconds: number): void;
  /** Reports a pool's connection counts at every scrape, labelled pool="<name>". */
  observePool(
    pool: Pick<pg.Pool, 'totalCount' | 'idleCount' | 'waitingCount'>,
    name?: string,
  ): void;
}

/** Latency buckets for GraphQL operations, in seconds: 1 ms to 10 s. */
const operationBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Notification lag buckets, in seconds: 1 ms to 30 s (a reconnecting client's replay can be slow). */
const lagBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function createMetrics(options: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  // Process metrics (CPU, memory, handles, GC) and event-loop lag (nodejs_eventloop_lag_*).
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const { operations, durations } = operationMetrics(registry);
  const { moneyMoved, batchOperations, transactions } = moneyMetrics(registry);
  const { sources, notificationLag } = liveMetrics(registry);
  const pools = poolMetrics(registry);
  return {
    registry,
    recordOperation(operation, outcome, durationSeconds) {
      operations.inc({ operation, outcome });
      durations.observe({ operation, outcome }, durationSeconds);
    },
    recordBatch(operations) {
      batchOperations.observe(operations);
    },
    recordMoneyMoved(assetCode, kind, amount) {
      moneyMoved.inc({ asset: assetCode, kind }, Number(amount));
      transactions.inc({ asset: assetCode, kind });
    },
    observeWebsockets(count) {
      sources.websockets.push(count);
    },
    observeSubscriptions(count) {
      sources.subscriptions.push(count);
    },
    observeNotificationLag(seconds) {
      notificationLag.observe(Math.max(0, seconds));
    },
    observePool(pool, name = 'main') {
      pools.set(name, pool);
    },
  };
}

function operationMetrics(registry: Registry) {
  const operations = new Counter({
    name: 'wallet_graphql_operations_total',
    help: 'GraphQL operations over HTTP by operation (root fields) and outcome (OK or the first error code).',
    labelNames: ['operation', 'outcome'] as const,
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'wallet_graphql_operation_duration_seconds',
    help: 'Duration of GraphQL operations over HTTP, from request to response, by operation and outcome.',
    labelNames: ['operation', 'outcome'] as const,
    buckets: operationBuckets,
    registers: [registry],
  });
  return { operations, durations };
}

function moneyMetrics(registry: Registry) {
  const moneyMoved = new Counter({
    name: 'wallet_money_moved_total',
    help: "Amount moved by committed transactions, in the asset's minor units, by asset and kind (exact up to 2^53).",
    labelNames: ['asset', 'kind'] as const,
    registers: [registry],
  });
  const batchOperations = new Histogram({
    name: 'wallet_batch_operations',
    help: 'Money operations per database transaction (group commit); 1 for a lone request.',
    buckets: [1, 2, 4, 8, 16, 32, 64],
    registers: [registry],
  });
  const transactions = new Counter({
    name: 'wallet_transactions_total',
    help: 'Committed money transactions by asset and kind (replays are not counted).',
    labelNames: ['asset', 'kind'] as const,
    registers: [registry],
  });
  return { moneyMoved, batchOperations, transactions };
}

function liveMetrics(registry: Registry) {
  // Counted where the truth is (the websocket server, the subscription service) and read at
  // each scrape, so that no open/close event can be missed and leave a gauge drifting.
  const sources = { websockets: [] as (() => number)[], subscriptions: [] as (() => number)[] };
  const sum = (reads: (() => number)[]) => reads.reduce((total, read) => total + read(), 0);
  new Gauge({
    name: 'wallet_websocket_connections',
    help: 'Open graphql-ws websocket connections.',
    registers: [registry],
    collect() {
      this.set(sum(sources.websockets));
    },
  });
  new Gauge({
    name: 'wallet_subscriptions_active',
    help: 'Active balanceChanged subscriptions (streams) in this process.',
    registers: [registry],
    collect() {
      this.set(sum(sources.subscriptions));
    },
  });
  const notificationLag = new Histogram({
    name: 'wallet_notification_lag_seconds',
    help: "Time from a transaction's commit to the delivery of its balanceChanged event to a subscriber.",
    buckets: lagBuckets,
    registers: [registry],
  });
  return { sources, notificationLag };
}

type ObservedPool = Pick<pg.Pool, 'totalCount' | 'idleCount' | 'waitingCount'>;

function poolMetrics(registry: Registry): Map<string, ObservedPool> {
  const pools = new Map<string, ObservedPool>();
  const poolGauge = (name: string, help: string, read: (pool: ObservedPool) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['pool'] as const,
      registers: [registry],
      collect() {
        for (const [pool, observed] of pools) this.set({ pool }, read(observed));
      },
    });
  poolGauge(
    'wallet_db_pool_connections',
    'Open database connections in the pool.',
    (pool) => pool.totalCount,
  );
  poolGauge(
    'wallet_db_pool_idle',
    'Open database connections not in use.',
    (pool) => pool.idleCount,
  );
  poolGauge(
    'wallet_db_pool_in_use',
    'Database connections checked out by a request or transaction.',
    (pool) => pool.totalCount - pool.idleCount,
  );
  poolGauge(
    'wallet_db_pool_waiting',
    'Requests waiting for a database connection (the pool is exhausted when this stays above 0).',
    (pool) => pool.waitingCount,
  );
  return pools;
}
