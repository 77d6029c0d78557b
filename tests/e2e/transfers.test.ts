// Proves transfer and applyChangeset over real HTTP and websockets: postings, every error code, bad input that writes nothing, replays, who may read a transfer, and conservation under concurrency.
import { errorCode, type GraphQLResponse } from '../support/gateway';
import { collect, useWsClients } from '../support/subscriptions';
import { useTestGateway } from '../support/use-test-gateway';

const TX_FIELDS = `id kind userId counterpartyUserId changesetId amount idempotencyKey reference metadata asset { code }
  entries { userId account direction amount sequence balanceAfter }`;
const WALLET_FIELDS = 'userId balance available lastSequence asset { code }';
const TRANSFER = `mutation($input: UserTransferInput!) { transfer(input: $input) {
  replayed transaction { ${TX_FIELDS} } from { ${WALLET_FIELDS} } to { ${WALLET_FIELDS} } } }`;
const CHANGESET = `mutation($input: ChangesetInput!) { applyChangeset(input: $input) {
  replayed changesetId transactions { ${TX_FIELDS} } wallets { ${WALLET_FIELDS} } } }`;
const TOPUP = `mutation($input: TopupInput!) { topup(input: $input) { wallet { balance } } }`;
const SPEND = `mutation($input: SpendInput!) { spend(input: $input) { wallet { balance } } }`;
const TRANSACTION = `query($id: ID!) { transaction(id: $id) { id kind userId counterpartyUserId entries { userId account direction } } }`;
const LEDGER = `query($userId: ID!) { ledger(userId: $userId, asset: "GOLD_COINS") { edges { node { sequence direction amount balanceAfter kind transaction { id } } } } }`;

// Invariants are checked by useWsClients after each test, once its websocket clients are closed.
const t = useTestGateway('transfers', { invariantsAfterEach: false });
const wsClient = useWsClients(() => t);

let keySeq = 0;
const key = (label: string) => `${label}-${(keySeq += 1)}`;

async function fund(userId: string, amount: string, asset = 'GOLD_COINS'): Promise<void> {
  const res = await t.gql(TOPUP, {
    input: { userId, asset, amount, idempotencyKey: key(`fund-${userId}`) },
  });
  expect(res.errors).toBeUndefined();
}

async function balanceOf(userId: string, asset = 'GOLD_COINS'): Promise<bigint> {
  const res = await t.gql(
    `query($u: ID!, $a: ID!) { balance(userId: $u, asset: $a) { balance } }`,
    { u: userId, a: asset },
  );
  return BigInt(res.data.balance.balance);
}

function transfer(
  input: Record<string, unknown>,
  headers?: Record<string, string>,
): Promise<GraphQLResponse> {
  return t.gql(TRANSFER, { input: { asset: 'GOLD_COINS', ...input } }, headers);
}

function changeset(
  input: Record<string, unknown>,
  headers?: Record<string, string>,
): Promise<GraphQLResponse> {
  return t.gql(CHANGESET, { input }, headers);
}

async function counts() {
  const [row] = await t.database.prisma.$queryRaw<
    { transactions: bigint; keys: bigint; wallets: bigint; users: bigint; entries: bigint }[]
  >`
    SELECT (SELECT COUNT(*) FROM transactions) AS transactions, (SELECT COUNT(*) FROM idempotency_keys) AS keys,
           (SELECT COUNT(*) FROM wallets) AS wallets, (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM ledger_entries) AS entries`;
  return row;
}

