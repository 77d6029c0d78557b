import { intEnv, runScript, scriptLog } from './cli';
import { randomBytes } from 'node:crypto';
import { promises as fs, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { verifyWalletSignature } from '../docs/examples/verify-signature';
import { mintToken } from '../src/shared/auth/tokens';
import { projectRoot } from '../src/shared/db/database';
import { provisionDatabase, withClient } from './database';
import { startGatewayChild, type GatewayChild } from './gateway';
import { percentile } from './stats';

/**
 * `npm run bench:feed`: how far behind a commit the event feed and a webhook are, under a steady
 * stream of topups (issue 14's performance requirements; docs/events.md, "Performance").
 *
 * One gateway child (`node dist/src/main.js`, NODE_ENV=production, WEBHOOK_ALLOWED_HOSTS=127.0.0.1)
 * on a fresh bench database; in this process:
 *   - a webhook receiver (node:http on 127.0.0.1) registered with `createWebhook` by an admin: it
 *     verifies each Wallet-Signature (docs/examples/verify-signature.ts), answers 200 and
 *     records when each event id arrived;
 *   - a backend consumer paging `Query.events(after: cursor, first: 500)` from a cursor taken
 *     before the load, as a real consumer would: ask again at once while hasNextPage, otherwise
 *     wait BENCH_FEED_POLL_MS and ask again;
 *   - an open-loop driver posting topups at BENCH_FEED_RATE per second for BENCH_DURATION_S
 *     seconds over BENCH_FEED_CONNECTIONS keep-alive connections, round-robin over
 *     BENCH_FEED_WALLETS wallets (created by a warm-up topup each, so no two topups in flight
 *     share a wallet). A request is sent at its scheduled time whatever the earlier ones are
 *     doing (queueing for a connection counts in its latency).
 * Every figure is on this process's monotonic clock: feed lag = (the consumer's page that first
 * held the topup's TRANSACTION event arrived) - (the topup's HTTP response arrived, i.e. the
 * commit is known to the client); webhook latency = (the receiver had the POST's body) - (the
 * same response). Both are also given from the request's send time. A figure below 0 (the event
 * was seen before the response came back) counts as 0 and is counted.
 *
 * Knobs: BENCH_FEED_RATE (200), BENCH_DURATION_S (30), BENCH_FEED_CONNECTIONS (32),
 * BENCH_FEED_WALLETS (1000), BENCH_FEED_POLL_MS (50), BENCH_FEED_DRAIN_S (60: how long to wait
 * for the last events after the load), BENCH_FEED_SCRAPE_MS (1000: /metrics during the load),
 * BENCH_FEED_RESULTS (set to 0 to write no file under bench/results/), BENCH_DATABASE_URL (a
 * server to create the bench database on; default an embedded PostgreSQL), and the gateway's own
 * WEBHOOK_* settings, which pass through to the child.
 *
 * Targets: feed lag p99 < 500 ms at 200 topups/s; webhook delivery p99 < 1 s (both from the
 * response). The exit code is non-zero when a topup failed, a topup's event is missing from the
 * feed or the webhook, a load event was delivered other than exactly once (one gateway, a
 * receiver that always answers 200: a duplicate would be a bug here), a delivery came out of feed
 * order or a signature did not verify; not when a latency target is missed (the figures on a
 * shared machine are noisy; the report says PASS or FAIL).
 */

const asset = 'FEED_GOLD';
const rate = intEnv('BENCH_FEED_RATE', 200);
const durationS = intEnv('BENCH_DURATION_S', 30);
const connections = intEnv('BENCH_FEED_CONNECTIONS', 32);
const walletCount = intEnv('BENCH_FEED_WALLETS', 1000);
const pollMs = intEnv('BENCH_FEED_POLL_MS', 50);
const drainS = intEnv('BENCH_FEED_DRAIN_S', 60);
const scrapeMs = intEnv('BENCH_FEED_SCRAPE_MS', 1000);
const pageSize = 500;
const feedTargetMs = 500;
const webhookTargetMs = 1000;
const webhookSecret = randomBytes(32).toString('base64url');
const metricsToken = process.env.METRICS_TOKEN ?? 'bench-metrics-token-0123456789';

const TOPUP = `mutation($input: TopupInput!) { topup(input: $input) { transaction { id } } }`;
const FEED = `query($after: String, $first: Int) { events(after: $after, first: $first) {
  edges { cursor node { id type transaction { id } } }
  pageInfo { hasNextPage endCursor } } }`;
const CREATE_WEBHOOK = `mutation($input: WebhookInput!) { createWebhook(input: $input) { id url } }`;
const CREATE_ASSET = `mutation($input: CreateAssetInput!) { createAsset(input: $input) { code } }`;

const log = scriptLog('bench:feed');

const now = () => performance.now();

interface GraphqlBody {
  data?: any;
  errors?: { message: string; extensions?: { code?: string } }[];
}

/** One GraphQL POST over the given agent; resolves with the parsed body, rejects on transport errors. */
function post(
  url: URL,
  agent: http.Agent,
  token: string,
  query: string,
  variables: Record<string, unknown>,
): Promise<GraphqlBody> {
  const body = JSON.stringify({ query, variables });
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          authorization: `Bearer ${token}`,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          try {
            const parsed = JSON.parse(text) as GraphqlBody;
            if (response.statusCode !== 200 && !parsed.errors)
              parsed.errors = [{ message: `HTTP ${response.statusCode}` }];
            resolve(parsed);
          } catch {
            reject(new Error(`HTTP ${response.statusCode}: ${text.slice(0, 300)}`));
          }
        });
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

