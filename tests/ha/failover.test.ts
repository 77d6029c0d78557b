// Proves that with a pg_auto_failover primary and synchronous standby, repeated kill -9 of the primary (its keeper and postmaster) under 16 concurrent clients loses and doubles nothing: every acknowledged operation is in the ledger once, the feed has no gap or duplicate, a live subscription misses no entry, webhooks deliver every event, and writes resume on the promoted standby without a gateway restart.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/shared/db/database';
import { applyMigrations } from '../../src/shared/db/migrate';
import { createDatabase, type Database } from '../../src/shared/db/prisma';
import { findEventInvariantBreaches } from '../../src/app/invariants';
import {
  ensureBuilt,
  mintTokens,
  seedAssets,
  startChildGateway,
  type ChildGateway,
} from '../support/child-gateway';
import { inputMutation } from '../support/documents';
import { collect, wsClient, type WsClient } from '../support/subscriptions';
import { startReceiver, type Receiver } from '../support/webhook-receiver';
import {
  availableKinds,
  Bookkeeper,
  classify,
  deriveSeed,
  describeSeed,
  findAllBreaches,
  httpSender,
  planWorkload,
  reliabilitySeed,
  resolveUndecided,
  runWorkload,
  type Send,
} from '../support/workload';
import { startFormation, type Formation } from './formation';

const seed = reliabilitySeed();
const kills = Number(process.env.HA_KILLS ?? 5);
const clients = 16;
const portBase = Number(process.env.HA_PORT_BASE ?? 20_000 + Math.floor(Math.random() * 20_000));

let formation: Formation | undefined;
let database: Database | undefined;
let gateway: ChildGateway | undefined;
let receiver: Receiver | undefined;
let ws: WsClient | undefined;

beforeAll(async () => {
  ensureBuilt();
  formation = await startFormation(portBase);
  await applyMigrations(formation.url);
  database = createDatabase({
    connectionString: formation.url,
    poolMax: 4,
    connectTimeoutMs: 3000,
    statementTimeoutMs: 30_000,
  });
  await seedAssets(database.prisma);
}, 600_000);

afterAll(async () => {
  await ws?.dispose().catch(() => undefined);
  gateway?.kill('SIGKILL');
  await gateway?.exited;
  await receiver?.close();
  await database?.close();
  await formation?.destroy();
}, 120_000);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
}

/** Pages through the whole event feed as the admin; the ids in feed order. */
async function readFeed(send: Send, admin: string): Promise<string[]> {
  const ids: string[] = [];
  let after: string | null = null;
  for (;;) {
    const answer = (await send(
      admin,
      `query($after: String) { events(after: $after, first: 500) { edges { cursor node { id } } pageInfo { hasNextPage endCursor } } }`,
      { after },
    )) as { body?: any };
    const page = answer.body?.data?.events;
    if (!page) throw new Error(`feed page failed: ${JSON.stringify(answer)}`);
    for (const edge of page.edges) ids.push(edge.node.id);
    if (!page.pageInfo.hasNextPage) return ids;
    after = page.pageInfo.endCursor;
  }
}