describe('transfer', () => {
  it('moves the amount from the sender to the recipient in one TRANSFER transaction of two user entries', async () => {
    await fund('tr-alice', '100');
    const res = await transfer({
      fromUserId: 'tr-alice',
      toUserId: 'tr-bob',
      amount: '30',
      idempotencyKey: 'tr-1',
      reference: 'gift',
      metadata: { note: 'gg' },
    });
    expect(res.errors).toBeUndefined();
    const payload = res.data.transfer;
    expect(payload.replayed).toBe(false);
    expect(payload.transaction).toMatchObject({
      kind: 'TRANSFER',
      userId: 'tr-alice',
      counterpartyUserId: 'tr-bob',
      changesetId: null,
      amount: '30',
      reference: 'gift',
      metadata: { note: 'gg' },
    });
    expect(payload.from).toMatchObject({
      userId: 'tr-alice',
      balance: '70',
      available: '70',
      lastSequence: '2',
    });
    expect(payload.to).toMatchObject({
      userId: 'tr-bob',
      balance: '30',
      available: '30',
      lastSequence: '1',
    });
    const entries = payload.transaction.entries;
    expect(entries).toHaveLength(2);
    expect(entries).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          userId: 'tr-alice',
          account: 'USER',
          direction: 'DEBIT',
          amount: '30',
          sequence: '2',
          balanceAfter: '70',
        }),
        expect.objectContaining({
          userId: 'tr-bob',
          account: 'USER',
          direction: 'CREDIT',
          amount: '30',
          sequence: '1',
          balanceAfter: '30',
        }),
      ]),
    );
  });

  it('replays a retry, refuses a reused key, and keeps a refusal sticky after funds arrive', async () => {
    await fund('tr-r1', '10');
    const input = {
      fromUserId: 'tr-r1',
      toUserId: 'tr-r2',
      amount: '10',
      idempotencyKey: 'tr-replay',
    };
    const first = await transfer(input);
    const again = await transfer(input);
    expect(again.data.transfer.replayed).toBe(true);
    expect(again.data.transfer.transaction.id).toBe(first.data.transfer.transaction.id);
    expect(again.data.transfer.from.balance).toBe('0');
    expect(errorCode(await transfer({ ...input, amount: '9' }))).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(errorCode(await transfer({ ...input, toUserId: 'tr-r3' }))).toBe(
      'IDEMPOTENCY_KEY_REUSED',
    );

    const poor = { fromUserId: 'tr-r1', toUserId: 'tr-r2', amount: '5', idempotencyKey: 'tr-poor' };
    expect(errorCode(await transfer(poor))).toBe('INSUFFICIENT_FUNDS');
    await fund('tr-r1', '50');
    expect(errorCode(await transfer(poor))).toBe('INSUFFICIENT_FUNDS');
    expect(await balanceOf('tr-r1')).toBe(50n);
    expect(await balanceOf('tr-r2')).toBe(10n);
  });

  it('a refused transfer to a new player creates no wallet for the recipient', async () => {
    const before = await counts();
    expect(
      errorCode(
        await transfer({
          fromUserId: 'tr-nobody',
          toUserId: 'tr-newcomer',
          amount: '1',
          idempotencyKey: 'tr-nobody-1',
        }),
      ),
    ).toBe('INSUFFICIENT_FUNDS');
    const after = await counts();
    expect({ ...after, keys: after!.keys - 1n }).toEqual(before);
  });

  it('refuses bad input with its code and writes nothing', async () => {
    await fund('tr-bad', '100');
    const valid = {
      fromUserId: 'tr-bad',
      toUserId: 'tr-bad-to',
      asset: 'GOLD_COINS',
      amount: '1',
      idempotencyKey: 'tr-bad-key',
    };
    const cases: [string, Record<string, unknown>, string][] = [
      ['amount 0', { amount: '0' }, 'BAD_USER_INPUT'],
      ['amount -1', { amount: -1 }, 'BAD_USER_INPUT'],
      ['amount 1.5', { amount: 1.5 }, 'BAD_USER_INPUT'],
      ['amount "abc"', { amount: 'abc' }, 'BAD_USER_INPUT'],
      ['amount 2^63', { amount: '9223372036854775808' }, 'BAD_USER_INPUT'],
      ['empty key', { idempotencyKey: '' }, 'BAD_USER_INPUT'],
      ['256-character key', { idempotencyKey: 'k'.repeat(256) }, 'BAD_USER_INPUT'],
      ['self-transfer', { toUserId: 'tr-bad' }, 'BAD_USER_INPUT'],
      ['empty recipient', { toUserId: '' }, 'BAD_USER_INPUT'],
      ['unknown asset', { asset: 'SILVER' }, 'NOT_FOUND'],
      ['over-long reference', { reference: 'r'.repeat(513) }, 'BAD_USER_INPUT'],
    ];
    const before = await counts();
    for (const [name, change, code] of cases) {
      const res = await t.gql(TRANSFER, { input: { ...valid, ...change } });
      expect({ name, code: errorCode(res) }).toEqual({ name, code });
    }
    expect(await counts()).toEqual(before);
  });

  it('only servers and admins transfer; a player gets FORBIDDEN and nothing moves', async () => {
    await fund('tr-p1', '10');
    const player = await t.tokens.player('tr-p1');
    const res = await transfer(
      { fromUserId: 'tr-p1', toUserId: 'tr-p2', amount: '1', idempotencyKey: 'tr-player' },
      { authorization: `Bearer ${player}` },
    );
    expect(errorCode(res)).toBe('FORBIDDEN');
    const admin = await transfer(
      { fromUserId: 'tr-p1', toUserId: 'tr-p2', amount: '1', idempotencyKey: 'tr-admin' },
      { authorization: `Bearer ${t.tokens.admin}` },
    );
    expect(admin.errors).toBeUndefined();
    expect(await balanceOf('tr-p1')).toBe(9n);
  });

  it('the sender and the recipient read the transfer (transaction and ledger); a third player reads null', async () => {
    await fund('tr-s', '20');
    const res = await transfer({
      fromUserId: 'tr-s',
      toUserId: 'tr-rcv',
      amount: '5',
      idempotencyKey: 'tr-read',
    });
    const id = res.data.transfer.transaction.id;
    const as = async (userId: string) => ({
      authorization: `Bearer ${await t.tokens.player(userId)}`,
    });
    const sender = await t.gql(TRANSACTION, { id }, await as('tr-s'));
    const recipient = await t.gql(TRANSACTION, { id }, await as('tr-rcv'));
    const third = await t.gql(TRANSACTION, { id }, await as('tr-third'));
    expect(sender.data.transaction).toMatchObject({
      id,
      kind: 'TRANSFER',
      userId: 'tr-s',
      counterpartyUserId: 'tr-rcv',
    });
    expect(recipient.data.transaction).toMatchObject({ id, kind: 'TRANSFER' });
    expect(third.errors).toBeUndefined();
    expect(third.data.transaction).toBeNull();
    // A player sees its own side of the postings, never the other player's balance.
    expect(sender.data.transaction.entries).toEqual([
      { userId: 'tr-s', account: 'USER', direction: 'DEBIT' },
    ]);
    expect(recipient.data.transaction.entries).toEqual([
      { userId: 'tr-rcv', account: 'USER', direction: 'CREDIT' },
    ]);
    const server = await t.gql(TRANSACTION, { id });
    expect(server.data.transaction.entries).toHaveLength(2);

    const ledger = await t.gql(LEDGER, { userId: 'tr-rcv' }, await as('tr-rcv'));
    expect(ledger.data.ledger.edges.map((e: any) => e.node)).toEqual([
      {
        sequence: '1',
        direction: 'CREDIT',
        amount: '5',
        balanceAfter: '5',
        kind: 'TRANSFER',
        transaction: { id },
      },
    ]);
    expect(errorCode(await t.gql(LEDGER, { userId: 'tr-s' }, await as('tr-rcv')))).toBe(
      'FORBIDDEN',
    );
  });

  it("notifies both players' balanceChanged subscribers, each with its own entry", async () => {
    await fund('tr-sub-a', '40');
    const a = collect(wsClient(t.wsUrl, t.tokens.server).client, {
      userId: 'tr-sub-a',
      asset: 'GOLD_COINS',
    });
    const b = collect(wsClient(t.wsUrl, t.tokens.server).client, {
      userId: 'tr-sub-b',
      asset: 'GOLD_COINS',
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const res = await transfer({
      fromUserId: 'tr-sub-a',
      toUserId: 'tr-sub-b',
      amount: '15',
      idempotencyKey: 'tr-sub',
    });
    expect(res.errors).toBeUndefined();
    const [fromEvent] = await a.waitForCount(1, 15_000);
    const [toEvent] = await b.waitForCount(1, 15_000);
    expect(fromEvent.wallet).toMatchObject({ userId: 'tr-sub-a', balance: '25' });
    expect(fromEvent.entry).toMatchObject({
      userId: 'tr-sub-a',
      direction: 'DEBIT',
      amount: '15',
      kind: 'TRANSFER',
      sequence: '2',
    });
    expect(toEvent.wallet).toMatchObject({ userId: 'tr-sub-b', balance: '15' });
    expect(toEvent.entry).toMatchObject({
      userId: 'tr-sub-b',
      direction: 'CREDIT',
      amount: '15',
      kind: 'TRANSFER',
      sequence: '1',
    });
  });
});