async function mustPost(
  url: URL,
  agent: http.Agent,
  token: string,
  query: string,
  variables: Record<string, unknown>,
): Promise<any> {
  const answer = await post(url, agent, token, query, variables);
  if (answer.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(answer.errors)}`);
  return answer.data;
}

// ---------------------------------------------------------------------------------------------
// The webhook receiver.

interface Arrival {
  eventId: string;
  transactionId: string | undefined;
  atMs: number;
}

interface BenchReceiver {
  url: string;
  arrivals: Arrival[];
  badSignatures: number;
  firstArrival: Map<string, number>;
  byTransaction: Map<string, string>;
  close(): Promise<void>;
}

async function startReceiver(secret: string): Promise<BenchReceiver> {
  const sockets = new Set<import('node:net').Socket>();
  const receiver: BenchReceiver = {
    url: '',
    arrivals: [],
    badSignatures: 0,
    firstArrival: new Map(),
    byTransaction: new Map(),
    close: () => Promise.resolve(),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const atMs = now();
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const signature = req.headers['wallet-signature'] as string | undefined;
      if (!verifyWalletSignature(secret, signature, rawBody)) {
        receiver.badSignatures += 1;
        if (receiver.badSignatures <= 5) log(`bad signature on a delivery: ${signature}`);
        res.statusCode = 401;
        res.end('bad signature');
        return;
      }
      const body = JSON.parse(rawBody) as {
        id: string;
        type: string;
        transaction?: { id: string };
      };
      const transactionId = body.type === 'TRANSACTION' ? body.transaction?.id : undefined;
      receiver.arrivals.push({ eventId: body.id, transactionId, atMs });
      if (!receiver.firstArrival.has(body.id)) receiver.firstArrival.set(body.id, atMs);
      if (transactionId && !receiver.byTransaction.has(transactionId))
        receiver.byTransaction.set(transactionId, body.id);
      res.statusCode = 200;
      res.end('ok');
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/wallet-events`;
  receiver.close = () => {
    for (const socket of sockets) socket.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return receiver;
}

// ---------------------------------------------------------------------------------------------
// The feed consumer.

interface FeedConsumer {
  /** Event ids in the order the feed served them (after the starting cursor). */
  order: string[];
  /** Event id -> when the page that first held it arrived. */
  seenAt: Map<string, number>;
  /** Transaction id -> its TRANSACTION event's id. */
  byTransaction: Map<string, string>;
  pages: number;
  pageMs: number[];
  errors: number;
  stop(): Promise<void>;
}

/** Pages to the end of the feed and returns the cursor there (where a new consumer would start). */
async function feedEnd(url: URL, agent: http.Agent, token: string): Promise<string | null> {
  let after: string | null = null;
  for (;;) {
    const data = await mustPost(url, agent, token, FEED, { after, first: pageSize });
    after = data.events.pageInfo.endCursor ?? after;
    if (!data.events.pageInfo.hasNextPage) return after;
  }
}

function startConsumer(
  url: URL,
  agent: http.Agent,
  token: string,
  start: string | null,
): FeedConsumer {
  let stopped = false;
  const consumer: Omit<FeedConsumer, 'stop'> = {
    order: [],
    seenAt: new Map(),
    byTransaction: new Map(),
    pages: 0,
    pageMs: [],
    errors: 0,
  };
  const loop = (async () => {
    let after = start;
    while (!stopped) {
      const asked = now();
      let hasNextPage = false;
      try {
        const data = await mustPost(url, agent, token, FEED, { after, first: pageSize });
        const seen = now();
        consumer.pages += 1;
        consumer.pageMs.push(seen - asked);
        for (const edge of data.events.edges as {
          node: { id: string; type: string; transaction: { id: string } | null };
        }[]) {
          const id = edge.node.id;
          if (consumer.seenAt.has(id)) continue;
          consumer.seenAt.set(id, seen);
          consumer.order.push(id);
          if (edge.node.type === 'TRANSACTION' && edge.node.transaction)
            consumer.byTransaction.set(edge.node.transaction.id, id);
        }
        after = data.events.pageInfo.endCursor ?? after;
        hasNextPage = data.events.pageInfo.hasNextPage;
      } catch (error) {
        consumer.errors += 1;
        if (consumer.errors <= 5) log(`feed page failed: ${(error as Error).message}`);
      }
      // A full page: ask again at once. A short one: the consumer is caught up; poll.
      if (!hasNextPage && !stopped) await sleep(pollMs);
    }
  })();
  return Object.assign(consumer, {
    async stop() {
      stopped = true;
      await loop;
    },
  });
}

// ---------------------------------------------------------------------------------------------
// The topup driver.

interface Topup {
  userId: string;
  scheduledAt: number;
  sentAt: number;
  respondedAt?: number;
  transactionId?: string;
  error?: string;
}

async function topupOnce(
  url: URL,
  agent: http.Agent,
  token: string,
  userId: string,
  record: Topup,
): Promise<void> {
  try {
    const answer = await post(url, agent, token, TOPUP, {
      input: { userId, asset, amount: '1', idempotencyKey: randomBytes(12).toString('hex') },
    });
    record.respondedAt = now();
    const id = answer.data?.topup?.transaction?.id as string | undefined;
    if (answer.errors?.length || !id)
      record.error = JSON.stringify(answer.errors ?? 'no transaction id').slice(0, 300);
    else record.transactionId = id;
  } catch (error) {
    record.respondedAt = now();
    record.error = (error as Error).message;
  }
}

/** Open loop: topup i is sent at start + i/rate, whatever the earlier ones are doing. */
async function drive(
  url: URL,
  agent: http.Agent,
  token: string,
  users: string[],
): Promise<{ topups: Topup[]; startedAt: number; maxSlipMs: number }> {
  const topups: Topup[] = [];
  const pending: Promise<void>[] = [];
  const total = rate * durationS;
  const intervalMs = 1000 / rate;
  const startedAt = now();
  let maxSlipMs = 0;
  while (topups.length < total) {
    const elapsed = now() - startedAt;
    const due = Math.min(total, Math.floor(elapsed / intervalMs) + 1);
    while (topups.length < due) {
      const index = topups.length;
      const record: Topup = {
        userId: users[index % users.length]!,
        scheduledAt: startedAt + index * intervalMs,
        sentAt: now(),
      };
      maxSlipMs = Math.max(maxSlipMs, record.sentAt - record.scheduledAt);
      topups.push(record);
      pending.push(topupOnce(url, agent, token, record.userId, record));
    }
    const next = startedAt + topups.length * intervalMs;
    await sleep(Math.max(0, next - now()));
  }
  await Promise.all(pending);
  return { topups, startedAt, maxSlipMs };
}

/** One topup per wallet, a few at a time: creates the wallets and warms every path up. */
async function warmUp(
  url: URL,
  agent: http.Agent,
  token: string,
  users: string[],
): Promise<string[]> {
  const transactionIds: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < users.length) {
        const record: Topup = { userId: users[next++]!, scheduledAt: now(), sentAt: now() };
        await topupOnce(url, agent, token, record.userId, record);
        if (record.error) throw new Error(`warm-up topup failed: ${record.error}`);
        transactionIds.push(record.transactionId!);
      }
    }),
  );
  return transactionIds;
}

