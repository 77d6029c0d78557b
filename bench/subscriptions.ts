import 'reflect-metadata';
import { intEnv, runScript, scriptLog } from './cli';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { mintToken } from '../src/shared/auth/tokens';
import { AssetService } from '../src/modules/assets/asset.service';
import { createDatabase } from '../src/shared/db/prisma';
import { provisionDatabase } from './database';
import { findFreePort } from '../src/dev/embedded';
import { readRssBytes, startGatewayChild, type GatewayChild } from './gateway';
import { LatencyRecorder, percentile } from './stats';

/**
 * `npm run bench:subscriptions`: live balance subscriptions under a steady stream of topups.
 *
 * The gateway runs as a child process (`node dist/src/main.js`), so its memory is its own; the
 * 1,000 graphql-ws clients and the topup driver live in this process. Two scenarios:
 *   spread    1,000 subscriptions, one per user (a HUD per player), topups round-robin over
 *             those users at BENCH_SUBS_RATE per second (default 200): one delivery per topup;
 *   one-user  1,000 subscriptions on one user (dashboards watching one wallet), topups on that
 *             user at BENCH_SUBS_ONE_USER_RATE per second (default 10): 1,000 deliveries each.
 * Latency is commit-to-receipt, measured two ways on one machine's clock: from the entry's
 * createdAt (clock_timestamp() in the posting statement, the last one before COMMIT: an upper
 * bound by one commit round trip) and from the moment the topup's HTTP response arrived (after
 * the commit and the response's own trip, so a lower bound; a receipt that beats the response
 * counts as 0).
 * Memory per idle subscription is the gateway's growth over opening the 1,000 sockets and
 * subscriptions, divided by 1,000, measured after warm-up and before any load: the V8 heap after
 * a full collection (through the inspector protocol) and the process RSS.
 *
 * Knobs: BENCH_DATABASE_URL (a server to create the bench database on; default an embedded
 * PostgreSQL), BENCH_SUBS_COUNT, BENCH_SUBS_RATE, BENCH_SUBS_ONE_USER_RATE, BENCH_SUBS_SECONDS.
 */

const asset = 'GOLD_COINS';
const count = intEnv('BENCH_SUBS_COUNT', 1000);
const spreadRate = intEnv('BENCH_SUBS_RATE', 200);
const oneUserRate = intEnv('BENCH_SUBS_ONE_USER_RATE', 10);
const seconds = intEnv('BENCH_SUBS_SECONDS', 20);
const inFlightMax = 64;
const connectBatch = 100;

// With afterSequence a subscription receives everything after it however late it starts, so the
// bench's liveness check (one topup each, every one delivered) cannot race the subscribe.
const SUBSCRIPTION = `subscription($userId: ID!, $asset: ID, $after: Amount) {
  balanceChanged(userId: $userId, asset: $asset, afterSequence: $after) {
    wallet { balance available lastSequence }
    entry { id sequence amount createdAt }
  }
}`;
const TOPUP = `mutation($input: TopupInput!) { topup(input: $input) { wallet { lastSequence } } }`;

const log = scriptLog('bench:subscriptions');

interface Receipt {
  key: string;
  receivedAt: number;
  createdAt: number;
}

/** One subscriber: a socket of its own with one subscription, as a player's HUD would have. */
interface Subscriber {
  client: Client;
  dispose(): void;
}

class Receipts {
  readonly all: Receipt[] = [];
  private waiters: { count: number; resolve(): void }[] = [];

  add(receipt: Receipt): void {
    this.all.push(receipt);
    this.waiters = this.waiters.filter((waiter) => {
      if (this.all.length < waiter.count) return true;
      waiter.resolve();
      return false;
    });
  }

