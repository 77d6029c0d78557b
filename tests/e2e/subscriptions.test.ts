// Proves balanceChanged over real websockets: delivery after commit only, asset filter, replay with afterSequence, ordering under concurrency, resume across a forced disconnect, and catch-up after the LISTEN connection drops.
import { Client as PgClient } from 'pg';
import { runTransaction } from '../../src/shared/db/transaction';
import { ledgerStore } from '../../src/modules/ledger/ledger.store';
import { LedgerBook } from '../../src/money/book';
import { moneyStore } from '../../src/money/store';
import { userSystemPosting } from '../../src/money/rules';
import {
  AccountKind,
  EntryDirection,
  TransactionKind,
} from '../../src/modules/ledger/ledger.types';
import { errorCode } from '../support/gateway';
import {
  collect,
  useWsClients,
  waitForStreams,
  waitUntil,
  type WsClient,
} from '../support/subscriptions';
import { useTestGateway } from '../support/use-test-gateway';
import { inputMutation } from '../support/documents';

const TOPUP = inputMutation('topup', `wallet { balance lastSequence } transaction { id }`);
const BONUS = inputMutation('bonus', `wallet { balance lastSequence }`);
const SPEND = inputMutation('spend', `wallet { balance lastSequence }`);

const openWsClient = useWsClients(() => t);
let keyCounter = 0;
const key = (prefix: string) => `${prefix}-${++keyCounter}`;

/** A client with the server token, a given token, or (null) no credential at all. */
function client(token: string | null = t.tokens.server): WsClient {
  return openWsClient(t.wsUrl, token ?? undefined);
}

async function move(mutation: string, userId: string, asset: string, amount: string | number) {
  const res = await t.gql(mutation, {
    input: { userId, asset, amount: String(amount), idempotencyKey: key(userId) },
  });
  return res;
}

async function topup(userId: string, amount: number | string, asset = 'GOLD_COINS') {
  const res = await move(TOPUP, userId, asset, amount);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data.topup;
}

/** The user's entries in one wallet straight from the ledger, oldest first. */
async function ledgerEntries(
  userId: string,
  asset: string,
): Promise<{ id: string; sequence: string }[]> {
  const rows = await ledgerStore.findEntriesAfterSequence(
    t.database.prisma,
    userId,
    asset,
    0n,
    100_000,
  );
  return rows.map((row) => ({ id: row.id, sequence: row.sequence.toString() }));
}

const t = useTestGateway('subscriptions', { invariantsAfterEach: false });

