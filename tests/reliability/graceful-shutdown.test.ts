// Proves that SIGTERM under load lets every in-flight mutation the gateway had begun finish, commit and answer, refuses new work before anything runs, closes websockets with 1001 and exits 0 within a bound; no unanswered request's key is used.
import { mintTokens, startChildGateway, useChildGatewayFixture } from '../support/child-gateway';
import { collect, wsClient } from '../support/subscriptions';
import {
  Bookkeeper,
  classify,
  findAllBreaches,
  httpSender,
  type Answer,
} from '../support/workload';
import { inputMutation } from '../support/documents';

/** SIGTERM to exit: in-flight work is a few transactions, the websocket close is immediate. */
const exitBoundMs = 10_000;

const fx = useChildGatewayFixture('rel_shutdown');

it('SIGTERM under load: in-flight mutations commit and answer, new ones are refused, websockets close with 1001, exit 0', async () => {
  const tokens = await mintTokens(['shutdown-client']);
  fx.gateway = await startChildGateway({
    databaseUrl: fx.testDb.connectionString,
    env: { DB_POOL_MAX: '8' },
  });
  const send = httpSender(() => fx.gateway!.url, tokens, 20_000);
  const book = new Bookkeeper();

  // A live subscriber, to see how websockets are closed.
  const ws = wsClient(fx.gateway.url.replace(/^http/, 'ws'), tokens.get('shutdown-client'), {
    lazy: false,
  });
  const stream = collect(ws.client, { userId: 'sd-0', asset: 'GOLD_COINS' });

  let sigtermAtMs = Number.POSITIVE_INFINITY;
  const requests: { sentMs: number; answeredMs: number; answer: Answer; raw: unknown }[] = [];
  let stop = false;
  let n = 0;
  const worker = async (w: number) => {
    while (!stop) {
      const key = `sd-${w}-${n++}`;
      const variables = {
        input: { userId: `sd-${w % 4}`, asset: 'GOLD_COINS', amount: '3', idempotencyKey: key },
      };
      const record = book.open('shutdown-client', key, 'topup', [
        {
          variables,
          expectTransaction: {
            kind: 'TOPUP',
            user_id: `sd-${w % 4}`,
            asset_code: 'GOLD_COINS',
            amount: '3',
          },
        },
      ]);
      const sentMs = Date.now();
      const raw = await send(
        'shutdown-client',
        inputMutation('topup', `replayed transaction { id }`),
        variables,
      );
      const answer = classify('topup', raw);
      book.record(record, 0, answer);
      requests.push({ sentMs, answeredMs: Date.now(), answer, raw });
      // After the gateway went away there is nothing more to learn.
      if (answer.kind === 'unknown' && Date.now() > sigtermAtMs)
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const load = Promise.all(Array.from({ length: 16 }, (_, w) => worker(w)));
  // Let the load run until the subscriber has seen live changes (bounded; slow on a loaded machine).
  const warmUntilMs = Date.now() + 30_000;
  await new Promise((resolve) => setTimeout(resolve, 1500));
  while (stream.events.length === 0 && Date.now() < warmUntilMs)
    await new Promise((resolve) => setTimeout(resolve, 100));
  expect(stream.events.length).toBeGreaterThan(0);

  // graphql-ws reports the server's close of the stream on console.error; it is expected here.
  jest.spyOn(console, 'error').mockImplementation(() => undefined);
  sigtermAtMs = Date.now();
  fx.gateway.kill('SIGTERM');
  const exit = await Promise.race([
    fx.gateway.exited,
    new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), exitBoundMs + 5000)),
  ]);
  const exitMs = Date.now() - sigtermAtMs;
  stop = true;
  await load;

  try {
    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitMs).toBeLessThan(exitBoundMs);
    // The websocket was closed by the server with 1001 (going away).
    expect(ws.closes.map((c) => c.code)).toContain(1001);

    // In flight at SIGTERM: sent before it, answered after it. Those the gateway had begun got their
    // real answer. One it had not read yet was refused before anything ran: it reached the gateway
    // in the same turn of its event loop as the signal, or after (SERVICE_UNAVAILABLE), or sat
    // unread in a kept-alive connection the drain closed as idle. Such a request's key was never
    // used (checked below with every unanswered one), and they are the exception (seen once in
    // CI: 1 of 16).
    const inFlight = requests.filter((r) => r.sentMs < sigtermAtMs && r.answeredMs >= sigtermAtMs);
    const unreadInFlight = inFlight
      .filter((r) => r.answer.kind !== 'success')
      .map((r) => ({ ...r.answer, sentBeforeSigtermMs: sigtermAtMs - r.sentMs }));
    for (const r of unreadInFlight) expect(r.kind).toBe('unknown');
    expect(unreadInFlight.length).toBeLessThanOrEqual(inFlight.length / 4);
    // Nothing was cut off mid-way: a request without an answer was never applied (checked below),
    // and none was answered with an internal error.
    const lost = requests.filter((r) => r.answer.kind === 'unknown');
    for (const r of requests) expect(r.answer.kind).not.toBe('unexpected');
    // Requests sent well after SIGTERM were refused (connection refused or SERVICE_UNAVAILABLE).
    const late = requests.filter((r) => r.sentMs > sigtermAtMs + 200);
    for (const r of late) expect(r.answer.kind).toBe('unknown');

    const breaches = await findAllBreaches(fx.database.prisma, book);
    expect(breaches).toEqual([]);
    const lostKeys = new Set(book.undecided().map((record) => record.key));
    const [applied] = await fx.database.prisma.$queryRawUnsafe<{ count: bigint }[]>(
      `SELECT COUNT(*) AS count FROM transactions WHERE client_id = 'shutdown-client' AND idempotency_key = ANY($1::text[])`,
      [...lostKeys],
    );
    expect(Number(applied!.count)).toBe(0);
    console.log(
      `graceful shutdown: ${JSON.stringify({ exitMs, sent: requests.length, inFlight: inFlight.length, unreadInFlight, lost: lost.length, late: late.length, ...book.stats(), wsCloses: ws.closes })}`,
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}\n--- gateway output ---\n${fx.gateway.output()}`);
  } finally {
    await ws.dispose();
  }
}, 120_000);
