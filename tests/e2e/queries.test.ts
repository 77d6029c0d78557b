// Proves the read API over real HTTP: assets, balance (now and at an instant), balances, the ledger's keyset pages and filters, transaction(id), and that a ledger page costs a fixed number of SQL statements.
import { errorCode } from '../support/gateway';
import { useTestGateway } from '../support/use-test-gateway';
import { inputMutation } from '../support/documents';

const TOPUP = inputMutation('topup', `transaction { id createdAt }`);
const SPEND = inputMutation('spend', `transaction { id createdAt }`);
const BONUS = inputMutation('bonus', `transaction { id createdAt }`);

const t = useTestGateway('queries', { seed: true });

it('lists the assets', async () => {
  const res = await t.gql(`{ assets { code name decimals } }`);
  expect(res.data.assets.map((a: any) => a.code)).toEqual([
    'DIAMONDS',
    'GOLD_COINS',
    'LOYALTY_POINTS',
  ]);
});

it('the demo seed gave alice and bob their balances through real transactions', async () => {
  for (const userId of ['alice', 'bob']) {
    const res = await t.gql(
      `query($u: ID!) { balances(userId: $u) { asset { code } balance available } }`,
      { u: userId },
    );
    expect(res.data.balances).toEqual([
      { asset: { code: 'DIAMONDS' }, balance: '500', available: '500' },
      { asset: { code: 'GOLD_COINS' }, balance: '1000', available: '1000' },
      { asset: { code: 'LOYALTY_POINTS' }, balance: '5000', available: '5000' },
    ]);
  }
});

it('a wallet that never received anything reads as 0', async () => {
  const res = await t.gql(
    `{ balance(userId: "nobody", asset: "GOLD_COINS") { userId balance available lastSequence asset { code } } }`,
  );
  expect(res.data.balance).toEqual({
    userId: 'nobody',
    balance: '0',
    available: '0',
    lastSequence: '0',
    asset: { code: 'GOLD_COINS' },
  });
});

it('balance at an instant reads the balance as of then', async () => {
  const a = await t.gql(TOPUP, {
    input: { userId: 'hist', asset: 'GOLD_COINS', amount: '100', idempotencyKey: 'h1' },
  });
  await new Promise((r) => setTimeout(r, 20));
  const b = await t.gql(SPEND, {
    input: { userId: 'hist', asset: 'GOLD_COINS', amount: '30', idempotencyKey: 'h2' },
  });
  const q = `query($at: DateTime) { balance(userId: "hist", asset: "GOLD_COINS", at: $at) { balance lastSequence } }`;
  const before = new Date(
    new Date(a.data.topup.transaction.createdAt).getTime() - 1000,
  ).toISOString();
  expect((await t.gql(q, { at: before })).data.balance).toEqual({
    balance: '0',
    lastSequence: '0',
  });
  const between = new Date(
    new Date(b.data.spend.transaction.createdAt).getTime() - 5,
  ).toISOString();
  expect((await t.gql(q, { at: between })).data.balance).toEqual({
    balance: '100',
    lastSequence: '1',
  });
  expect(
    (await t.gql(q, { at: new Date(Date.now() + 60_000).toISOString() })).data.balance,
  ).toEqual({ balance: '70', lastSequence: '2' });
  expect((await t.gql(q, {})).data.balance).toEqual({ balance: '70', lastSequence: '2' });
});

