// Proves the typed client (generated documents, bigint amounts, typed errors, idempotent retries, resuming subscriptions) against a real gateway over HTTP and graphql-ws.
import WebSocket from 'ws';
import {
  createWalletClient,
  newIdempotencyKey,
  withRetries,
  WalletApiError,
  type BalanceChange,
  type WalletClient,
} from '../../src/client/wallet-client';
import { BalancesDocument } from '../../src/client/generated/graphql';
import { sampleValue, scrape } from '../support/metrics-text';
import { useTestGateway } from '../support/use-test-gateway';

let server: WalletClient;
const t = useTestGateway('typed-client', { beforeStop: async () => server?.close() });
beforeAll(async () => {
  server = createWalletClient({ url: t.url, token: t.tokens.server, webSocketImpl: WebSocket });
});

/** Resolves once `count` changes arrived (or rejects on a subscription error or after 10 s). */
function collect(
  client: WalletClient,
  options: Parameters<WalletClient['onBalanceChanged']>[0],
  count: number,
) {
  const changes: BalanceChange[] = [];
  let stop = () => undefined as void;
  const done = new Promise<BalanceChange[]>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`only ${changes.length} of ${count} changes arrived`)),
      10_000,
    );
    stop = client.onBalanceChanged(options, {
      next(change) {
        changes.push(change);
        if (changes.length === count) {
          clearTimeout(timer);
          resolve(changes);
        }
      },
      error(error) {
        clearTimeout(timer);
        reject(error);
      },
    });
  });
  return { done, stop: () => stop(), changes };
}

describe('typed client over HTTP', () => {
  it('moves money with bigint amounts and reads balances and ledger pages back', async () => {
    const big = 2n ** 62n + 7n; // beyond 2^53: would lose precision as a JS number
    const topup = await server.topup({
      userId: 'tc-1',
      asset: 'GOLD_COINS',
      amount: big,
      idempotencyKey: newIdempotencyKey('tc'),
      reference: 'order-1',
    });
    expect(topup.replayed).toBe(false);
    expect(topup.wallet.balance).toBe(big);
    expect(topup.transaction.amount).toBe(big);
    expect(topup.transaction.entries.map((e) => e.amount)).toEqual([big, big]);
    await server.spend({
      userId: 'tc-1',
      asset: 'GOLD_COINS',
      amount: 7n,
      idempotencyKey: newIdempotencyKey('tc'),
    });

    const wallet = await server.balance('tc-1', 'GOLD_COINS');
    expect(wallet).toMatchObject({
      userId: 'tc-1',
      balance: 2n ** 62n,
      available: 2n ** 62n,
      lastSequence: 2n,
      asset: { code: 'GOLD_COINS' },
    });
    const all = await server.balances('tc-1');
    expect(all.find((w) => w.asset.code === 'GOLD_COINS')!.balance).toBe(2n ** 62n);

    const first = await server.ledger('tc-1', { first: 1 });
    expect(first.entries).toHaveLength(1);
    expect(first.entries[0]).toMatchObject({
      kind: 'SPEND',
      direction: 'DEBIT',
      amount: 7n,
      sequence: 2n,
      balanceAfter: 2n ** 62n,
    });
    expect(first.hasNextPage).toBe(true);
    const second = await server.ledger('tc-1', { first: 1, after: first.endCursor! });
    expect(second.entries[0]).toMatchObject({
      kind: 'TOPUP',
      sequence: 1n,
      transaction: { reference: 'order-1' },
    });
    expect(second.hasNextPage).toBe(false);

    const transaction = await server.transaction(topup.transaction.id);
    expect(transaction?.amount).toBe(big);
    // Any generated document can be sent as it is, fully typed.
    const raw = await server.request(BalancesDocument, { userId: 'tc-1' });
    expect(raw.balances.find((w) => w.asset.code === 'GOLD_COINS')!.balance).toBe(
      (2n ** 62n).toString(),
    );
  });

  it('throws WalletApiError with the contract code, retryable only where a retry can help', async () => {
    const refused = await server
      .spend({
        userId: 'tc-poor',
        asset: 'GOLD_COINS',
        amount: 1n,
        idempotencyKey: newIdempotencyKey(),
      })
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WalletApiError);
    expect(refused).toMatchObject({ code: 'INSUFFICIENT_FUNDS', retryable: false });
    const unknown = await server.balance('tc-poor', 'NO_SUCH_ASSET').catch((e: unknown) => e);
    expect(unknown).toMatchObject({ code: 'NOT_FOUND', retryable: false });
    const anonymous = createWalletClient({ url: t.url, token: 'not-a-jwt' });
    expect(await anonymous.assets().catch((e: unknown) => e)).toMatchObject({
      code: 'UNAUTHENTICATED',
    });
    const player = createWalletClient({ url: t.url, token: await t.tokens.player('tc-player') });
    expect(
      await player
        .topup({
          userId: 'tc-player',
          asset: 'GOLD_COINS',
          amount: 5n,
          idempotencyKey: newIdempotencyKey(),
        })
        .catch((e: unknown) => e),
    ).toMatchObject({ code: 'FORBIDDEN' });
    const unreachable = createWalletClient({
      url: 'http://127.0.0.1:9/graphql',
      token: t.tokens.server,
    });
    expect(await unreachable.assets().catch((e: unknown) => e)).toMatchObject({
      code: 'NETWORK_ERROR',
      retryable: true,
    });
  });

  it('retries with one idempotency key: the movement happens once, the retry replays it', async () => {
    const idempotencyKey = newIdempotencyKey('purchase');
    let attempts = 0;
    // The first attempt's answer is "lost" after the gateway applied it, as on a network timeout.
    const result = await withRetries(
      async () => {
        attempts += 1;
        const answer = await server.topup({
          userId: 'tc-retry',
          asset: 'DIAMONDS',
          amount: 40n,
          idempotencyKey,
        });
        if (attempts === 1) throw new WalletApiError('NETWORK_ERROR', 'simulated lost answer');
        return answer;
      },
      { baseDelayMs: 1 },
    );
    expect(attempts).toBe(2);
    expect(result.replayed).toBe(true);
    expect((await server.balance('tc-retry', 'DIAMONDS')).balance).toBe(40n);
    // A final code is not retried.
    let spends = 0;
    await expect(
      withRetries(() => {
        spends += 1;
        return server.spend({
          userId: 'tc-retry',
          asset: 'DIAMONDS',
          amount: 1000n,
          idempotencyKey: newIdempotencyKey(),
        });
      }),
    ).rejects.toMatchObject({ code: 'INSUFFICIENT_FUNDS' });
    expect(spends).toBe(1);
  });
});

