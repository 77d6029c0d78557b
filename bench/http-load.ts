import { LatencyRecorder, percentile } from './stats';
import { balanceQuery, ledgerQuery, transferMutation, type BenchData } from './setup';

/**
 * The gateway workloads, driven over HTTP by autocannon (in this process; the gateway runs in
 * its own). Every request is built when it is sent: a fresh idempotency key, a user chosen by the
 * workload, and its latency is taken from autocannon's own per-response timing.
 */

// autocannon ships no type declarations; this is the part of its API used here.
interface AutocannonRequest {
  method?: string;
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  setupRequest?: (req: AutocannonRequest, context: Record<string, unknown>) => AutocannonRequest;
  onResponse?: (status: number, body: string, context: Record<string, unknown>) => void;
}
interface AutocannonResult {
  duration: number;
  errors: number;
  timeouts: number;
  non2xx: number;
  statusCodeStats: Record<string, { count: number }>;
}
interface AutocannonInstance {
  on(
    event: 'response',
    listener: (
      client: unknown,
      statusCode: number,
      resBytes: number,
      responseTimeMs: number,
    ) => void,
  ): void;
  then: Promise<AutocannonResult>['then'];
}
// eslint-disable-next-line @typescript-eslint/no-require-imports
const autocannon = require('autocannon') as (
  options: Record<string, unknown>,
) => AutocannonInstance;

/** Replayable requests answered successfully in this run, for the mixed workload's repeats. */
export interface ReplayRing {
  bodies: string[];
  next: number;
}

/** What one request of a workload is: its body, and what its answer must look like. */
interface PlannedRequest {
  body: string;
  /** A replay of an earlier request: the answer must say replayed: true. */
  replay: boolean;
  /** For the mixed workload's ring of replayable requests. */
  replayable: boolean;
}

export interface HttpWorkloadDefinition {
  name: string;
  description: string;
  /** The ceiling this row is compared with (a pgbench workload name), if any. */
  ceiling?: string;
  /**
   * Off: the event outbox's trigger on transactions is disabled for this run (and enabled again
   * after it), so that the row next to `gw topup distinct` shows what the outbox costs. The
   * transactions of such a run have no event; the bench database is dropped at the end.
   */
  outbox?: 'off';
  /** A fresh request planner for one run; `ring` holds requests already answered successfully. */
  planner(data: BenchData, ring: ReplayRing): () => PlannedRequest;
}

export interface HttpRunResult {
  txPerS: number;
  successes: number;
  p50Ms: number;
  p99Ms: number;
  /** Non-2xx answers, GraphQL errors inside 200 answers, and socket errors/timeouts. */
  non2xx: number;
  graphqlErrors: number;
  socketErrors: number;
  errorCodes: Record<string, number>;
  /** Replays asked for and replays that did not come back with replayed: true. */
  replaysSent: number;
  replayMismatches: number;
  durationS: number;
  /** A few error bodies, verbatim, for the banner. */
  errorSamples: string[];
}

let keyCounter = 0;
const keyPrefix = `bench-${Date.now().toString(36)}-${process.pid}`;
function nextKey(): string {
  keyCounter += 1;
  return `${keyPrefix}-${keyCounter}`;
}

function transferBody(
  operation: 'topup' | 'spend' | 'bonus',
  userId: string,
  asset: string,
  amount: string,
): string {
  return JSON.stringify({
    query: transferMutation(operation),
    variables: { input: { userId, asset, amount, idempotencyKey: nextKey() } },
  });
}

const amounts = { topup: '100', spend: '1', bonus: '10' } as const;

/**
 * Distinct wallets: request n goes to pool user n mod the pool size, so the requests in flight at
 * any moment (at most one per client) are on different wallets and never wait for each other's lock.
 */
function distinctTransfers(operation: 'topup' | 'spend') {
  return (data: BenchData) => {
    let n = 0;
    return (): PlannedRequest => {
      const userId = data.poolUserIds[n++ % data.poolUserIds.length]!;
      return {
        body: transferBody(operation, userId, data.asset, amounts[operation]),
        replay: false,
        replayable: false,
      };
    };
  };
}

const replayRingSize = 1000;