describe('delivery', () => {
  it('delivers topup, bonus and spend with the wallet after each entry, in order', async () => {
    await topup('s-basic', 100);
    const c = client();
    const sub = collect(c.client, { userId: 's-basic', asset: 'GOLD_COINS' });
    await waitForStreams(t.gateway.services.subscriptions, 1);
    await topup('s-basic', 50);
    expect((await move(BONUS, 's-basic', 'GOLD_COINS', 7)).errors).toBeUndefined();
    expect((await move(SPEND, 's-basic', 'GOLD_COINS', 20)).errors).toBeUndefined();
    const events = await sub.waitForCount(3);
    expect(
      events.map((e) => [
        e.entry.kind,
        e.entry.direction,
        e.entry.amount,
        e.entry.sequence,
        e.wallet.balance,
        e.wallet.lastSequence,
      ]),
    ).toEqual([
      ['TOPUP', 'CREDIT', '50', '2', '150', '2'],
      ['BONUS', 'CREDIT', '7', '3', '157', '3'],
      ['SPEND', 'DEBIT', '20', '4', '137', '4'],
    ]);
    const [first] = events;
    expect(first.wallet).toMatchObject({
      userId: 's-basic',
      available: '150',
      asset: { code: 'GOLD_COINS' },
    });
    expect(first.entry).toMatchObject({
      userId: 's-basic',
      balanceAfter: '150',
      asset: { code: 'GOLD_COINS' },
      transaction: { kind: 'TOPUP', amount: '50' },
    });
    expect(new Date(first.wallet.updatedAt).getTime()).toBe(
      new Date(first.entry.createdAt).getTime(),
    );
    // The entries are the ledger's own: same ids, same order.
    expect(events.map((e) => e.entry.id)).toEqual(
      (await ledgerEntries('s-basic', 'GOLD_COINS')).slice(1).map((e) => e.id),
    );
  });

  it("lists a change's expiring lots as of now, live and replayed (the contract's rule for Wallet.expiring)", async () => {
    const EXPIRING_CHANGED = `subscription($userId: ID!, $asset: ID, $after: Amount) {
      balanceChanged(userId: $userId, asset: $asset, afterSequence: $after) {
        wallet { balance free expiring { origin amount expiresAt } } entry { sequence }
      }
    }`;
    await topup('s-expiring', 10);
    const c = client();
    const live = collect(c.client, { userId: 's-expiring', asset: 'GOLD_COINS' }, EXPIRING_CHANGED);
    await waitForStreams(t.gateway.services.subscriptions, 1);
    const expiresAt = new Date(Date.now() + 3600_000).toISOString();
    const res = await t.gql(inputMutation('bonus', 'wallet { balance }'), {
      input: {
        userId: 's-expiring',
        asset: 'GOLD_COINS',
        amount: '5',
        idempotencyKey: key('s-expiring'),
        expiresAt,
      },
    });
    expect(res.errors).toBeUndefined();
    const lots = [{ origin: 'FREE', amount: '5', expiresAt }];
    const [change] = await live.waitForCount(1);
    expect(change.wallet).toEqual({ balance: '15', free: '5', expiring: lots });
    // Replayed from the ledger, the topup's change (from before the lot existed) lists it too:
    // the balance is as of the entry, the expiring lots as of now.
    const replay = collect(
      c.client,
      { userId: 's-expiring', asset: 'GOLD_COINS', after: '0' },
      EXPIRING_CHANGED,
    );
    const replayed = await replay.waitForCount(2);
    expect(replayed.map((e) => [e.entry.sequence, e.wallet])).toEqual([
      ['1', { balance: '10', free: '0', expiring: lots }],
      ['2', { balance: '15', free: '5', expiring: lots }],
    ]);
  });

  it('sends nothing for a refused spend or a rolled-back posting; the next change follows without a gap', async () => {
    await topup('s-refused', 10);
    const c = client();
    const sub = collect(c.client, { userId: 's-refused' });
    await waitForStreams(t.gateway.services.subscriptions, 1);

    const refused = await move(SPEND, 's-refused', 'GOLD_COINS', 11);
    expect(errorCode(refused)).toBe('INSUFFICIENT_FUNDS');

    // A real posting (the same CTE, pg_notify included) inside a transaction that then fails.
    const { accounts } = await t.gateway.services.assets.require('GOLD_COINS');
    await expect(
      runTransaction(t.database.prisma, { maxWaitMs: 4000, timeoutMs: 10000 }, async (tx) => {
        const scope = {
          clientId: 'test-client',
          key: 'rolled-back',
          operation: 'topup',
          requestHash: 'x',
        };
        const wallet = { userId: 's-refused', assetCode: 'GOLD_COINS' };
        const locked = await moneyStore.lock(tx, [wallet], [scope], 1);
        const book = new LedgerBook(
          locked.wallets,
          locked.now,
          locked.limits,
          locked.frozenUsers,
          locked.ids,
        );
        book.post(
          userSystemPosting(
            TransactionKind.TOPUP,
            wallet,
            EntryDirection.CREDIT,
            AccountKind.TREASURY,
            999n,
            { reference: null, metadata: null },
            { kind: 'new', origin: 'PAID', expiresAt: null },
          ),
        );
        const [drafted] = book.postings();
        const batch = {
          postings: [{ drafted: drafted!, scope }],
          outcomes: [{ scope, firstPosting: 0, holdId: null }],
          refusals: [],
        };
        await moneyStore.post(
          tx,
          batch,
          book.changes(),
          (_asset, account) => accounts[account as 'TREASURY'],
        );
        const posted =
          book.find(wallet)!.lastSequence === 2n
            ? { sequence: book.find(wallet)!.lastSequence }
            : undefined;
        expect(posted?.sequence).toBe(2n);
        throw new Error('roll back after posting');
      }),
    ).rejects.toThrow('roll back after posting');

    await topup('s-refused', 5);
    const [only] = await sub.waitForCount(1);
    // Give a stray delivery of the rolled-back posting every chance to show up.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(sub.events).toHaveLength(1);
    expect(only.entry).toMatchObject({ sequence: '2', amount: '5', balanceAfter: '15' });
  });

  it('reports available net of active holds; a capture is a change, placing a hold is not', async () => {
    await topup('s-holds', 100);
    const sub = collect(client().client, { userId: 's-holds', asset: 'GOLD_COINS' });
    await waitForStreams(t.gateway.services.subscriptions, 1);
    const hold = await t.gql(inputMutation('hold', `hold { id }`), {
      input: { userId: 's-holds', asset: 'GOLD_COINS', amount: '30', idempotencyKey: key('hold') },
    });
    expect(hold.errors).toBeUndefined();
    await topup('s-holds', 5);
    // `available` is computed when a change is read: let the topup be read before the capture.
    await sub.waitForCount(1);
    const capture = await t.gql(inputMutation('captureHold', `wallet { balance }`), {
      input: { holdId: hold.data.hold.hold.id, amount: '10', idempotencyKey: key('capture') },
    });
    expect(capture.errors).toBeUndefined();
    const events = await sub.waitForCount(2);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sub.events).toHaveLength(2);
    // The hold (30) is active when the topup is read, and gone (captured) when the capture is.
    expect(
      events.map((e) => [e.entry.kind, e.entry.sequence, e.wallet.balance, e.wallet.available]),
    ).toEqual([
      ['TOPUP', '2', '105', '75'],
      ['CAPTURE', '3', '95', '95'],
    ]);
  });

  it('filters by asset; without asset it follows every wallet of the user, new ones included', async () => {
    await topup('s-filter', 1, 'GOLD_COINS');
    const gold = collect(client().client, { userId: 's-filter', asset: 'GOLD_COINS' });
    const all = collect(client().client, { userId: 's-filter' });
    const other = collect(client().client, { userId: 's-filter-other' });
    await waitForStreams(t.gateway.services.subscriptions, 3);
    await topup('s-filter', 2, 'DIAMONDS'); // the user's first DIAMONDS: a wallet created after subscribing
    await topup('s-filter', 3, 'GOLD_COINS');
    await topup('s-filter', 4, 'DIAMONDS');
    const allEvents = await all.waitForCount(3);
    const goldEvents = await gold.waitForCount(1);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(goldEvents.map((e) => [e.entry.asset.code, e.entry.amount])).toEqual([
      ['GOLD_COINS', '3'],
    ]);
    expect(allEvents.map((e) => [e.entry.asset.code, e.entry.amount, e.entry.sequence])).toEqual([
      ['DIAMONDS', '2', '1'],
      ['GOLD_COINS', '3', '2'],
      ['DIAMONDS', '4', '2'],
    ]);
    expect(other.events).toHaveLength(0);
  });

  it('afterSequence replays the wallet from the ledger, then goes live with no gap or duplicate at the seam', async () => {
    for (let i = 1; i <= 5; i++) await topup('s-replay', i);
    const sub = collect(client().client, { userId: 's-replay', asset: 'GOLD_COINS', after: '2' });
    const replayed = await sub.waitForCount(3);
    expect(replayed.map((e) => e.entry.sequence)).toEqual(['3', '4', '5']);
    await topup('s-replay', 6);
    await topup('s-replay', 7);
    const events = await sub.waitForCount(5);
    expect(events.map((e) => e.entry.sequence)).toEqual(['3', '4', '5', '6', '7']);
    expect(events.map((e) => e.wallet.balance)).toEqual(['6', '10', '15', '21', '28']);
    // afterSequence 0 is the whole history.
    const whole = collect(client().client, { userId: 's-replay', asset: 'GOLD_COINS', after: 0 });
    expect((await whole.waitForCount(7)).map((e) => e.entry.sequence)).toEqual([
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
    ]);
  });

  it("refuses bad arguments and other players' wallets with contract codes", async () => {
    const c = client();
    const noAsset = collect(c.client, { userId: 's-args', after: '1' });
    expect((await noAsset.waitForError())[0]!.extensions).toMatchObject({
      code: 'BAD_USER_INPUT',
      field: 'afterSequence',
    });
    const unknownAsset = collect(c.client, { userId: 's-args', asset: 'NOPE' });
    expect((await unknownAsset.waitForError())[0]!.extensions?.code).toBe('NOT_FOUND');
    const beyond = collect(c.client, { userId: 's-args', asset: 'GOLD_COINS', after: '5' });
    expect((await beyond.waitForError())[0]!.extensions?.code).toBe('BAD_USER_INPUT');
    const badAmount = collect(c.client, { userId: 's-args', asset: 'GOLD_COINS', after: '1.5' });
    expect((await badAmount.waitForError())[0]!.extensions?.code).toBe('BAD_USER_INPUT');

    const player = client(await t.tokens.player('s-player'));
    const foreign = collect(player.client, { userId: 's-someone-else' });
    expect((await foreign.waitForError())[0]!.extensions?.code).toBe('FORBIDDEN');
    const own = collect(player.client, { userId: 's-player' });
    await waitForStreams(t.gateway.services.subscriptions, 1);
    await topup('s-player', 3);
    expect((await own.waitForCount(1))[0].entry.amount).toBe('3');
  });

  it('closes the socket with 4403 for a missing or invalid credential; serves only subscriptions', async () => {
    for (const token of [
      null,
      'not-a-jwt',
      await t.mintToken({ sub: 'x', role: 'server', expiresInSeconds: -60 }),
    ]) {
      const c = client(token);
      const sub = collect(c.client, { userId: 's-auth' });
      await sub.waitForError();
      await waitUntil(() => c.closes.length > 0, 5000, 'the close');
      expect(c.closes[0]!.code).toBe(4403);
    }
    const c = client();
    const query = collect(c.client, {}, '{ assets { code } }');
    expect((await query.waitForError())[0]!.extensions?.code).toBe('BAD_USER_INPUT');
  });
});