  waitFor(total: number, timeoutMs: number): Promise<void> {
    if (this.all.length >= total) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`only ${this.all.length} of ${total} deliveries arrived`)),
        timeoutMs,
      );
      this.waiters.push({
        count: total,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  reset(): void {
    this.all.length = 0;
  }
}

async function openSubscribers(
  wsUrl: string,
  token: string,
  userIds: string[],
  receipts: Receipts,
): Promise<Subscriber[]> {
  const subscribers: Subscriber[] = [];
  for (let start = 0; start < userIds.length; start += connectBatch) {
    const batch = userIds.slice(start, start + connectBatch).map(async (userId) => {
      const client = createClient({
        url: wsUrl,
        webSocketImpl: WebSocket,
        lazy: false,
        retryAttempts: 0,
        connectionParams: { authorization: `Bearer ${token}` },
      });
      await new Promise<void>((resolve, reject) => {
        const offConnected = client.on('connected', () => {
          offConnected();
          resolve();
        });
        client.on('closed', (event) =>
          reject(new Error(`socket closed: ${(event as { code?: number }).code}`)),
        );
      });
      const unsubscribe = client.subscribe<{
        balanceChanged: { wallet: { lastSequence: string }; entry: { createdAt: string } };
      }>(
        { query: SUBSCRIPTION, variables: { userId, asset, after: '0' } },
        {
          next: (result) => {
            const receivedAt = Date.now();
            const change = result.data?.balanceChanged;
            if (!change) {
              log(`subscription error for ${userId}: ${JSON.stringify(result.errors)}`);
              return;
            }
            receipts.add({
              key: `${userId}:${change.wallet.lastSequence}`,
              receivedAt,
              createdAt: Date.parse(change.entry.createdAt),
            });
          },
          error: (error) => log(`subscription for ${userId} failed: ${JSON.stringify(error)}`),
          complete: () => undefined,
        },
      );
      return {
        client,
        dispose: () => {
          unsubscribe();
          void client.dispose();
        },
      };
    });
    subscribers.push(...(await Promise.all(batch)));
  }
  return subscribers;
}

/** Posts topups at a steady rate for a fixed time; returns when every response is in. */
async function drive(
  url: string,
  token: string,
  users: string[],
  rate: number,
  durationMs: number,
  responses: Map<string, number>,
): Promise<{ sent: number; failed: number }> {
  let sent = 0;
  let failed = 0;
  let inFlight = 0;
  let next = 0;
  const pending = new Set<Promise<void>>();
  const started = Date.now();
  const post = async (userId: string) => {
    inFlight += 1;
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: TOPUP,
          variables: {
            input: { userId, asset, amount: '1', idempotencyKey: randomBytes(12).toString('hex') },
          },
        }),
      });
      const body = (await response.json()) as {
        data?: { topup: { wallet: { lastSequence: string } } };
        errors?: unknown;
      };
      if (!body.data) throw new Error(JSON.stringify(body.errors));
      responses.set(`${userId}:${body.data.topup.wallet.lastSequence}`, Date.now());
    } catch (error) {
      failed += 1;
      if (failed <= 5) log(`topup failed: ${(error as Error).message}`);
    } finally {
      inFlight -= 1;
    }
  };
  while (Date.now() - started < durationMs) {
    // Catch up with the schedule: as many topups as should have been sent by now.
    const due = Math.floor(((Date.now() - started) / 1000) * rate);
    while (sent < due && inFlight < inFlightMax) {
      const userId = users[next++ % users.length]!;
      const promise = post(userId);
      pending.add(promise);
      void promise.finally(() => pending.delete(promise));
      sent += 1;
    }
    await sleep(2);
  }
  await Promise.all([...pending]);
  return { sent, failed };
}

/** One topup per user (a few at a time), every response awaited: proof that each subscription is live. */
async function topupEach(url: string, token: string, users: string[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < users.length) {
        const userId = users[next++]!;
        const response = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({
            query: TOPUP,
            variables: {
              input: {
                userId,
                asset,
                amount: '1',
                idempotencyKey: randomBytes(12).toString('hex'),
              },
            },
          }),
        });
        const body = (await response.json()) as { errors?: unknown };
        if (body.errors) throw new Error(JSON.stringify(body.errors));
      }
    }),
  );
}

interface LatencyFigures {
  deliveries: number;
  expected: number;
  fromCreatedAt: { p50: number; p99: number; max: number };
  fromResponse: { p50: number; p99: number; max: number };
}