async function waitUntil(
  predicate: () => boolean,
  timeoutMs: number,
  what: () => string,
): Promise<boolean> {
  const deadline = now() + timeoutMs;
  while (!predicate()) {
    if (now() > deadline) {
      log(`gave up waiting after ${timeoutMs} ms: ${what()}`);
      return false;
    }
    await sleep(20);
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// /metrics.

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseMetrics(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0 || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)(?: \d+)?$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const label of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g))
      labels[label[1]!] = label[2]!;
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

async function scrape(gatewayUrl: string): Promise<Sample[]> {
  const response = await fetch(new URL('/metrics', gatewayUrl), {
    headers: { authorization: `Bearer ${metricsToken}` },
  });
  if (response.status !== 200) throw new Error(`/metrics answered ${response.status}`);
  return parseMetrics(await response.text());
}

interface Histogram {
  buckets: { le: number; count: number }[];
  count: number;
  sum: number;
}

function histogram(samples: Sample[], name: string): Histogram | undefined {
  const buckets = samples
    .filter((s) => s.name === `${name}_bucket`)
    .map((s) => ({ le: s.labels.le === '+Inf' ? Infinity : Number(s.labels.le), count: s.value }))
    .sort((a, b) => a.le - b.le);
  if (buckets.length === 0) return undefined;
  const total = (suffix: string) =>
    samples.filter((s) => s.name === `${name}${suffix}`).reduce((sum, s) => sum + s.value, 0);
  // One webhook: one series; with more, the buckets would add up per `le` (not needed here).
  return { buckets, count: total('_count'), sum: total('_sum') };
}

