// Proves the typed client (generated documents, bigint amounts, typed errors, idempotent retries, resuming subscriptions) against a real gateway over HTTP and graphql-ws.
import WebSocket from 'ws';
import {
  createWalletClient,
  newIdempotencyKey,
  withRetries,
  WalletApiError,
  type BalanceChange,
  type FeedEvent,
  type WalletClient,
} from '../../src/client/wallet-client';
import { BalancesDocument, CreateAssetDocument } from '../../src/client/generated/graphql';
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

describe('typed client: v2 operations over HTTP', () => {
  let admin: WalletClient;
  beforeAll(() => {
    admin = createWalletClient({ url: t.url, token: t.tokens.admin });
  });
  const refusal = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a refusal');
      },
      (e: unknown) => e as WalletApiError,
    );

  it('credits lots (PAID/FREE, expiresAt), draws them in the debit order, and splits every amount', async () => {
    const userId = 'tc-lots';
    const seasonEnd = new Date(Date.now() + 30 * 24 * 3600_000);
    const bought = await server.topup({
      userId,
      asset: 'GOLD_COINS',
      amount: 300n,
      idempotencyKey: newIdempotencyKey(),
      expiresAt: seasonEnd,
    });
    expect(bought.transaction).toMatchObject({
      kind: 'TOPUP',
      paidAmount: 300n,
      freeAmount: 0n,
      counterpartyUserId: null,
      changesetId: null,
    });
    expect(bought.wallet).toMatchObject({ balance: 300n, paid: 300n, free: 0n, status: 'ACTIVE' });
    expect(bought.wallet.expiring).toEqual([
      {
        origin: 'PAID',
        amount: 300n,
        expiresAt: seasonEnd.toISOString(),
        createdAt: expect.any(String),
      },
    ]);
    await server.bonus({
      userId,
      asset: 'GOLD_COINS',
      amount: 100n,
      idempotencyKey: newIdempotencyKey(),
    });
    // The lot with an expiry goes first (PAID or not), then FREE, then PAID.
    const spent = await server.spend({
      userId,
      asset: 'GOLD_COINS',
      amount: 350n,
      idempotencyKey: newIdempotencyKey(),
    });
    expect(spent.transaction).toMatchObject({ paidAmount: 300n, freeAmount: 50n });
    expect(spent.wallet).toMatchObject({ balance: 50n, paid: 0n, free: 50n, expiring: [] });
    expect(await server.balance(userId, 'GOLD_COINS')).toMatchObject({
      balance: 50n,
      paid: 0n,
      free: 50n,
    });
  });

  it('reverses a partly spent purchase with allowPartial, from its own lot first', async () => {
    const userId = 'tc-refund';
    const purchase = await server.topup({
      userId,
      asset: 'DIAMONDS',
      amount: 500n,
      idempotencyKey: newIdempotencyKey(),
    });
    await server.bonus({
      userId,
      asset: 'DIAMONDS',
      amount: 100n,
      idempotencyKey: newIdempotencyKey(),
    });
    await server.spend({
      userId,
      asset: 'DIAMONDS',
      amount: 450n,
      idempotencyKey: newIdempotencyKey(),
    });
    expect(
      (
        await refusal(
          server.reverse({
            transactionId: purchase.transaction.id,
            idempotencyKey: newIdempotencyKey(),
          }),
        )
      ).code,
    ).toBe('INSUFFICIENT_FUNDS');
    const refund = await server.reverse({
      transactionId: purchase.transaction.id,
      idempotencyKey: newIdempotencyKey(),
      reason: 'store refund',
      allowPartial: true,
    });
    expect(refund.transaction).toMatchObject({
      kind: 'REVERSAL',
      amount: 150n,
      paidAmount: 150n,
      freeAmount: 0n,
      reference: 'store refund',
    });
    expect(refund.wallet).toMatchObject({ balance: 0n, paid: 0n, free: 0n });
  });

  it('transfers between players and applies changesets, all legs or none', async () => {
    await server.topup({
      userId: 'tc-from',
      asset: 'GOLD_COINS',
      amount: 100n,
      idempotencyKey: newIdempotencyKey(),
    });
    const idempotencyKey = newIdempotencyKey('gift');
    const gift = await server.transfer({
      fromUserId: 'tc-from',
      toUserId: 'tc-to',
      asset: 'GOLD_COINS',
      amount: 40n,
      idempotencyKey,
      reference: 'gift',
    });
    expect(gift.replayed).toBe(false);
    expect(gift.transaction).toMatchObject({
      kind: 'TRANSFER',
      userId: 'tc-from',
      counterpartyUserId: 'tc-to',
      amount: 40n,
      paidAmount: 40n,
      freeAmount: 0n,
    });
    expect(gift.from).toMatchObject({ userId: 'tc-from', balance: 60n });
    expect(gift.to).toMatchObject({ userId: 'tc-to', balance: 40n, free: 40n, paid: 0n });
    const again = await server.transfer({
      fromUserId: 'tc-from',
      toUserId: 'tc-to',
      asset: 'GOLD_COINS',
      amount: 40n,
      idempotencyKey,
      reference: 'gift',
    });
    expect(again).toMatchObject({ replayed: true, transaction: { id: gift.transaction.id } });

    const payout = await server.applyChangeset({
      idempotencyKey: newIdempotencyKey('match'),
      legs: [
        { userId: 'tc-from', asset: 'GOLD_COINS', kind: 'SPEND', amount: 10n },
        {
          userId: 'tc-to',
          asset: 'GOLD_COINS',
          kind: 'BONUS',
          amount: 25n,
          expiresAt: new Date(Date.now() + 3600_000),
        },
      ],
    });
    expect(
      payout.transactions.map((tx) => [tx.kind, tx.userId, tx.amount, tx.changesetId]),
    ).toEqual([
      ['SPEND', 'tc-from', 10n, payout.changesetId],
      ['BONUS', 'tc-to', 25n, payout.changesetId],
    ]);
    expect(payout.wallets.map((w) => [w.userId, w.balance, w.expiring.length])).toEqual([
      ['tc-from', 50n, 0],
      ['tc-to', 65n, 1],
    ]);

    const refused = await refusal(
      server.applyChangeset({
        idempotencyKey: newIdempotencyKey(),
        legs: [
          { userId: 'tc-to', asset: 'GOLD_COINS', kind: 'TOPUP', amount: 1n },
          { userId: 'tc-from', asset: 'GOLD_COINS', kind: 'SPEND', amount: 1000n },
        ],
      }),
    );
    expect(refused).toMatchObject({
      code: 'INSUFFICIENT_FUNDS',
      retryable: false,
      extensions: { leg: 1 },
    });
    expect((await server.balance('tc-to', 'GOLD_COINS')).balance).toBe(65n);
  });

  it('sets asset limits and freezes wallets; LIMIT_EXCEEDED and WALLET_FROZEN arrive typed', async () => {
    await admin.request(CreateAssetDocument, {
      input: { code: 'TC_SEASON', name: 'Typed-client season', decimals: 0 },
    });
    const limited = await admin.setAssetLimits('TC_SEASON', {
      balanceMax: null,
      dailyBonusMax: 100n,
      dailyTransferOutMax: 50n,
    });
    expect(limited.limits).toEqual({
      balanceMax: null,
      dailyBonusMax: 100n,
      dailyTransferOutMax: 50n,
    });
    expect((await server.assets()).find((a) => a.code === 'TC_SEASON')?.limits.dailyBonusMax).toBe(
      100n,
    );
    await server.bonus({
      userId: 'tc-limit',
      asset: 'TC_SEASON',
      amount: 70n,
      idempotencyKey: newIdempotencyKey(),
    });
    const over = await refusal(
      server.bonus({
        userId: 'tc-limit',
        asset: 'TC_SEASON',
        amount: 40n,
        idempotencyKey: newIdempotencyKey(),
      }),
    );
    expect(over).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      retryable: false,
      extensions: { limit: 'dailyBonusMax', max: '100', remaining: '30' },
    });

    const frozen = await admin.setWalletStatus({
      userId: 'tc-limit',
      asset: 'TC_SEASON',
      status: 'FROZEN',
      reason: 'typed-client test',
    });
    expect(frozen.find((w) => w.asset.code === 'TC_SEASON')).toMatchObject({
      status: 'FROZEN',
      balance: 70n,
    });
    expect(
      await refusal(
        server.spend({
          userId: 'tc-limit',
          asset: 'TC_SEASON',
          amount: 1n,
          idempotencyKey: newIdempotencyKey(),
        }),
      ),
    ).toMatchObject({ code: 'WALLET_FROZEN', retryable: false });
    const thawed = await admin.setWalletStatus({
      userId: 'tc-limit',
      asset: 'TC_SEASON',
      status: 'ACTIVE',
    });
    expect(thawed.find((w) => w.asset.code === 'TC_SEASON')?.status).toBe('ACTIVE');
    expect(
      (
        await server.spend({
          userId: 'tc-limit',
          asset: 'TC_SEASON',
          amount: 1n,
          idempotencyKey: newIdempotencyKey(),
        })
      ).wallet.balance,
    ).toBe(69n);
  });

  it('pages the event feed from a cursor and sees a transfer and a freeze once each', async () => {
    // The cursor of the feed's current end: what follows it is what this test does.
    let after: string | undefined;
    for (;;) {
      const page = await server.events({ after, first: 20 });
      after = page.endCursor ?? after;
      if (!page.hasNextPage) break;
    }
    await server.topup({
      userId: 'tc-feed-a',
      asset: 'GOLD_COINS',
      amount: 9n,
      idempotencyKey: newIdempotencyKey(),
    });
    const sent = await server.transfer({
      fromUserId: 'tc-feed-a',
      toUserId: 'tc-feed-b',
      asset: 'GOLD_COINS',
      amount: 4n,
      idempotencyKey: newIdempotencyKey(),
    });
    await admin.setWalletStatus({
      userId: 'tc-feed-b',
      asset: 'GOLD_COINS',
      status: 'FROZEN',
      reason: 'feed test',
    });
    const seen: FeedEvent[] = [];
    const started = Date.now();
    // Events become visible once every transaction that began before them has ended: poll briefly.
    while (seen.length < 3 && Date.now() - started < 20_000) {
      const page = await server.events({ after, first: 2 });
      seen.push(
        ...page.events.filter((e) =>
          [e.transaction?.userId, e.wallet?.userId].some(
            (u) => u === 'tc-feed-a' || u === 'tc-feed-b',
          ),
        ),
      );
      after = page.endCursor ?? after;
      if (!page.hasNextPage && seen.length < 3)
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(seen.map((e) => [e.type, e.transaction?.kind ?? e.wallet?.status])).toEqual([
      ['TRANSACTION', 'TOPUP'],
      ['TRANSACTION', 'TRANSFER'],
      ['WALLET_STATUS', 'FROZEN'],
    ]);
    expect(seen[1]!.transaction).toMatchObject({
      id: sent.transaction.id,
      amount: 4n,
      counterpartyUserId: 'tc-feed-b',
    });
    expect(seen[2]!.wallet).toMatchObject({
      userId: 'tc-feed-b',
      balance: 4n,
      asset: { code: 'GOLD_COINS' },
    });
    expect(new Set(seen.map((e) => e.id)).size).toBe(3);
  });

  it('registers, lists and deletes a webhook; the secret is shown once', async () => {
    const created = await admin.createWebhook({ url: 'http://127.0.0.1:9/typed-client-hook' });
    expect(created.secret.length).toBeGreaterThanOrEqual(32);
    const listed = (await admin.webhooks()).find((w) => w.id === created.id);
    expect(listed).toMatchObject({ url: 'http://127.0.0.1:9/typed-client-hook', failedEvents: [] });
    expect(listed).not.toHaveProperty('secret');
    expect(await admin.deleteWebhook(created.id)).toBe(true);
    expect(await admin.deleteWebhook(created.id)).toBe(false);
    expect((await admin.webhooks()).some((w) => w.id === created.id)).toBe(false);
    expect(await refusal(server.webhooks())).toMatchObject({ code: 'FORBIDDEN' });
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