function latencies(
  receipts: Receipt[],
  responses: Map<string, number>,
  expected: number,
): LatencyFigures {
  const fromCreated = new LatencyRecorder();
  const fromResponse = new LatencyRecorder();
  for (const receipt of receipts) {
    fromCreated.add(receipt.receivedAt - receipt.createdAt);
    const respondedAt = responses.get(receipt.key);
    if (respondedAt !== undefined) fromResponse.add(Math.max(0, receipt.receivedAt - respondedAt));
  }
  const figures = (recorder: LatencyRecorder) => ({
    p50: percentile(recorder.samples(), 50),
    p99: percentile(recorder.samples(), 99),
    max: percentile(recorder.samples(), 100),
  });
  return {
    deliveries: receipts.length,
    expected,
    fromCreatedAt: figures(fromCreated),
    fromResponse: figures(fromResponse),
  };
}

/**
 * The gateway's V8 heap after a full garbage collection, through the inspector protocol (the
 * child runs with --inspect on a loopback port; nothing else talks to it), and its RSS from /proc.
 */
class GatewayInspector {
  private nextId = 1;
  private readonly pending = new Map<number, (result: any) => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const message = JSON.parse(String(data)) as { id?: number; result?: unknown };
      if (message.id !== undefined) this.pending.get(message.id)?.(message.result);
    });
  }

  static async connect(port: number): Promise<GatewayInspector> {
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as {
      webSocketDebuggerUrl: string;
    }[];
    const socket = new WebSocket(targets[0]!.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    return new GatewayInspector(socket);
  }

  call(method: string): Promise<any> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.socket.send(JSON.stringify({ id, method }));
    });
  }

  async memory(pid: number): Promise<{ heapBytes: number; rssBytes: number }> {
    for (let round = 0; round < 3; round++) {
      await this.call('HeapProfiler.collectGarbage');
      await sleep(200);
    }
    const usage = (await this.call('Runtime.getHeapUsage')) as { usedSize: number };
    return { heapBytes: usage.usedSize, rssBytes: readRssBytes(pid) ?? Number.NaN };
  }

  close(): void {
    this.socket.close();
  }
}