it(`loses nothing across ${kills} kill -9s of the primary under ${clients} clients`, async () => {
  const names = Array.from({ length: clients }, (_, i) => `ha-client-${i}`);
  const tokens = new Map([
    ...(await mintTokens([...names, 'ha-probe', 'ha-live'])),
    ...(await mintTokens(['ha-admin'], 'admin')),
  ]);
  receiver = await startReceiver();
  gateway = await startChildGateway(
    {
      databaseUrl: formation!.url,
      env: {
        DB_CONNECT_TIMEOUT_MS: '1000',
        TX_MAX_WAIT_MS: '1500',
        DB_POOL_MAX: '10',
        WEBHOOK_ALLOWED_HOSTS: '127.0.0.1',
        WEBHOOK_POLL_INTERVAL_MS: '100',
        WEBHOOK_LEASE_MS: '2000',
        WEBHOOK_BACKOFF_BASE_MS: '100',
        WEBHOOK_BACKOFF_MAX_MS: '1000',
        LOG_LEVEL: process.env.RELIABILITY_GATEWAY_LOG_LEVEL ?? 'warn',
      },
    },
    60_000,
  );
  const send: Send = httpSender(() => gateway!.url, tokens, 20_000);
  const created = (await send(
    'ha-admin',
    `mutation($input: WebhookInput!) { createWebhook(input: $input) { id } }`,
    { input: { url: receiver.url } },
  )) as { body?: any };
  expect(created.body?.data?.createWebhook?.id).toBeTruthy();

  const users = ['ha-1', 'ha-2', 'ha-3', 'ha-4', 'ha-5', 'ha-6'];
  const assets = ['GOLD_COINS', 'DIAMONDS'];
  ws = wsClient(gateway.url.replace(/^http/, 'ws'), tokens.get('ha-live'), { lazy: false });
  // The live subscription watches a wallet the probe writes to on every recovery.
  const live: { sequence: string }[] = [];
  let stream = collect(ws.client, { userId: 'ha-probe', asset: 'GOLD_COINS', after: '0' });
  let resubscriptions = 0;
  const drainLive = () => {
    for (const event of stream.events.splice(0)) live.push(event.entry);
    if (stream.errors || stream.completed) {
      // A dropped subscription resumes after the last sequence it delivered.
      resubscriptions += 1;
      stream.unsubscribe();
      stream = collect(ws!.client, {
        userId: 'ha-probe',
        asset: 'GOLD_COINS',
        after: live.at(-1)?.sequence ?? '0',
      });
    }
  };

  const book = new Bookkeeper();
  let probeIndex = 0;
  const probe = async () => {
    const key = `ha-probe-${seed}-${probeIndex++}`;
    const variables = {
      input: { userId: 'ha-probe', asset: 'GOLD_COINS', amount: '1', idempotencyKey: key },
    };
    const record = book.open('ha-probe', key, 'topup', [
      {
        variables,
        expectTransaction: {
          kind: 'TOPUP',
          user_id: 'ha-probe',
          asset_code: 'GOLD_COINS',
          amount: '1',
        },
      },
    ]);
    const answer = classify(
      'topup',
      await send('ha-probe', inputMutation('topup', 'replayed transaction { id }'), variables),
    );
    book.record(record, 0, answer);
    return answer;
  };

  let done = false;
  const recoveredMs: number[] = [];
  const unavailableDuring: number[] = [];
  try {
    const load = runWorkload({
      plan: planWorkload({
        seed: deriveSeed(seed, 'ha-failover'),
        operations: 1_000_000,
        clients: names,
        users,
        assets,
        kinds: availableKinds(),
        expiresInMs: [60_000, 120_000],
      }),
      book,
      send,
      concurrency: clients,
      lostRetries: 1000,
      lostRetryDelayMs: 200,
      stop: () => done,
    });
    await sleep(3000);
    for (let kill = 0; kill < kills; kill += 1) {
      await formation!.command('wait-healthy', '240');
      await sleep(2000);
      const victim = await formation!.command('kill-primary');
      const killedAtMs = Date.now();
      let unavailable = 0;
      for (;;) {
        const answer = await probe();
        if (answer.kind === 'success') break;
        unavailable += 1;
        expect(Date.now() - killedAtMs).toBeLessThan(120_000);
        await sleep(100);
      }
      recoveredMs.push(Date.now() - killedAtMs);
      unavailableDuring.push(unavailable);
      // The standby was promoted; the old primary comes back and rejoins as the new standby.
      expect(await formation!.command('primary')).not.toBe(victim);
      await formation!.command('start-node', victim);
      console.log(
        `ha: kill ${kill + 1} (node ${victim}): writes again after ${recoveredMs.at(-1)} ms`,
      );
      drainLive();
    }
    await formation!.command('wait-healthy', '240');
    await sleep(2000);
    done = true;
    await load;
    await resolveUndecided({ book, send }, 60_000);
    await probe();

    const breaches = await findAllBreaches(database!.prisma, book, { allDecided: true });
    const eventBreaches = await findEventInvariantBreaches(database!.prisma);
    const expected = (
      await database!.pool.query<{ id: string }>(
        `SELECT e.id::text AS id FROM events e ORDER BY e.xact, e.id`,
      )
    ).rows.map((row) => row.id);
    const feed = await readFeed(send, 'ha-admin');
    await receiver.waitFor(
      () => receiver!.firstArrivals().length >= expected.length,
      120_000,
      'every event at the receiver',
    );
    const ledgerSequences = (
      await database!.pool.query<{ sequence: string }>(
        `SELECT le.sequence::text AS sequence FROM ledger_entries le
           JOIN wallets w ON w.id = le.wallet_id
          WHERE w.user_id = 'ha-probe' AND w.asset_code = 'GOLD_COINS' AND le.sequence IS NOT NULL
          ORDER BY le.sequence`,
      )
    ).rows.map((row) => row.sequence);
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      drainLive();
      if (live.length >= ledgerSequences.length) break;
      await sleep(100);
    }
    const stats = book.stats();
    const figures = {
      seed,
      kills,
      clients,
      recoveredMs,
      recoveredMsMedian: median(recoveredMs),
      recoveredMsMax: Math.max(...recoveredMs),
      unavailableProbes: unavailableDuring,
      keys: stats.keys,
      requests: stats.requests,
      acknowledged: stats.successes + stats.replays + stats.refusals,
      unknownAnswers: stats.unknownAnswers,
      lostAnswerRetries: stats.lostAnswerRetries,
      events: expected.length,
      webhookDeliveries: receiver.deliveries.length,
      liveEntries: live.length,
      resubscriptions,
      breaches: breaches.length,
    };
    console.log(`ha failover: ${JSON.stringify(figures)}`);
    if (process.env.HA_FIGURES_FILE)
      writeFileSync(
        path.resolve(projectRoot(), process.env.HA_FIGURES_FILE),
        `${JSON.stringify(figures, null, 2)}\n`,
      );

    expect(breaches).toEqual([]);
    expect(eventBreaches).toEqual([]);
    expect(feed).toEqual(expected);
    expect(receiver.firstArrivals()).toEqual(expected);
    expect(live.map((entry) => entry.sequence)).toEqual(ledgerSequences);
    expect(recoveredMs).toHaveLength(kills);
    expect(gateway.alive()).toBe(true);
  } catch (error) {
    done = true;
    throw new Error(
      `${describeSeed(seed, 'tests/ha/failover.test.ts')}\n${(error as Error).message}\n--- gateway output ---\n${gateway?.output()}`,
    );
  }
}, 1_200_000);