function histogramDelta(after: Histogram, before: Histogram | undefined): Histogram {
  if (!before) return after;
  return {
    buckets: after.buckets.map((b, i) => ({
      le: b.le,
      count: b.count - (before.buckets[i]?.count ?? 0),
    })),
    count: after.count - before.count,
    sum: after.sum - before.sum,
  };
}

/** The upper bound of the bucket that holds the p-th percentile. */
function histogramQuantile(h: Histogram, p: number): number {
  const rank = (p / 100) * h.count;
  for (const bucket of h.buckets) if (bucket.count >= rank) return bucket.le;
  return Infinity;
}

// ---------------------------------------------------------------------------------------------
// Figures.

interface Figures {
  count: number;
  p50: number;
  p99: number;
  max: number;
  negative: number;
}

function figures(values: number[]): Figures {
  const negative = values.filter((v) => v < 0).length;
  const clamped = values.map((v) => Math.max(0, v));
  return {
    count: values.length,
    p50: percentile(clamped, 50),
    p99: percentile(clamped, 99),
    max: percentile(clamped, 100),
    negative,
  };
}

const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : String(value));

/** utime + stime of a process in seconds (Linux), or undefined. */
function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, in clock ticks (USER_HZ, 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/** Sequential single-row autocommit UPDATEs on a scratch table: one durable commit each. */
async function commitRoundTrips(databaseUrl: string): Promise<Figures> {
  return withClient(databaseUrl, async (client) => {
    await client.query('CREATE TABLE bench_feed_probe (id int PRIMARY KEY, n bigint NOT NULL)');
    await client.query('INSERT INTO bench_feed_probe VALUES (1, 0)');
    const times: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = now();
      await client.query('UPDATE bench_feed_probe SET n = n + 1 WHERE id = 1');
      times.push(now() - started);
    }
    await client.query('DROP TABLE bench_feed_probe');
    return figures(times);
  });
}