describe('applyChangeset', () => {
  it('applies every leg as its own transaction sharing one changeset id, and answers the wallets by user then asset', async () => {
    await fund('cs-b', '10', 'DIAMONDS');
    const res = await changeset({
      idempotencyKey: 'cs-1',
      reference: 'season-reward',
      legs: [
        { userId: 'cs-b', asset: 'GOLD_COINS', kind: 'TOPUP', amount: '100' },
        { userId: 'cs-a', asset: 'GOLD_COINS', kind: 'BONUS', amount: '5' },
        { userId: 'cs-b', asset: 'GOLD_COINS', kind: 'SPEND', amount: '60' },
        { userId: 'cs-b', asset: 'DIAMONDS', kind: 'SPEND', amount: '10' },
      ],
    });
    expect(res.errors).toBeUndefined();
    const payload = res.data.applyChangeset;
    expect(payload.replayed).toBe(false);
    expect(
      payload.transactions.map((tx: any) => [
        tx.kind,
        tx.userId,
        tx.asset.code,
        tx.amount,
        tx.changesetId,
        tx.idempotencyKey,
        tx.reference,
      ]),
    ).toEqual([
      ['TOPUP', 'cs-b', 'GOLD_COINS', '100', payload.changesetId, 'cs-1', 'season-reward'],
      ['BONUS', 'cs-a', 'GOLD_COINS', '5', payload.changesetId, 'cs-1', 'season-reward'],
      ['SPEND', 'cs-b', 'GOLD_COINS', '60', payload.changesetId, 'cs-1', 'season-reward'],
      ['SPEND', 'cs-b', 'DIAMONDS', '10', payload.changesetId, 'cs-1', 'season-reward'],
    ]);
    expect(
      payload.wallets.map((w: any) => [w.userId, w.asset.code, w.balance, w.lastSequence]),
    ).toEqual([
      ['cs-a', 'GOLD_COINS', '5', '1'],
      ['cs-b', 'DIAMONDS', '0', '2'],
      ['cs-b', 'GOLD_COINS', '40', '2'],
    ]);
    const replay = await changeset({
      idempotencyKey: 'cs-1',
      reference: 'season-reward',
      legs: [
        { userId: 'cs-b', asset: 'GOLD_COINS', kind: 'TOPUP', amount: '100' },
        { userId: 'cs-a', asset: 'GOLD_COINS', kind: 'BONUS', amount: '5' },
        { userId: 'cs-b', asset: 'GOLD_COINS', kind: 'SPEND', amount: '60' },
        { userId: 'cs-b', asset: 'DIAMONDS', kind: 'SPEND', amount: '10' },
      ],
    });
    expect(replay.data.applyChangeset.replayed).toBe(true);
    expect(replay.data.applyChangeset.changesetId).toBe(payload.changesetId);
    expect(replay.data.applyChangeset.transactions.map((tx: any) => tx.id)).toEqual(
      payload.transactions.map((tx: any) => tx.id),
    );
  });

  it('a refused leg applies nothing, names the first refused leg, and replays that refusal', async () => {
    await fund('cs-poor', '10');
    const input = {
      idempotencyKey: 'cs-refused',
      legs: [
        { userId: 'cs-poor', asset: 'GOLD_COINS', kind: 'BONUS', amount: '5' },
        { userId: 'cs-fresh', asset: 'GOLD_COINS', kind: 'TOPUP', amount: '5' },
        { userId: 'cs-poor', asset: 'GOLD_COINS', kind: 'SPEND', amount: '16' },
        { userId: 'cs-poor', asset: 'GOLD_COINS', kind: 'SPEND', amount: '999' },
      ],
    };
    const before = await counts();
    const res = await changeset(input);
    expect(errorCode(res)).toBe('INSUFFICIENT_FUNDS');
    expect(res.errors![0]!.extensions!.leg).toBe(2);
    const after = await counts();
    expect({ ...after, keys: after!.keys - 1n }).toEqual(before);
    expect(await balanceOf('cs-poor')).toBe(10n);
    await fund('cs-poor', '1000');
    const again = await changeset(input);
    expect(errorCode(again)).toBe('INSUFFICIENT_FUNDS');
    expect(again.errors![0]!.extensions!.leg).toBe(2);
  });

  it('refuses bad input with its code and writes nothing', async () => {
    const leg = { userId: 'cs-bad', asset: 'GOLD_COINS', kind: 'TOPUP', amount: '1' };
    const cases: [string, Record<string, unknown>, string][] = [
      ['0 legs', { legs: [] }, 'BAD_USER_INPUT'],
      ['21 legs', { legs: Array.from({ length: 21 }, () => leg) }, 'BAD_USER_INPUT'],
      ['a REVERSAL leg', { legs: [leg, { ...leg, kind: 'REVERSAL' }] }, 'BAD_USER_INPUT'],
      ['a TRANSFER leg', { legs: [{ ...leg, kind: 'TRANSFER' }] }, 'BAD_USER_INPUT'],
      ['a CAPTURE leg', { legs: [{ ...leg, kind: 'CAPTURE' }] }, 'BAD_USER_INPUT'],
      ['amount 0', { legs: [{ ...leg, amount: '0' }] }, 'BAD_USER_INPUT'],
      ['amount -5', { legs: [leg, { ...leg, amount: -5 }] }, 'BAD_USER_INPUT'],
      ['amount 2^63', { legs: [{ ...leg, amount: '9223372036854775808' }] }, 'BAD_USER_INPUT'],
      ['empty userId', { legs: [{ ...leg, userId: '' }] }, 'BAD_USER_INPUT'],
      ['unknown asset', { legs: [leg, { ...leg, asset: 'SILVER' }] }, 'NOT_FOUND'],
      ['empty key', { idempotencyKey: '' }, 'BAD_USER_INPUT'],
      ['256-character key', { idempotencyKey: 'k'.repeat(256) }, 'BAD_USER_INPUT'],
      ['huge metadata', { metadata: { blob: 'x'.repeat(9000) } }, 'BAD_USER_INPUT'],
    ];
    const before = await counts();
    for (const [name, change, code] of cases) {
      const res = await changeset({ idempotencyKey: 'cs-bad-key', legs: [leg], ...change });
      expect({ name, code: errorCode(res) }).toEqual({ name, code });
    }
    expect(await counts()).toEqual(before);
  });

  it('refuses a player and a reused key', async () => {
    const legs = [{ userId: 'cs-k', asset: 'GOLD_COINS', kind: 'TOPUP', amount: '3' }];
    const player = await t.tokens.player('cs-k');
    expect(
      errorCode(
        await changeset({ idempotencyKey: 'cs-k1', legs }, { authorization: `Bearer ${player}` }),
      ),
    ).toBe('FORBIDDEN');
    expect((await changeset({ idempotencyKey: 'cs-k1', legs })).errors).toBeUndefined();
    expect(
      errorCode(await changeset({ idempotencyKey: 'cs-k1', legs: [{ ...legs[0], amount: '4' }] })),
    ).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(
      errorCode(
        await t.gql(TOPUP, {
          input: { userId: 'cs-k', asset: 'GOLD_COINS', amount: '3', idempotencyKey: 'cs-k1' },
        }),
      ),
    ).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await balanceOf('cs-k')).toBe(3n);
  });
});