const ms = (value: number) => `${value.toFixed(1)} ms`;
const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function main(): Promise<void> {
  const db = await provisionDatabase(process.env.BENCH_DATABASE_URL?.trim() || undefined, log);
  let gateway: GatewayChild | undefined;
  let inspector: GatewayInspector | undefined;
  let subscribers: Subscriber[] = [];
  try {
    const seedDb = createDatabase({
      connectionString: db.url,
      poolMax: 2,
      connectTimeoutMs: 5000,
      statementTimeoutMs: 10000,
    });
    await new AssetService(seedDb.prisma).ensure({ code: asset, name: 'Gold coins', decimals: 0 });
    await seedDb.close();

    const jwtSecret = randomBytes(32).toString('hex');
    const inspectorPort = await findFreePort();
    gateway = await startGatewayChild({
      databaseUrl: db.url,
      jwtSecret,
      nodeEnv: 'production',
      poolMax: undefined,
      log,
      extraEnv: {
        WS_SOCKETS_MAX: String(count + 100),
        HOLD_SWEEP_INTERVAL_MS: '0',
        NODE_OPTIONS: `--inspect=127.0.0.1:${inspectorPort}`,
      },
    });
    inspector = await GatewayInspector.connect(inspectorPort);
    const token = await mintToken({
      secret: jwtSecret,
      sub: 'bench-subscriptions',
      role: 'server',
      expiresInSeconds: 24 * 3600,
    });
    const wsUrl = gateway.url.replace(/^http/, 'ws');
    const receipts = new Receipts();
    const responses = new Map<string, number>();

    // Warm-up: the code paths of subscribing, delivering and closing are loaded and compiled
    // before the memory baseline is taken.
    const warmUsers = Array.from({ length: 20 }, (_, i) => `warm-${i}`);
    const warm = await openSubscribers(wsUrl, token, warmUsers, receipts);
    for (let round = 0; round < 5; round++) await topupEach(gateway.url, token, warmUsers);
    await receipts.waitFor(100, 10_000);
    for (const subscriber of warm) subscriber.dispose();
    receipts.reset();
    responses.clear();
    await sleep(1000);

    // Scenario 1: spread over `count` users.
    const users = Array.from({ length: count }, (_, i) => `spread-${i}`);
    const before = await inspector.memory(gateway.pid);
    let opened = Date.now();
    subscribers = await openSubscribers(wsUrl, token, users, receipts);
    log(`${count} sockets with one subscription each opened in ${Date.now() - opened} ms`);
    await sleep(2000);
    const after = await inspector.memory(gateway.pid);
    const perSubscription = {
      heapBytes: (after.heapBytes - before.heapBytes) / count,
      rssBytes: (after.rssBytes - before.rssBytes) / count,
    };
    log(
      `idle memory per subscription (socket included): heap ${kb(perSubscription.heapBytes)}, RSS ${kb(perSubscription.rssBytes)} ` +
        `(heap ${mb(before.heapBytes)} -> ${mb(after.heapBytes)}, RSS ${mb(before.rssBytes)} -> ${mb(after.rssBytes)})`,
    );

    // Proof that every subscription is live: one topup per user, every one delivered.
    await topupEach(gateway.url, token, users);
    await receipts.waitFor(count, 30_000);
    receipts.reset();
    responses.clear();

    log(`spread: ${spreadRate} topups/s for ${seconds} s over ${count} users`);
    const spreadRun = await drive(gateway.url, token, users, spreadRate, seconds * 1000, responses);
    const spreadExpected = spreadRun.sent - spreadRun.failed;
    await receipts.waitFor(spreadExpected, 30_000).catch((error: Error) => log(error.message));
    const spread = latencies(receipts.all, responses, spreadExpected);
    for (const subscriber of subscribers) subscriber.dispose();
    subscribers = [];
    receipts.reset();
    responses.clear();
    await sleep(1000);

    // Scenario 2: everyone on one user.
    const oneUser = 'one-user';
    opened = Date.now();
    subscribers = await openSubscribers(
      wsUrl,
      token,
      Array.from({ length: count }, () => oneUser),
      receipts,
    );
    log(`${count} sockets on one user opened in ${Date.now() - opened} ms`);
    await topupEach(gateway.url, token, [oneUser]);
    await receipts.waitFor(count, 30_000);
    receipts.reset();
    responses.clear();
    log(`one-user: ${oneUserRate} topups/s for ${seconds} s, ${count} subscribers each`);
    const oneRun = await drive(
      gateway.url,
      token,
      [oneUser],
      oneUserRate,
      seconds * 1000,
      responses,
    );
    const oneExpected = (oneRun.sent - oneRun.failed) * count;
    await receipts.waitFor(oneExpected, 60_000).catch((error: Error) => log(error.message));
    const one = latencies(receipts.all, responses, oneExpected);

    const row = (name: string, rate: number, figures: LatencyFigures) =>
      `| ${name} | ${count} | ${rate}/s | ${figures.deliveries}/${figures.expected} | ${ms(figures.fromCreatedAt.p50)} | ${ms(figures.fromCreatedAt.p99)} | ${ms(figures.fromCreatedAt.max)} | ${ms(figures.fromResponse.p50)} | ${ms(figures.fromResponse.p99)} |`;
    console.log(
      '\nLive subscriptions (gateway in a child process, NODE_ENV=' +
        gateway.nodeEnv +
        `; ${db.description})\n`,
    );
    console.log(
      '| scenario | subscribers | topups | delivered | p50 (from createdAt) | p99 (from createdAt) | max | p50 (from response) | p99 (from response) |',
    );
    console.log('|---|---|---|---|---|---|---|---|---|');
    console.log(row('spread: one subscriber per user', spreadRate, spread));
    console.log(row('one-user: all on one wallet', oneUserRate, one));
    console.log(
      `\nIdle memory per subscription (its own websocket included): heap ${kb(perSubscription.heapBytes)}, RSS ${kb(perSubscription.rssBytes)}`,
    );
    console.log(
      `Targets: p99 < 100 ms at ${count} subscribers and 200 topups/s (spread, from createdAt): ${spread.fromCreatedAt.p99 < 100 && spreadRate >= 200 ? 'met' : 'NOT met'}; ` +
        `< 20 KB per idle subscription: ${Math.max(perSubscription.heapBytes, perSubscription.rssBytes) < 20 * 1024 ? 'met' : 'NOT met'}`,
    );
  } finally {
    for (const subscriber of subscribers) subscriber.dispose();
    inspector?.close();
    await gateway?.stop();
    await db.drop();
  }
}

runScript(main);