async function main(): Promise<number> {
  const startedWall = new Date();
  const loadBefore = os.loadavg();
  const db = await provisionDatabase(process.env.BENCH_DATABASE_URL?.trim() || undefined, log);
  let gateway: GatewayChild | undefined;
  let receiver: BenchReceiver | undefined;
  let consumer: FeedConsumer | undefined;
  const topupAgent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const feedAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const loopResolutionMs = 10;
  const loopDelay = monitorEventLoopDelay({ resolution: loopResolutionMs });
  try {
    receiver = await startReceiver(webhookSecret);
    const jwtSecret = randomBytes(32).toString('hex');
    gateway = await startGatewayChild({
      databaseUrl: db.url,
      jwtSecret,
      nodeEnv: 'production',
      poolMax: undefined,
      log,
      extraEnv: {
        // Production refuses loopback webhook URLs unless the host is listed (ssrf.ts).
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
        HOLD_SWEEP_INTERVAL_MS: '0',
        METRICS_TOKEN: metricsToken,
      },
    });
    const url = new URL(gateway.url);
    const mint = (role: 'admin' | 'server', sub: string) =>
      mintToken({ secret: jwtSecret, sub, role, expiresInSeconds: 24 * 3600 });
    const adminToken = await mint('admin', 'bench-feed-admin');
    const serverToken = await mint('server', 'bench-feed-game');
    const consumerToken = await mint('server', 'bench-feed-consumer');

    await mustPost(url, topupAgent, adminToken, CREATE_ASSET, {
      input: { code: asset, name: 'Feed bench gold', decimals: 0 },
    });
    const webhook = (
      await mustPost(url, topupAgent, adminToken, CREATE_WEBHOOK, {
        input: { url: receiver.url, secret: webhookSecret },
      })
    ).createWebhook as { id: string; url: string };
    log(`asset ${asset} created; webhook ${webhook.id} -> ${webhook.url}`);

    // Warm-up: creates the wallets and runs every path once (topups, deliveries, feed pages).
    const runId = randomBytes(3).toString('hex');
    const users = Array.from({ length: walletCount }, (_, i) => `feed-${runId}-${i}`);
    const warmStarted = now();
    const warmIds = await warmUp(url, topupAgent, serverToken, users);
    const warmDelivered = await waitUntil(
      () => warmIds.every((id) => receiver!.byTransaction.has(id)),
      drainS * 1000,
      () => `${receiver!.byTransaction.size} of ${warmIds.length} warm-up events delivered`,
    );
    if (!warmDelivered) throw new Error('the webhook did not deliver the warm-up events');
    log(
      `warm-up: ${walletCount} wallets topped up and their events delivered in ${Math.round(now() - warmStarted)} ms`,
    );

    // The consumer starts where a consumer starting now would: at the end of the feed.
    const cursor = await feedEnd(url, feedAgent, consumerToken);
    consumer = startConsumer(url, feedAgent, consumerToken, cursor);
    const arrivalsBefore = receiver.arrivals.length;
    const samplesBefore = await scrape(gateway.url);
    const histogramBefore = histogram(samplesBefore, 'wallet_webhook_delivery_latency_seconds');
    const requestsBefore = histogram(samplesBefore, 'wallet_webhook_request_duration_seconds');

    // The load, with /metrics scraped alongside.
    let lagGaugeMax = 0;
    let pendingMax = 0;
    let scraping = true;
    const scraper = (async () => {
      while (scraping) {
        try {
          const samples = await scrape(gateway!.url);
          for (const s of samples) {
            if (s.name === 'wallet_events_feed_lag_seconds')
              lagGaugeMax = Math.max(lagGaugeMax, s.value);
            if (s.name === 'wallet_webhook_pending_events')
              pendingMax = Math.max(pendingMax, s.value);
          }
        } catch (error) {
          log(`scrape failed: ${(error as Error).message}`);
        }
        await sleep(scrapeMs);
      }
    })();
    log(
      `load: ${rate} topups/s for ${durationS} s over ${connections} connections, round-robin over ${walletCount} wallets; consumer polls every ${pollMs} ms`,
    );
    const cpuBefore = cpuSeconds(gateway.pid);
    loopDelay.enable();
    const run = await drive(url, topupAgent, serverToken, users);
    const loadEnded = now();
    loopDelay.disable();
    const cpuAfter = cpuSeconds(gateway.pid);
    scraping = false;
    await scraper;

    const ok = run.topups.filter((t) => t.transactionId);
    const failed = run.topups.filter((t) => t.error);
    for (const t of failed.slice(0, 5)) log(`topup failed: ${t.error}`);
    const lastResponse = Math.max(...run.topups.map((t) => t.respondedAt ?? 0));
    const achievedRate = ok.length / ((lastResponse - run.startedAt) / 1000);
    const sendRate = run.topups.length / ((run.topups.at(-1)!.sentAt - run.startedAt) / 1000);
    log(
      `load done: ${run.topups.length} sent, ${ok.length} ok, ${failed.length} failed; waiting for the feed and the webhook`,
    );

    const drainStarted = now();
    await waitUntil(
      () =>
        ok.every(
          (t) =>
            consumer!.byTransaction.has(t.transactionId!) &&
            receiver!.byTransaction.has(t.transactionId!),
        ),
      drainS * 1000,
      () =>
        `feed has ${ok.filter((t) => consumer!.byTransaction.has(t.transactionId!)).length}, ` +
        `webhook ${ok.filter((t) => receiver!.byTransaction.has(t.transactionId!)).length} of ${ok.length}`,
    );
    const drainMs = now() - drainStarted;
    // A moment more, so that a late duplicate would be counted.
    await sleep(1000);
    await consumer.stop();
    const finalSamples = await scrape(gateway.url);
    const histogramAfter = histogram(finalSamples, 'wallet_webhook_delivery_latency_seconds');
    const requestsAfter = histogram(finalSamples, 'wallet_webhook_request_duration_seconds');
    const requests =
      requestsAfter === undefined ? undefined : histogramDelta(requestsAfter, requestsBefore);
    const commits = await commitRoundTrips(db.url);
    const attemptsFailed = finalSamples
      .filter(
        (s) => s.name === 'wallet_webhook_delivery_attempts_total' && s.labels.outcome === 'failed',
      )
      .reduce((sum, s) => sum + s.value, 0);
    const lagGaugeEnd = finalSamples.find((s) => s.name === 'wallet_events_feed_lag_seconds');
    const gatewayLog = gateway.drainLogLines();

    // Feed lag and webhook latency per topup.
    const feedFromResponse: number[] = [];
    const feedFromSend: number[] = [];
    const hookFromResponse: number[] = [];
    const hookFromSend: number[] = [];
    const mutation: number[] = [];
    let missingFeed = 0;
    let missingHook = 0;
    let mismatched = 0;
    for (const t of ok) {
      mutation.push(t.respondedAt! - t.sentAt);
      const feedEvent = consumer.byTransaction.get(t.transactionId!);
      const hookEvent = receiver.byTransaction.get(t.transactionId!);
      if (feedEvent === undefined) missingFeed += 1;
      else {
        const seen = consumer.seenAt.get(feedEvent)!;
        feedFromResponse.push(seen - t.respondedAt!);
        feedFromSend.push(seen - t.sentAt);
      }
      if (hookEvent === undefined) missingHook += 1;
      else {
        const got = receiver.firstArrival.get(hookEvent)!;
        hookFromResponse.push(got - t.respondedAt!);
        hookFromSend.push(got - t.sentAt);
      }
      if (feedEvent !== undefined && hookEvent !== undefined && feedEvent !== hookEvent)
        mismatched += 1;
    }

    // Exactly once and in feed order, for the webhook's deliveries during and after the load.
    const loadArrivals = receiver.arrivals.slice(arrivalsBefore);
    const counts = new Map<string, number>();
    for (const a of loadArrivals) counts.set(a.eventId, (counts.get(a.eventId) ?? 0) + 1);
    const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0);
    const loadEventIds = new Set(
      ok.map((t) => consumer!.byTransaction.get(t.transactionId!)).filter(Boolean),
    );
    const notExactlyOnce = [...loadEventIds].filter((id) => counts.get(id!) !== 1).length;
    const feedOrderIndex = new Map(consumer.order.map((id, i) => [id, i]));
    const hookOrder = [...new Set(loadArrivals.map((a) => a.eventId))].filter((id) =>
      feedOrderIndex.has(id),
    );
    let outOfOrder = 0;
    for (let i = 1; i < hookOrder.length; i++)
      if (feedOrderIndex.get(hookOrder[i]!)! < feedOrderIndex.get(hookOrder[i - 1]!)!)
        outOfOrder += 1;
    // The webhook's service time: gaps between consecutive first deliveries when the next event
    // was already in the feed before the previous one arrived (the worker had work waiting).
    const firstSeen = new Set<string>();
    const firsts = loadArrivals.filter(
      (a) => !firstSeen.has(a.eventId) && firstSeen.add(a.eventId),
    );
    const busyGaps: number[] = [];
    for (let i = 1; i < firsts.length; i++) {
      const visible = consumer.seenAt.get(firsts[i]!.eventId);
      if (visible !== undefined && visible <= firsts[i - 1]!.atMs)
        busyGaps.push(firsts[i]!.atMs - firsts[i - 1]!.atMs);
    }
    const busy = figures(busyGaps);
    const busyMean = busyGaps.reduce((sum, g) => sum + g, 0) / Math.max(1, busyGaps.length);
    // Every event the feed served (from the cursor on) must have reached the webhook too.
    const feedNotDelivered = consumer.order.filter((id) => !receiver!.firstArrival.has(id)).length;

    // Per second of the load (by send time): where in the run the latency was.
    const seconds: { topups: number[]; feed: number[]; hook: number[] }[] = [];
    for (const t of ok) {
      const second = Math.floor((t.sentAt - run.startedAt) / 1000);
      const bucket = (seconds[second] ??= { topups: [], feed: [], hook: [] });
      bucket.topups.push(t.respondedAt! - t.sentAt);
      const feedEvent = consumer.byTransaction.get(t.transactionId!);
      const hookEvent = receiver.byTransaction.get(t.transactionId!);
      if (feedEvent !== undefined)
        bucket.feed.push(consumer.seenAt.get(feedEvent)! - t.respondedAt!);
      if (hookEvent !== undefined)
        bucket.hook.push(receiver.firstArrival.get(hookEvent)! - t.respondedAt!);
    }
    const feed = figures(feedFromResponse);
    const feedSend = figures(feedFromSend);
    const hook = figures(hookFromResponse);
    const hookSend = figures(hookFromSend);
    const mut = figures(mutation);
    const hist =
      histogramAfter === undefined ? undefined : histogramDelta(histogramAfter, histogramBefore);
    const loadS = (loadEnded - run.startedAt) / 1000;
    const gatewayCpu =
      cpuBefore !== undefined && cpuAfter !== undefined
        ? `${Math.round(((cpuAfter - cpuBefore) / loadS) * 100)}% of one core`
        : 'n/a';
    const loadAfter = os.loadavg();
    const pageFigures = figures(consumer.pageMs);

    const feedPass = feed.p99 < feedTargetMs && rate >= 200;
    const hookPass = hook.p99 < webhookTargetMs && rate >= 200;
    const complete =
      failed.length === 0 &&
      missingFeed === 0 &&
      missingHook === 0 &&
      mismatched === 0 &&
      notExactlyOnce === 0 &&
      outOfOrder === 0 &&
      feedNotDelivered === 0 &&
      receiver.badSignatures === 0;

    const lines: string[] = [];
    const out = (line = '') => lines.push(line);
    out(
      `# Event feed and webhook latency, ${startedWall.toISOString().slice(0, 16)}Z (npm run bench:feed)`,
    );
    out();
    out(
      `Gateway: one child process, NODE_ENV=${gateway.nodeEnv}, WEBHOOK_ALLOWED_HOSTS=127.0.0.1; ${db.description}, PostgreSQL ${db.serverVersion}. ` +
        `Machine: ${os.cpus().length} cores, load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ` +
        `${loadAfter.map((l) => l.toFixed(2)).join(' ')} after (shared with other work: figures are noisy).`,
    );
    out();
    out(
      `Load: ${rate} topups/s open loop for ${durationS} s over ${connections} keep-alive connections, round-robin over ${walletCount} wallets; ` +
        `feed consumer pages of ${pageSize}, polling every ${pollMs} ms when caught up; one webhook to a receiver in the bench process.`,
    );
    out();
    out('| | value |');
    out('|---|---|');
    out(`| topups sent / ok / failed | ${run.topups.length} / ${ok.length} / ${failed.length} |`);
    out(
      `| send rate / achieved rate (ok responses per second, first send to last response) | ${sendRate.toFixed(1)}/s / ${achievedRate.toFixed(1)}/s |`,
    );
    out(`| largest lateness of a send behind its schedule | ${ms(run.maxSlipMs)} |`);
    out(
      `| topup response time p50 / p99 / max | ${ms(mut.p50)} / ${ms(mut.p99)} / ${ms(mut.max)} |`,
    );
    out(`| gateway CPU during the load | ${gatewayCpu} |`);
    out(
      `| bench process event-loop delay p99 / max (beyond the ${loopResolutionMs} ms sampling interval) | ${ms(loopDelay.percentile(99) / 1e6 - loopResolutionMs)} / ${ms(loopDelay.max / 1e6 - loopResolutionMs)} |`,
    );
    out(
      `| feed pages read / page time p50 / p99 | ${consumer.pages} / ${ms(pageFigures.p50)} / ${ms(pageFigures.p99)} (${consumer.errors} errors) |`,
    );
    out(`| wait for the last events after the load | ${ms(drainMs)} |`);
    out();
    out('| latency | events | p50 | p99 | max | seen before the response |');
    out('|---|---|---|---|---|---|');
    const row = (name: string, f: Figures) =>
      out(`| ${name} | ${f.count} | ${ms(f.p50)} | ${ms(f.p99)} | ${ms(f.max)} | ${f.negative} |`);
    row('feed lag, from the topup response', feed);
    row('feed lag, from the request sent', feedSend);
    row('webhook delivery, from the topup response', hook);
    row('webhook delivery, from the request sent', hookSend);
    out();
    out('Per second of the load (topups by send time; latencies from the response):');
    out();
    out('| second | topups | response p99 | feed lag p99 | webhook p50 | webhook max |');
    out('|---|---|---|---|---|---|');
    seconds.forEach((bucket, second) => {
      const r = figures(bucket.topups);
      const f = figures(bucket.feed);
      const h = figures(bucket.hook);
      out(
        `| ${second} | ${r.count} | ${r.p99.toFixed(0)} | ${f.p99.toFixed(0)} | ${h.p50.toFixed(0)} | ${h.max.toFixed(0)} |`,
      );
    });
    out();
    out('Completeness and order:');
    out();
    out(
      `- topups whose event the feed did not serve: ${missingFeed}; the webhook did not deliver: ${missingHook}`,
    );
    out(`- feed and webhook naming different events for one transaction: ${mismatched}`);
    out(
      `- webhook deliveries during the load: ${loadArrivals.length}; duplicates: ${duplicates}; load events not delivered exactly once: ${notExactlyOnce}`,
    );
    out(
      `- webhook deliveries out of feed order: ${outOfOrder}; feed events never delivered: ${feedNotDelivered}`,
    );
    out(
      `- bad signatures: ${receiver.badSignatures}; failed delivery attempts (gateway counter): ${attemptsFailed}`,
    );
    out();
    out('Gateway metrics (/metrics):');
    out();
    out(
      `- wallet_events_feed_lag_seconds: max ${(lagGaugeMax * 1000).toFixed(0)} ms over scrapes every ${scrapeMs} ms during the load, ${lagGaugeEnd ? `${(lagGaugeEnd.value * 1000).toFixed(0)} ms` : 'absent'} at the end`,
    );
    out(`- wallet_webhook_pending_events: max ${pendingMax} during the load`);
    if (requests && requests.count > 0)
      out(
        `- wallet_webhook_request_duration_seconds (one POST, connect to answer): ${requests.count} requests, mean ${ms((requests.sum / requests.count) * 1000)}, p99 <= ${histogramQuantile(requests, 99)} s`,
      );
    if (hist && hist.count > 0)
      out(
        `- wallet_webhook_delivery_latency_seconds (event commit to 2xx, load and drain only): ${hist.count} events, mean ${ms((hist.sum / hist.count) * 1000)}, ` +
          `p50 <= ${histogramQuantile(hist, 50)} s, p99 <= ${histogramQuantile(hist, 99)} s (bucket bounds); ` +
          `buckets ${hist.buckets.map((b) => `${b.le === Infinity ? '+Inf' : b.le}:${b.count}`).join(' ')}`,
      );
    else out('- wallet_webhook_delivery_latency_seconds: absent');
    out();
    out('Where webhook time goes:');
    out();
    out(
      `- one webhook's deliveries while events were waiting for it: ${busy.count} gaps between consecutive deliveries, ` +
        `p50 ${ms(busy.p50)}, mean ${ms(busyMean)}, p99 ${ms(busy.p99)}: at most ${(1000 / busyMean).toFixed(0)} events/s to one webhook (the topups came at ${rate}/s)`,
    );
    out(
      `- the database's share of one cursor advance: a durable single-row UPDATE from a direct client, after the load: ` +
        `p50 ${ms(commits.p50)}, p99 ${ms(commits.p99)} over ${commits.count}`,
    );
    out();
    out('Targets:');
    out();
    out(
      `- feed lag p99 < ${feedTargetMs} ms at 200 topups/s: ${feedPass ? 'PASS' : 'FAIL'} (${ms(feed.p99)} at ${rate}/s, achieved ${achievedRate.toFixed(1)}/s)`,
    );
    out(
      `- webhook delivery p99 < ${webhookTargetMs} ms: ${hookPass ? 'PASS' : 'FAIL'} (${ms(hook.p99)})`,
    );
    out(
      `- every topup succeeded and its event was served once by the feed and delivered exactly once, in feed order: ${complete ? 'PASS' : 'FAIL'}`,
    );
    if (gatewayLog.length > 0) {
      out();
      out(`Gateway log lines during the run (${gatewayLog.length}, first 10):`);
      out();
      out('```');
      for (const line of gatewayLog.slice(0, 10)) out(line.slice(0, 400));
      out('```');
    }
    const report = lines.join('\n');
    console.log(`\n${report}\n`);

    if (process.env.BENCH_FEED_RESULTS !== '0') {
      const dir = path.join(projectRoot(), 'bench', 'results');
      await fs.mkdir(dir, { recursive: true });
      const stamp = startedWall.toISOString().slice(0, 19).replace(/:/g, '-');
      const file = path.join(dir, `${stamp}Z-feed.md`);
      await fs.writeFile(file, `${report}\n`);
      log(`results written to ${path.relative(process.cwd(), file)}`);
    }
    return complete ? 0 : 1;
  } finally {
    await consumer?.stop().catch(() => undefined);
    await receiver?.close().catch(() => undefined);
    topupAgent.destroy();
    feedAgent.destroy();
    await gateway?.stop();
    await db.drop();
  }
}

runScript(main);
