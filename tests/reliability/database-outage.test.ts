// Proves that when the database goes away under load the gateway answers SERVICE_UNAVAILABLE within a bound, reports not ready, neither crashes nor leaks, serves again within 5 s of the database's return without a restart, and loses or doubles nothing.
import { promises as fs } from 'node:fs';
import { ensureDatabase, withDatabaseName } from '../../src/shared/db/database';
import {
  findFreePort,
  makeTempDataDir,
  startEmbeddedPostgres,
  type EmbeddedPostgresHandle,
} from '../../src/dev/embedded';
import { applyMigrations } from '../../src/shared/db/migrate';
import { createDatabase, type Database } from '../../src/shared/db/prisma';
import { findInvariantBreaches } from '../../src/app/invariants';
import { collect, wsClient } from '../support/subscriptions';
import {
  ensureBuilt,
  mintTokens,
  openFileDescriptors,
  seedAssets,
  startChildGateway,
  type ChildGateway,
} from '../support/child-gateway';
import {
  availableKinds,
  Bookkeeper,
  classify,
  lotFigures,
  reliabilitySize,
  deriveSeed,
  describeSeed,
  findAllBreaches,
  httpSender,
  planWorkload,
  reliabilitySeed,
  resolveUndecided,
  runWorkload,
  sized,
  type Send,
} from '../support/workload';
import { inputMutation } from '../support/documents';

const seed = reliabilitySeed();
const outages = sized('OUTAGES', 2, 6, 10);
/** The gateway's bounds while the database is away (DB_CONNECT_TIMEOUT_MS, TX_MAX_WAIT_MS). */
const connectTimeoutMs = 1000;
const txMaxWaitMs = 1500;
/** Every request must be answered within this while the database is down. */
const answerBoundMs = connectTimeoutMs + txMaxWaitMs + 1500;
const downMs = sized('OUTAGE_DOWN_MS', 3000, 6000);

let temp: { parentDir: string; dataDir: string };
let pgPort: number;
let pg: EmbeddedPostgresHandle | undefined;
let databaseUrl: string;
let database: Database;
let gateway: ChildGateway | undefined;

beforeAll(async () => {
  ensureBuilt();
  // A PostgreSQL of this file's own, so that stopping it does not touch the other test files.
  temp = await makeTempDataDir('wallet-rel-outage-');
  pgPort = await findFreePort();
  pg = await startEmbeddedPostgres({ dataDir: temp.dataDir, port: pgPort });
  await ensureDatabase(pg.connectionString, 'wallet');
  databaseUrl = withDatabaseName(pg.connectionString, 'wallet');
  await applyMigrations(databaseUrl);
  database = createDatabase({
    connectionString: databaseUrl,
    poolMax: 4,
    connectTimeoutMs: 3000,
    statementTimeoutMs: 30_000,
  });
  await seedAssets(database.prisma);
}, 180_000);

afterAll(async () => {
  gateway?.kill('SIGKILL');
  await gateway?.exited;
  await database?.close();
  await pg?.stop();
  if (temp) await fs.rm(temp.parentDir, { recursive: true, force: true });
}, 60_000);

async function timed<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const startedMs = Date.now();
  const value = await work();
  return { value, ms: Date.now() - startedMs };
}

async function httpStatus(url: string): Promise<number | string> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(10_000) })).status;
  } catch (error) {
    return (error as { cause?: { code?: string } }).cause?.code ?? 'no answer';
  }
}