describe('ledger', () => {
  beforeAll(async () => {
    for (let i = 1; i <= 12; i += 1) {
      const mutation = i % 3 === 0 ? SPEND : i % 3 === 1 ? TOPUP : BONUS;
      const res = await t.gql(mutation, {
        input: {
          userId: 'led',
          asset: i % 2 ? 'GOLD_COINS' : 'DIAMONDS',
          amount: String(i % 3 === 0 ? 1 : 10),
          idempotencyKey: `led-${i}`,
          reference: `ref-${i % 4}`,
        },
      });
      expect(res.errors).toBeUndefined();
    }
  });

  const LEDGER = `query($userId: ID!, $asset: ID, $kinds: [TransactionKind!], $since: DateTime, $until: DateTime, $reference: String, $first: Int, $after: String) {
    ledger(userId: $userId, asset: $asset, kinds: $kinds, since: $since, until: $until, reference: $reference, first: $first, after: $after) {
      edges { cursor node { id sequence amount direction balanceAfter kind createdAt asset { code } transaction { id kind reference } } }
      pageInfo { hasNextPage endCursor } } }`;

  it('pages newest first by cursor, each entry once, with no gaps', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    do {
      const res: any = await t.gql(LEDGER, { userId: 'led', first: 5, after });
      expect(res.errors).toBeUndefined();
      seen.push(...res.data.ledger.edges.map((e: any) => e.node.id));
      after = res.data.ledger.pageInfo.hasNextPage ? res.data.ledger.pageInfo.endCursor : null;
      pages += 1;
    } while (after);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(12);
    expect([...seen].sort((a, b) => Number(b) - Number(a))).toEqual(seen);
    expect(new Set(seen).size).toBe(12);
  });

  it('filters by asset (sequences then run down without gaps), kinds and reference', async () => {
    const gold = await t.gql(LEDGER, { userId: 'led', asset: 'GOLD_COINS' });
    expect(gold.data.ledger.edges.map((e: any) => e.node.sequence)).toEqual([
      '6',
      '5',
      '4',
      '3',
      '2',
      '1',
    ]);
    const spends = await t.gql(LEDGER, { userId: 'led', kinds: ['SPEND'] });
    expect(spends.data.ledger.edges).toHaveLength(4);
    expect(
      spends.data.ledger.edges.every(
        (e: any) => e.node.kind === 'SPEND' && e.node.transaction.kind === 'SPEND',
      ),
    ).toBe(true);
    const ref = await t.gql(LEDGER, { userId: 'led', reference: 'ref-1' });
    expect(ref.data.ledger.edges.map((e: any) => e.node.transaction.reference)).toEqual([
      'ref-1',
      'ref-1',
      'ref-1',
    ]);
  });

  it('filters by time window', async () => {
    const all = await t.gql(LEDGER, { userId: 'led' });
    const nodes = all.data.ledger.edges.map((e: any) => e.node);
    const since = nodes[7].createdAt;
    const until = nodes[2].createdAt;
    const windowed = await t.gql(LEDGER, { userId: 'led', since, until });
    expect(windowed.data.ledger.edges.map((e: any) => e.node.id)).toEqual(
      nodes.slice(3, 8).map((n: any) => n.id),
    );
  });

  it('caps first at 500', async () => {
    const res = await t.gql(LEDGER, { userId: 'led', first: 100000 });
    expect(res.errors).toBeUndefined();
    expect(res.data.ledger.edges).toHaveLength(12);
  });

  it('a 50-entry page with transactions, entries and assets costs a fixed, small number of statements', async () => {
    for (let i = 0; i < 60; i += 1) {
      await t.gql(TOPUP, {
        input: {
          userId: 'stmts',
          asset: i % 2 ? 'GOLD_COINS' : 'DIAMONDS',
          amount: '1',
          idempotencyKey: `st-${i}`,
        },
      });
    }
    const statements: string[] = [];
    const listener = (event: { query: string }) => statements.push(event.query);
    (t.database.prisma as any).$on('query', listener);
    const res = await t.gql(
      `{ ledger(userId: "stmts", first: 50) { edges { node { id asset { code } transaction { id asset { code } entries { id asset { code } } } } } } }`,
    );
    expect(res.errors).toBeUndefined();
    expect(res.data.ledger.edges).toHaveLength(50);
    const counted = statements.filter((s) => !/^(BEGIN|COMMIT|ROLLBACK)/i.test(s.trim()));
    // One page query, one batch of transactions, one of their entries, one of assets.
    expect(counted.length).toBeLessThanOrEqual(4);
  });
});

describe('transaction(id)', () => {
  it('returns a transaction with its balanced entries, null for an unknown id', async () => {
    const created = await t.gql(TOPUP, {
      input: {
        userId: 'tx-user',
        asset: 'DIAMONDS',
        amount: '42',
        idempotencyKey: 'tx-1',
        reference: 'find-me',
      },
    });
    const id = created.data.topup.transaction.id;
    const res = await t.gql(
      `query($id: ID!) { transaction(id: $id) { id kind amount reference userId asset { code } entries { direction amount account } } }`,
      { id },
    );
    expect(res.data.transaction).toMatchObject({
      id,
      kind: 'TOPUP',
      amount: '42',
      reference: 'find-me',
      userId: 'tx-user',
      asset: { code: 'DIAMONDS' },
    });
    const signed = res.data.transaction.entries.reduce(
      (sum: bigint, e: any) =>
        sum + (e.direction === 'CREDIT' ? BigInt(e.amount) : -BigInt(e.amount)),
      0n,
    );
    expect(signed).toBe(0n);
    const missing = await t.gql(`{ transaction(id: "999999999") { id } }`);
    expect(missing.errors).toBeUndefined();
    expect(missing.data.transaction).toBeNull();
  });

  it('unknown fields are a clean BAD_USER_INPUT validation error', async () => {
    const res = await t.gql(`{ assets { nope } }`);
    expect(res.status).toBe(400);
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
  });
});