export const httpWorkloads: HttpWorkloadDefinition[] = [
  {
    name: 'gw topup distinct',
    description: 'topup mutations over HTTP, every client on its own wallet',
    ceiling: 'pgbench same-SQL topup distinct',
    planner: distinctTransfers('topup'),
  },
  {
    name: 'gw topup distinct outbox off',
    description:
      "as gw topup distinct, with the event outbox's trigger on transactions disabled: what the outbox costs",
    ceiling: 'pgbench same-SQL topup distinct',
    planner: distinctTransfers('topup'),
    outbox: 'off',
  },
  {
    name: 'gw spend distinct',
    description: 'spend mutations over HTTP, every client on its own wallet',
    ceiling: 'pgbench same-SQL spend distinct',
    planner: distinctTransfers('spend'),
  },
  {
    name: 'gw spend hot',
    description: 'spend mutations over HTTP, all clients on one wallet',
    ceiling: 'pgbench naive spend hot',
    planner: (data) => () => ({
      body: transferBody('spend', data.hotUser, data.asset, amounts.spend),
      replay: false,
      replayable: false,
    }),
  },
  {
    name: 'gw mixed',
    description:
      'game server mix on random pool users: 70% spend, 20% topup, 10% bonus; 5% of requests repeat an earlier answered one (same key, same input: a replay)',
    planner: (data, ring) => () => {
      if (ring.bodies.length > 0 && Math.random() < 0.05) {
        return {
          body: ring.bodies[Math.floor(Math.random() * ring.bodies.length)]!,
          replay: true,
          replayable: false,
        };
      }
      const r = Math.random();
      const operation = r < 0.7 ? 'spend' : r < 0.9 ? 'topup' : 'bonus';
      const userId = data.poolUserIds[Math.floor(Math.random() * data.poolUserIds.length)]!;
      return {
        body: transferBody(operation, userId, data.asset, amounts[operation]),
        replay: false,
        replayable: true,
      };
    },
  },
  {
    name: 'gw ledger first page',
    description: `ledger(first: 50) on the wallet with the long history`,
    planner: (data) => {
      const body = JSON.stringify({
        query: ledgerQuery,
        variables: { userId: data.ledgerUser, asset: data.asset, first: 50 },
      });
      return () => ({ body, replay: false, replayable: false });
    },
  },
  {
    name: 'gw ledger deep page',
    description: 'ledger(first: 50, after: <cursor half-way down>) on the same wallet',
    planner: (data) => {
      const body = JSON.stringify({
        query: ledgerQuery,
        variables: {
          userId: data.ledgerUser,
          asset: data.asset,
          first: 50,
          after: data.deepCursor,
        },
      });
      return () => ({ body, replay: false, replayable: false });
    },
  },
  {
    name: 'gw balance',
    description: 'balance(userId, asset) across the pool',
    planner: (data) => {
      let n = 0;
      return () => ({
        body: JSON.stringify({
          query: balanceQuery,
          variables: { userId: data.poolUserIds[n++ % data.poolUserIds.length], asset: data.asset },
        }),
        replay: false,
        replayable: false,
      });
    },
  },
];

export async function runHttpWorkload(options: {
  url: string;
  token: string;
  workload: HttpWorkloadDefinition;
  data: BenchData;
  clients: number;
  durationS: number;
}): Promise<HttpRunResult> {
  const ring: ReplayRing = { bodies: [], next: 0 };
  const planner = options.workload.planner(options.data, ring);

  const latencies = new LatencyRecorder();
  const errorCodes: Record<string, number> = {};
  const errorSamples: string[] = [];
  let graphqlErrors = 0;
  let replaysSent = 0;
  let replayMismatches = 0;
  let non2xxSeen = 0;

  const noteError = (code: string, body: string) => {
    errorCodes[code] = (errorCodes[code] ?? 0) + 1;
    if (errorSamples.length < 5) errorSamples.push(body.slice(0, 400));
  };

  const instance = autocannon({
    url: options.url,
    connections: options.clients,
    pipelining: 1,
    duration: options.durationS,
    timeout: 30,
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${options.token}` },
    requests: [
      {
        setupRequest: (req: AutocannonRequest, context: Record<string, unknown>) => {
          const planned = planner();
          context.planned = planned;
          if (planned.replay) replaysSent += 1;
          return { ...req, method: 'POST', body: planned.body };
        },
        onResponse: (status: number, body: string, context: Record<string, unknown>) => {
          const planned = context.planned as PlannedRequest | undefined;
          if (status < 200 || status > 299) {
            non2xxSeen += 1;
            noteError(/"code":"([A-Z0-9_]+)"/.exec(body)?.[1] ?? `HTTP ${status}`, body);
            return;
          }
          if (body.includes('"errors"')) {
            graphqlErrors += 1;
            noteError(/"code":"([A-Z0-9_]+)"/.exec(body)?.[1] ?? 'GRAPHQL_ERROR', body);
            return;
          }
          if (!planned) return;
          if (planned.replay && !body.includes('"replayed":true')) {
            replayMismatches += 1;
            noteError('REPLAY_NOT_REPLAYED', body);
          }
          if (planned.replayable) {
            if (ring.bodies.length < replayRingSize) ring.bodies.push(planned.body);
            else ring.bodies[ring.next++ % replayRingSize] = planned.body;
          }
        },
      },
    ],
  });
  instance.on('response', (_client, _status, _bytes, responseTimeMs) =>
    latencies.add(responseTimeMs),
  );
  const result = await instance;
  const socketErrors = result.errors + result.timeouts;
  const non2xx = Math.max(result.non2xx, non2xxSeen);
  const answered = latencies.size;
  const successes = Math.max(0, answered - non2xx - graphqlErrors);
  if (socketErrors > 0) errorCodes.SOCKET_ERROR_OR_TIMEOUT = socketErrors;
  return {
    txPerS: result.duration > 0 ? successes / result.duration : 0,
    successes,
    p50Ms: percentile(latencies.samples(), 50),
    p99Ms: percentile(latencies.samples(), 99),
    non2xx,
    graphqlErrors,
    socketErrors,
    errorCodes,
    replaysSent,
    replayMismatches,
    durationS: result.duration,
    errorSamples,
  };
}