it(
  `survives ${outages} database outages under load`,
  async () => {
    const clients = ['outage-client-a', 'outage-client-b', 'outage-probe'];
    const tokens = new Map([
      ...(await mintTokens(clients)),
      ...(await mintTokens(['outage-admin'], 'admin')),
    ]);
    gateway = await startChildGateway({
      databaseUrl,
      // The sweep runs often, so that the workload's expiring credits are swept (EXPIRY) between outages.
      env: {
        DB_CONNECT_TIMEOUT_MS: String(connectTimeoutMs),
        TX_MAX_WAIT_MS: String(txMaxWaitMs),
        DB_POOL_MAX: '8',
        HOLD_SWEEP_INTERVAL_MS: '500',
      },
    });
    const base = `http://127.0.0.1:${gateway.port}`;
    const send: Send = httpSender(() => `${base}/graphql`, tokens, 20_000);
    const users = ['o-1', 'o-2', 'o-3'];
    const assets = ['GOLD_COINS', 'DIAMONDS'];
    const plan = planWorkload({
      seed: deriveSeed(seed, 'database-outage'),
      operations: 1_000_000,
      clients: clients.slice(0, 2),
      users,
      assets,
      kinds: availableKinds(),
      // Lots expire well after an outage ends, so that the retries of a lost answer usually decide
      // the key before its expiresAt (after it, the retries answer lapsed and the key stays unused).
      expiresInMs: [
        sized('EXPIRES_MIN_MS', 10_000, 10_000),
        sized('EXPIRES_MAX_MS', 20_000, 20_000),
      ],
    });
    const book = new Bookkeeper();
    let done = false;
    let probeIndex = 0;
    /** A topup with a fresh key from the probe client, recorded like any other request. */
    const probe = async () => {
      const key = `probe-${seed}-${probeIndex++}`;
      const variables = {
        input: { userId: 'o-probe', asset: 'GOLD_COINS', amount: '1', idempotencyKey: key },
      };
      const record = book.open('outage-probe', key, 'topup', [
        {
          variables,
          expectTransaction: {
            kind: 'TOPUP',
            user_id: 'o-probe',
            asset_code: 'GOLD_COINS',
            amount: '1',
          },
        },
      ]);
      const answer = classify(
        'topup',
        await send(
          'outage-probe',
          inputMutation('topup', `replayed transaction { id }`),
          variables,
        ),
      );
      book.record(record, 0, answer);
      return answer;
    };
    const figures: Record<string, number[]> = { answerMs: [], readyzMs: [], recoveredMs: [] };
    try {
      const load = runWorkload({
        plan,
        book,
        send,
        concurrency: sized('OUTAGE_CLIENTS', 8, 24),
        lostRetries: 1000,
        lostRetryDelayMs: 100,
        stop: () => done,
        admin: {
          client: 'outage-admin',
          seed: deriveSeed(seed, 'database-outage:admin'),
          users,
          assets,
        },
      });
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const fdsBefore = openFileDescriptors(gateway.child.pid!);

      for (let outage = 0; outage < outages; outage += 1) {
        await pg!.stop();
        pg = undefined;
        const downUntil = Date.now() + downMs;
        while (Date.now() < downUntil) {
          const mutation = await timed(probe);
          expect(mutation.value).toEqual({ kind: 'unknown', reason: 'SERVICE_UNAVAILABLE' });
          expect(mutation.ms).toBeLessThan(answerBoundMs);
          const query = await timed(() =>
            send('outage-probe', `{ balance(userId: "o-1", asset: "GOLD_COINS") { balance } }`, {}),
          );
          expect(query.ms).toBeLessThan(answerBoundMs);
          expect((query.value as { body: any }).body?.errors?.[0]?.extensions?.code).toBe(
            'SERVICE_UNAVAILABLE',
          );
          const readyz = await timed(() => httpStatus(`${base}/readyz`));
          expect(readyz.value).toBe(503);
          expect(readyz.ms).toBeLessThan(answerBoundMs);
          expect(await httpStatus(`${base}/healthz`)).toBe(200);
          expect(gateway.alive()).toBe(true);
          figures.answerMs!.push(mutation.ms, query.ms);
          figures.readyzMs!.push(readyz.ms);
        }

        pg = await startEmbeddedPostgres({ dataDir: temp.dataDir, port: pgPort });
        const upMs = Date.now();
        for (;;) {
          const answer = await probe();
          if (answer.kind === 'success') break;
          expect(Date.now() - upMs).toBeLessThan(5000);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        figures.recoveredMs!.push(Date.now() - upMs);
        expect(await httpStatus(`${base}/readyz`)).toBe(200);
        // Let the load run on the recovered database before the next outage.
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }

      done = true;
      await load;
      await resolveUndecided({ book, send });
      const breaches = await findAllBreaches(database.prisma, book, { allDecided: true });
      const stats = book.stats();
      // Idle keep-alive sockets of the clients close after the server's keep-alive timeout (5 s).
      await new Promise((resolve) => setTimeout(resolve, 6000));
      const fdsAfter = openFileDescriptors(gateway.child.pid!);
      const [connections] = await database.prisma.$queryRaw<{ count: bigint }[]>`
      SELECT COUNT(*) AS count FROM pg_stat_activity WHERE application_name = 'wallet-gateway' AND datname = current_database()`;
      console.log(
        `database outage: ${JSON.stringify({
          seed,
          outages,
          fdsBefore,
          fdsAfter,
          gatewayConnections: Number(connections!.count),
          answerMsMax: Math.max(...figures.answerMs!),
          readyzMsMax: Math.max(...figures.readyzMs!),
          recoveredMs: figures.recoveredMs,
          ...stats,
          ...(await lotFigures(database.prisma, book)),
        })}`,
      );
      expect(breaches).toEqual([]);
      expect(gateway.alive()).toBe(true);
      // No leaked connections or sockets: the pool is bounded (8 connections, plus the test's own
      // pool of 4 under the same application name), and the open descriptors are back near where
      // they were before the outages.
      expect(Number(connections!.count)).toBeLessThanOrEqual(8 + 4 + 2);
      if (fdsBefore !== undefined && fdsAfter !== undefined)
        expect(fdsAfter).toBeLessThanOrEqual(fdsBefore + 12);
    } catch (error) {
      done = true;
      throw new Error(
        `${describeSeed(seed, 'tests/reliability/database-outage.test.ts')}\n${(error as Error).message}\n--- gateway output ---\n${gateway?.output()}`,
      );
    }
  },
  reliabilitySize === 'goal' ? 2_700_000 : 600_000,
);

it('a dropped LISTEN connection loses no live event', async () => {
  const tokens = await mintTokens(['listen-client']);
  const listenGateway = await startChildGateway({ databaseUrl });
  const send = httpSender(() => listenGateway.url, tokens);
  const ws = wsClient(listenGateway.url.replace(/^http/, 'ws'), tokens.get('listen-client'), {
    lazy: false,
  });
  const topup = async (i: number) => {
    const answer = classify(
      'topup',
      await send('listen-client', inputMutation('topup', `replayed transaction { id }`), {
        input: {
          userId: 'listen-user',
          asset: 'GOLD_COINS',
          amount: '5',
          idempotencyKey: `listen-${seed}-${i}`,
        },
      }),
    );
    expect(answer).toMatchObject({ kind: 'success' });
  };
  try {
    const stream = collect(ws.client, { userId: 'listen-user', asset: 'GOLD_COINS', after: '0' });
    await topup(0);
    await stream.waitForCount(1);
    // Materialized first, so that the planner cannot call pg_terminate_backend on other rows.
    const terminated = await database.prisma.$queryRaw<{ pid: number }[]>`
      WITH listener AS MATERIALIZED (
        SELECT pid FROM pg_stat_activity WHERE application_name = 'wallet-gateway-listener' AND datname = current_database())
      SELECT pid FROM listener WHERE pg_terminate_backend(pid)`;
    expect(terminated.length).toBeGreaterThan(0);
    for (let i = 1; i <= 5; i += 1) await topup(i);
    const events = await stream.waitForCount(6, 10_000);
    expect(events.map((event: any) => event.entry.sequence)).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
    ]);
    expect(await httpStatus(`http://127.0.0.1:${listenGateway.port}/readyz`)).toBe(200);
    await assertLedgerInvariants();
  } finally {
    await ws.dispose();
    listenGateway.kill('SIGKILL');
    await listenGateway.exited;
  }
}, 120_000);

async function assertLedgerInvariants(): Promise<void> {
  const breaches = await findInvariantBreaches(database.prisma);
  expect(breaches).toEqual([]);
}