describe('typed client subscriptions', () => {
  it('delivers balance changes as bigint, resuming after a given sequence', async () => {
    const userId = 'tc-live';
    await server.topup({
      userId,
      asset: 'GOLD_COINS',
      amount: 100n,
      idempotencyKey: newIdempotencyKey(),
    });
    const before = await server.balance(userId, 'GOLD_COINS');
    const player = createWalletClient({
      url: t.url,
      token: await t.tokens.player(userId),
      webSocketImpl: WebSocket,
    });
    try {
      const lagCount = async () =>
        sampleValue((await scrape(t.url)).samples, 'wallet_notification_lag_seconds_count') ?? 0;
      const lagBefore = await lagCount();
      // From sequence 0: the existing entry is replayed first, then the live ones follow.
      const live = collect(player, { userId, asset: 'GOLD_COINS', afterSequence: 0n }, 3);
      // The subscription is established once the replayed entry has arrived.
      while (live.changes.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
      await server.topup({
        userId,
        asset: 'GOLD_COINS',
        amount: 20n,
        idempotencyKey: newIdempotencyKey(),
      });
      await server.spend({
        userId,
        asset: 'GOLD_COINS',
        amount: 30n,
        idempotencyKey: newIdempotencyKey(),
      });
      const changes = await live.done;
      live.stop();
      expect(changes.map((c) => c.entry.sequence)).toEqual([1n, 2n, 3n]);
      expect(changes.map((c) => c.wallet.balance)).toEqual([100n, 120n, 90n]);
      expect(changes[0]!.entry.sequence).toBe(before.lastSequence);
      expect(changes[2]!.entry).toMatchObject({ kind: 'SPEND', direction: 'DEBIT', amount: 30n });
      // Notification lag is timed for the two live changes, not for the replayed history.
      expect((await lagCount()) - lagBefore).toBe(2);
    } finally {
      await player.close();
    }
  });

  it('reconnects after a dropped websocket and resumes after the last delivered sequence, nothing missed or repeated', async () => {
    const userId = 'tc-resume';
    const player = createWalletClient({
      url: t.url,
      token: await t.tokens.player(userId),
      webSocketImpl: WebSocket,
    });
    const changes: bigint[] = [];
    const reconnects: number[] = [];
    const arrived = (n: number) =>
      new Promise<void>((resolve, reject) => {
        const started = Date.now();
        const poll = setInterval(() => {
          if (changes.length >= n) {
            clearInterval(poll);
            resolve();
          } else if (Date.now() - started > 10_000) {
            clearInterval(poll);
            reject(new Error(`${changes.length} of ${n} changes`));
          }
        }, 10);
      });
    const stop = player.onBalanceChanged(
      { userId, asset: 'DIAMONDS', afterSequence: 0n },
      {
        next: (change) => changes.push(change.entry.sequence),
        reconnecting: (attempt) => reconnects.push(attempt),
      },
    );
    try {
      await server.topup({
        userId,
        asset: 'DIAMONDS',
        amount: 1n,
        idempotencyKey: newIdempotencyKey(),
      });
      await arrived(1);
      // Cut the socket as a network failure would (the client's private websocket client).
      (player as unknown as { ws: { terminate(): void } }).ws.terminate();
      await server.topup({
        userId,
        asset: 'DIAMONDS',
        amount: 2n,
        idempotencyKey: newIdempotencyKey(),
      });
      await server.topup({
        userId,
        asset: 'DIAMONDS',
        amount: 3n,
        idempotencyKey: newIdempotencyKey(),
      });
      await arrived(3);
      await server.topup({
        userId,
        asset: 'DIAMONDS',
        amount: 4n,
        idempotencyKey: newIdempotencyKey(),
      });
      await arrived(4);
      expect(changes).toEqual([1n, 2n, 3n, 4n]);
      expect(reconnects).toEqual([1]);
    } finally {
      stop();
      await player.close();
    }
  });

  it('ends with a typed error when the subscription is refused', async () => {
    const player = createWalletClient({
      url: t.url,
      token: await t.tokens.player('tc-someone'),
      webSocketImpl: WebSocket,
    });
    try {
      await expect(collect(player, { userId: 'tc-somebody-else' }, 1).done).rejects.toMatchObject({
        code: 'FORBIDDEN',
      });
    } finally {
      await player.close();
    }
  });
});