describe('ordering and resume', () => {
  it('per-wallet order under 20 concurrent writers: every subscriber sees 1..n exactly once', async () => {
    const users = ['s-conc-a', 's-conc-b'];
    const subs = users.flatMap((userId) => [
      collect(client().client, { userId }),
      collect(client().client, { userId, asset: 'GOLD_COINS' }),
    ]);
    await waitForStreams(t.gateway.services.subscriptions, subs.length);
    const perWriter = 10;
    await Promise.all(
      Array.from({ length: 20 }, async (_, writer) => {
        for (let i = 0; i < perWriter; i++) {
          const userId = users[(writer + i) % 2]!;
          const asset = i % 3 === 0 ? 'DIAMONDS' : 'GOLD_COINS';
          const res = await move(TOPUP, userId, asset, 1 + writer);
          if (res.errors) throw new Error(JSON.stringify(res.errors));
        }
      }),
    );
    for (const [index, sub] of subs.entries()) {
      const userId = users[Math.floor(index / 2)]!;
      const filtered = index % 2 === 1;
      const gold = await ledgerEntries(userId, 'GOLD_COINS');
      const diamonds = await ledgerEntries(userId, 'DIAMONDS');
      const expected = filtered ? gold.length : gold.length + diamonds.length;
      const events = await sub.waitForCount(expected, 20_000);
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(sub.events).toHaveLength(expected);
      for (const [asset, entries] of [
        ['GOLD_COINS', gold],
        ['DIAMONDS', diamonds],
      ] as const) {
        const seen = events.filter((e) => e.entry.asset.code === asset);
        if (filtered && asset === 'DIAMONDS') {
          expect(seen).toHaveLength(0);
          continue;
        }
        expect(seen.map((e) => e.entry.sequence)).toEqual(entries.map((e) => e.sequence));
        expect(seen.map((e) => e.entry.id)).toEqual(entries.map((e) => e.id));
      }
    }
  });

  it("500 mutations, a forced disconnect mid-stream, afterSequence resume: exactly the ledger's entries, in order, once each", async () => {
    const userId = 's-resume';
    const total = 500;
    const first = client();
    const before = collect(first.client, { userId, asset: 'GOLD_COINS' });
    await waitForStreams(t.gateway.services.subscriptions, 1);

    // Four writers on one wallet: the row lock serialises them, the ledger decides the order.
    let posted = 0;
    const writers = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (posted < total) {
          posted += 1;
          const res = await move(TOPUP, userId, 'GOLD_COINS', 1);
          if (res.errors) throw new Error(JSON.stringify(res.errors));
        }
      }),
    );
    await before.waitForCount(150, 30_000);
    first.client.terminate(); // the socket is cut, as a dropped network would
    const received = [...before.events];
    const last = received[received.length - 1].entry.sequence;

    const second = client();
    const after = collect(second.client, { userId, asset: 'GOLD_COINS', after: last });
    await writers;
    const ledger = await ledgerEntries(userId, 'GOLD_COINS');
    expect(ledger).toHaveLength(total);
    await after.waitForCount(total - received.length, 30_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    const all = [...received, ...after.events];
    expect(all.map((e) => e.entry.id)).toEqual(ledger.map((e) => e.id));
    expect(all.map((e) => e.entry.sequence)).toEqual(ledger.map((e) => e.sequence));
    expect(all.map((e) => e.wallet.balance)).toEqual(ledger.map((e) => e.sequence));
  });

  it('catches up after the LISTEN connection is cut, including changes committed while it was down', async () => {
    const userId = 's-listen';
    const sub = collect(client().client, { userId });
    await waitForStreams(t.gateway.services.subscriptions, 1);
    await topup(userId, 1);
    await sub.waitForCount(1);

    const bus = t.gateway.services.subscriptions.bus;
    const reconnectsBefore = bus.status().reconnects;
    const admin = new PgClient({ connectionString: t.connectionString });
    await admin.connect();
    try {
      const { rowCount } = await admin.query(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'wallet-gateway-listener' AND datname = current_database()`,
      );
      expect(rowCount).toBe(1);
    } finally {
      await admin.end();
    }
    // Committed while nobody listens: its notification is lost; the resync finds it.
    await topup(userId, 2);
    await waitUntil(
      () => bus.status().reconnects > reconnectsBefore && bus.status().state === 'listening',
      10_000,
      'the listener to reconnect',
    );
    await topup(userId, 3);
    const events = await sub.waitForCount(3);
    expect(events.map((e) => [e.entry.sequence, e.entry.amount])).toEqual([
      ['1', '1'],
      ['2', '2'],
      ['3', '3'],
    ]);
  });
});