describe('under concurrency', () => {
  const users = ['cc-1', 'cc-2', 'cc-3', 'cc-4', 'cc-5'];

  it('300 concurrent transfers among 5 players in every direction: only successes and INSUFFICIENT_FUNDS, totals conserved', async () => {
    for (const user of users) await fund(user, '200');
    const results = await Promise.all(
      Array.from({ length: 300 }, (_, i) => {
        const from = users[i % 5]!;
        const to =
          users[(i * 7 + 1 + Math.floor(i / 5)) % 5] === from
            ? users[(i + 1) % 5]!
            : users[(i * 7 + 1 + Math.floor(i / 5)) % 5]!;
        return transfer({
          fromUserId: from,
          toUserId: to,
          amount: String(1 + ((i * 37) % 90)),
          idempotencyKey: `cc-${i}`,
        });
      }),
    );
    const codes = new Map<string, number>();
    for (const res of results)
      codes.set(errorCode(res) ?? 'OK', (codes.get(errorCode(res) ?? 'OK') ?? 0) + 1);
    expect([...codes.keys()].sort()).toEqual(expect.arrayContaining(['OK']));
    for (const code of codes.keys()) expect(['OK', 'INSUFFICIENT_FUNDS']).toContain(code);
    expect(codes.get('INSUFFICIENT_FUNDS') ?? 0).toBeGreaterThan(0);
    const balances = await Promise.all(users.map((u) => balanceOf(u)));
    expect(balances.reduce((a, b) => a + b, 0n)).toBe(1000n);
    for (const balance of balances) expect(balance).toBeGreaterThanOrEqual(0n);
    // Every balanceAfter chain, sequence and sum is checked by the invariants after this test.
  });

  it('changesets race transfers and spends on the same wallets without losing or creating money', async () => {
    const mixed = ['mx-1', 'mx-2', 'mx-3'];
    for (const user of mixed) await fund(user, '300');
    const requests: Promise<GraphQLResponse>[] = [];
    let spent = 0n;
    let credited = 0n;
    const outcomes: {
      kind: string;
      amount: bigint;
      credit: bigint;
      res: Promise<GraphQLResponse>;
    }[] = [];
    for (let i = 0; i < 120; i += 1) {
      const a = mixed[i % 3]!;
      const b = mixed[(i + 1) % 3]!;
      if (i % 3 === 0) {
        const res = changeset({
          idempotencyKey: `mx-cs-${i}`,
          legs: [
            { userId: a, asset: 'GOLD_COINS', kind: 'SPEND', amount: String(5 + (i % 20)) },
            { userId: b, asset: 'GOLD_COINS', kind: 'BONUS', amount: '3' },
            { userId: b, asset: 'GOLD_COINS', kind: 'SPEND', amount: String(10 + (i % 40)) },
          ],
        });
        outcomes.push({
          kind: 'changeset',
          amount: BigInt(5 + (i % 20)) + BigInt(10 + (i % 40)),
          credit: 3n,
          res,
        });
      } else if (i % 3 === 1) {
        outcomes.push({
          kind: 'transfer',
          amount: 0n,
          credit: 0n,
          res: transfer({
            fromUserId: a,
            toUserId: b,
            amount: String(1 + (i % 50)),
            idempotencyKey: `mx-tr-${i}`,
          }),
        });
      } else {
        const amount = 1 + (i % 30);
        outcomes.push({
          kind: 'spend',
          amount: BigInt(amount),
          credit: 0n,
          res: t.gql(SPEND, {
            input: {
              userId: a,
              asset: 'GOLD_COINS',
              amount: String(amount),
              idempotencyKey: `mx-sp-${i}`,
            },
          }),
        });
      }
    }
    requests.push(...outcomes.map((o) => o.res));
    await Promise.all(requests);
    for (const outcome of outcomes) {
      const res = await outcome.res;
      const code = errorCode(res);
      expect(['OK', 'INSUFFICIENT_FUNDS']).toContain(code ?? 'OK');
      if (!code) {
        spent += outcome.amount;
        credited += outcome.credit;
      }
    }
    const total = (await Promise.all(mixed.map((u) => balanceOf(u)))).reduce((a, b) => a + b, 0n);
    expect(total).toBe(900n - spent + credited);
  });
});
