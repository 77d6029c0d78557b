// Proves that SIGKILLing the gateway process at random moments under load loses nothing and applies nothing twice: every acknowledged mutation is in the ledger exactly once, and retries of lost answers apply at most once.
import { findFreePort } from '../../src/dev/embedded';
import { findEventInvariantBreaches } from '../../src/app/invariants';
import { mintTokens, startChildGateway, useChildGatewayFixture } from '../support/child-gateway';
import {
  availableKinds,
  Bookkeeper,
  lotFigures,
  reliabilitySize,
  deriveSeed,
  describeSeed,
  findAllBreaches,
  httpSender,
  planWorkload,
  Random,
  reliabilitySeed,
  resolveUndecided,
  runWorkload,
  sized,
} from '../support/workload';

const seed = reliabilitySeed();
const kills = sized('KILLS', 20, 60, 100);
/** The sweep runs often, so that the workload's expiring credits are swept (EXPIRY) between the kills. */
const gatewayEnv = { DB_POOL_MAX: '8', HOLD_SWEEP_INTERVAL_MS: '500' };
const fx = useChildGatewayFixture('rel_kill');

it(
  `survives ${kills} SIGKILLs under load with every promise kept`,
  async () => {
    const random = new Random(deriveSeed(seed, 'process-kill:timing'));
    const clients = ['kill-client-a', 'kill-client-b'];
    const tokens = new Map([
      ...(await mintTokens(clients)),
      ...(await mintTokens(['kill-admin'], 'admin')),
    ]);
    const port = await findFreePort();
    fx.gateway = await startChildGateway({
      databaseUrl: fx.testDb.connectionString,
      port,
      env: gatewayEnv,
    });
    const users = ['k-1', 'k-2', 'k-3'];
    const assets = ['GOLD_COINS'];
    const plan = planWorkload({
      seed: deriveSeed(seed, 'process-kill'),
      operations: 1_000_000,
      clients,
      users,
      assets,
      kinds: availableKinds(),
      // Lots expire well after a restart, so that the retries of a lost answer usually decide the
      // key before its expiresAt (after it, the retries answer lapsed and the key stays unused).
      expiresInMs: [sized('EXPIRES_MIN_MS', 6000, 6000), sized('EXPIRES_MAX_MS', 15_000, 15_000)],
    });
    const book = new Bookkeeper();
    const send = httpSender(() => `http://127.0.0.1:${port}/graphql`, tokens, 10_000);
    let done = false;
    let killed = 0;
    const startedMs = Date.now();
    try {
      // Lost answers are retried with the same key while the gateway restarts.
      const load = runWorkload({
        plan,
        book,
        send,
        concurrency: sized('KILL_CLIENTS', 8, 24),
        lostRetries: 200,
        lostRetryDelayMs: 100,
        stop: () => done,
        admin: {
          client: 'kill-admin',
          seed: deriveSeed(seed, 'process-kill:admin'),
          users,
          assets,
        },
      });
      for (killed = 0; killed < kills;) {
        await new Promise((resolve) => setTimeout(resolve, random.int(150, 700)));
        fx.gateway.kill('SIGKILL');
        const exit = await fx.gateway.exited;
        expect(exit.signal).toBe('SIGKILL');
        killed += 1;
        fx.gateway = await startChildGateway({
          databaseUrl: fx.testDb.connectionString,
          port,
          env: gatewayEnv,
        });
      }
      done = true;
      await load;
      await resolveUndecided({ book, send });
      const breaches = await findAllBreaches(fx.database.prisma, book, { allDecided: true });
      const stats = book.stats();
      console.log(
        `process kill: ${JSON.stringify({ seed, ms: Date.now() - startedMs, kills: killed, ...stats, ...(await lotFigures(fx.database.prisma, book)) })}`,
      );
      expect(breaches).toEqual([]);
      // The outbox agrees with the ledger: one TRANSACTION event per committed transaction.
      expect(await findEventInvariantBreaches(fx.database.prisma)).toEqual([]);
      // The kills really cut requests off, and their retries found out what had happened.
      expect(stats.unknownAnswers).toBeGreaterThan(0);
      expect(stats.lostAnswerRetries).toBeGreaterThan(0);
      expect(stats.successes).toBeGreaterThan(kills);
    } catch (error) {
      done = true;
      throw new Error(
        `${describeSeed(seed, 'tests/reliability/process-kill.test.ts')}\n${(error as Error).message}\n--- gateway output ---\n${fx.gateway?.output()}`,
      );
    }
  },
  reliabilitySize === 'goal' ? 2_700_000 : 600_000,
);
