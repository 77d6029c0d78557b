// Proves reverse over real HTTP: each kind undone against the right system account, credits needing funds, at most one reversal per transaction (also under races), no reversal of a reversal, idempotent replays, and live balanceChanged events.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { errorCode } from '../support/gateway';
import { useTestGateway } from '../support/use-test-gateway';
import { inputMutation } from '../support/documents';

const WALLET = 'wallet { userId balance available lastSequence }';
const TX_FIELDS = `id kind userId amount reference idempotencyKey
  reverses { id kind } reversedBy { id kind }
  entries { account direction amount sequence balanceAfter kind }`;
const TRANSFER = `replayed ${WALLET} transaction { ${TX_FIELDS} }`;
const REVERSE = inputMutation('reverse', TRANSFER);
const TOPUP = inputMutation('topup', TRANSFER);
const BONUS = inputMutation('bonus', TRANSFER);
const SPEND = inputMutation('spend', TRANSFER);
const HOLD = inputMutation('hold', `hold { id } ${WALLET}`);
const CAPTURE = inputMutation('captureHold', TRANSFER);
const BALANCE = `query($userId: ID!) { balance(userId: $userId, asset: "GOLD_COINS") { balance available } }`;
const TRANSACTION = `query($id: ID!) { transaction(id: $id) { ${TX_FIELDS} } }`;

const t = useTestGateway('reversals', { env: { HOLD_SWEEP_INTERVAL_MS: '0' } });

let keyCounter = 0;
async function move(mutation: string, name: string, userId: string, amount: string): Promise<any> {
  const res = await t.gql(mutation, {
    input: {
      userId,
      asset: 'GOLD_COINS',
      amount,
      idempotencyKey: `${name}-${userId}-${++keyCounter}`,
    },
  });
  expect(res.errors).toBeUndefined();
  return res.data[name];
}

async function reverse(transactionId: string, idempotencyKey: string, reason?: string) {
  return t.gql(REVERSE, { input: { transactionId, idempotencyKey, reason } });
}

async function balanceOf(userId: string): Promise<{ balance: string; available: string }> {
  return (await t.gql(BALANCE, { userId })).data.balance;
}

/** The asset's system account balance: the signed sum of its entries (credits minus debits). */
async function systemBalance(account: string): Promise<bigint> {
  const rows = await t.database.prisma.$queryRaw<{ total: bigint }[]>`
    SELECT COALESCE(SUM(CASE direction WHEN 'CREDIT' THEN amount ELSE -amount END), 0)::bigint AS total
    FROM ledger_entries WHERE asset_code = 'GOLD_COINS' AND account_kind = ${account}::account_kind`;
  return rows[0]!.total;
}

const userEntry = (tx: any) => tx.entries.find((e: any) => e.account === 'USER');
const systemEntry = (tx: any) => tx.entries.find((e: any) => e.account !== 'USER');

describe('reverse each kind', () => {
  it('a TOPUP reversal debits the user and credits the treasury back', async () => {
    const topup = await move(TOPUP, 'topup', 'rv-topup', '100');
    const treasuryBefore = await systemBalance('TREASURY');
    const res = await reverse(topup.transaction.id, 'rv-topup-1', 'chargeback');
    expect(res.errors).toBeUndefined();
    const { transaction, wallet, replayed } = res.data.reverse;
    expect(replayed).toBe(false);
    expect(wallet).toEqual({ userId: 'rv-topup', balance: '0', available: '0', lastSequence: '2' });
    expect(transaction).toMatchObject({
      kind: 'REVERSAL',
      userId: 'rv-topup',
      amount: '100',
      reference: 'chargeback',
      reverses: { id: topup.transaction.id, kind: 'TOPUP' },
      reversedBy: null,
    });
    expect(userEntry(transaction)).toEqual({
      account: 'USER',
      direction: 'DEBIT',
      amount: '100',
      sequence: '2',
      balanceAfter: '0',
      kind: 'REVERSAL',
    });
    expect(systemEntry(transaction)).toMatchObject({
      account: 'TREASURY',
      direction: 'CREDIT',
      amount: '100',
    });
    expect(await systemBalance('TREASURY')).toBe(treasuryBefore + 100n);
    // The original now links to its reversal.
    const original = await t.gql(TRANSACTION, { id: topup.transaction.id });
    expect(original.data.transaction.reversedBy).toEqual({ id: transaction.id, kind: 'REVERSAL' });
  });

  it('a BONUS reversal debits the user and credits the bonus pool back', async () => {
    const bonus = await move(BONUS, 'bonus', 'rv-bonus', '70');
    const poolBefore = await systemBalance('BONUS_POOL');
    const res = await reverse(bonus.transaction.id, 'rv-bonus-1');
    expect(res.errors).toBeUndefined();
    const { transaction, wallet } = res.data.reverse;
    expect(wallet).toMatchObject({ balance: '0', available: '0' });
    expect(transaction).toMatchObject({
      kind: 'REVERSAL',
      amount: '70',
      reference: null,
      reverses: { id: bonus.transaction.id, kind: 'BONUS' },
    });
    expect(userEntry(transaction)).toMatchObject({ direction: 'DEBIT', amount: '70' });
    expect(systemEntry(transaction)).toMatchObject({
      account: 'BONUS_POOL',
      direction: 'CREDIT',
      amount: '70',
    });
    expect(await systemBalance('BONUS_POOL')).toBe(poolBefore + 70n);
  });

  it('a SPEND reversal credits the user back from revenue', async () => {
    await move(TOPUP, 'topup', 'rv-spend', '100');
    const spend = await move(SPEND, 'spend', 'rv-spend', '80');
    const revenueBefore = await systemBalance('REVENUE');
    const res = await reverse(spend.transaction.id, 'rv-spend-1', 'item never delivered');
    expect(res.errors).toBeUndefined();
    const { transaction, wallet } = res.data.reverse;
    expect(wallet).toMatchObject({ balance: '100', available: '100', lastSequence: '3' });
    expect(transaction).toMatchObject({
      kind: 'REVERSAL',
      amount: '80',
      reverses: { id: spend.transaction.id, kind: 'SPEND' },
    });
    expect(userEntry(transaction)).toMatchObject({
      direction: 'CREDIT',
      amount: '80',
      balanceAfter: '100',
    });
    expect(systemEntry(transaction)).toMatchObject({
      account: 'REVENUE',
      direction: 'DEBIT',
      amount: '80',
    });
    expect(await systemBalance('REVENUE')).toBe(revenueBefore - 80n);
  });

  it('a CAPTURE reversal credits the user back from revenue', async () => {
    await move(TOPUP, 'topup', 'rv-capture', '100');
    const hold = await t.gql(HOLD, {
      input: {
        userId: 'rv-capture',
        asset: 'GOLD_COINS',
        amount: '60',
        idempotencyKey: 'rv-capture-hold',
      },
    });
    const capture = await t.gql(CAPTURE, {
      input: { holdId: hold.data.hold.hold.id, amount: '45', idempotencyKey: 'rv-capture-cap' },
    });
    expect(capture.errors).toBeUndefined();
    expect(await balanceOf('rv-capture')).toEqual({ balance: '55', available: '55' });
    const res = await reverse(capture.data.captureHold.transaction.id, 'rv-capture-1');
    expect(res.errors).toBeUndefined();
    const { transaction, wallet } = res.data.reverse;
    expect(wallet).toMatchObject({ balance: '100', available: '100' });
    expect(transaction).toMatchObject({
      kind: 'REVERSAL',
      amount: '45',
      reverses: { kind: 'CAPTURE' },
    });
    expect(systemEntry(transaction)).toMatchObject({
      account: 'REVENUE',
      direction: 'DEBIT',
      amount: '45',
    });
  });

  it('reversing a debit always succeeds, even on a wallet whose funds are all held', async () => {
    await move(TOPUP, 'topup', 'rv-debit-held', '50');
    const spend = await move(SPEND, 'spend', 'rv-debit-held', '20');
    await t.gql(HOLD, {
      input: {
        userId: 'rv-debit-held',
        asset: 'GOLD_COINS',
        amount: '30',
        idempotencyKey: 'rv-debit-held-hold',
      },
    });
    const res = await reverse(spend.transaction.id, 'rv-debit-held-1');
    expect(res.errors).toBeUndefined();
    expect(res.data.reverse.wallet).toMatchObject({ balance: '50', available: '20' });
  });
});

describe('refusals', () => {
  it('reversing a credit whose funds are gone (spent or held) is INSUFFICIENT_FUNDS, recorded and replayed', async () => {
    const topup = await move(TOPUP, 'topup', 'rv-poor', '100');
    await move(SPEND, 'spend', 'rv-poor', '30');
    expect(errorCode(await reverse(topup.transaction.id, 'rv-poor-1'))).toBe('INSUFFICIENT_FUNDS');
    // Funds held count as unavailable too.
    await move(TOPUP, 'topup', 'rv-poor', '30');
    await t.gql(HOLD, {
      input: {
        userId: 'rv-poor',
        asset: 'GOLD_COINS',
        amount: '1',
        idempotencyKey: 'rv-poor-hold',
      },
    });
    expect(errorCode(await reverse(topup.transaction.id, 'rv-poor-2'))).toBe('INSUFFICIENT_FUNDS');
    expect(await balanceOf('rv-poor')).toEqual({ balance: '100', available: '99' });
    // The first key keeps its refusal even once funds would suffice.
    await move(TOPUP, 'topup', 'rv-poor', '1');
    expect(errorCode(await reverse(topup.transaction.id, 'rv-poor-1'))).toBe('INSUFFICIENT_FUNDS');
    const fresh = await reverse(topup.transaction.id, 'rv-poor-3');
    expect(fresh.errors).toBeUndefined();
    expect(fresh.data.reverse.wallet).toMatchObject({ balance: '1', available: '0' });
  });

  it('a second reversal with a new key is ALREADY_REVERSED, recorded and replayed', async () => {
    const topup = await move(TOPUP, 'topup', 'rv-twice', '10');
    await move(TOPUP, 'topup', 'rv-twice', '100');
    expect((await reverse(topup.transaction.id, 'rv-twice-1')).errors).toBeUndefined();
    expect(errorCode(await reverse(topup.transaction.id, 'rv-twice-2'))).toBe('ALREADY_REVERSED');
    expect(errorCode(await reverse(topup.transaction.id, 'rv-twice-2'))).toBe('ALREADY_REVERSED');
    const rows = await t.database.prisma.$queryRaw<{ outcome: string; error_code: string }[]>`
      SELECT outcome::text AS outcome, error_code FROM idempotency_keys WHERE key = 'rv-twice-2'`;
    expect(rows).toEqual([{ outcome: 'REFUSED', error_code: 'ALREADY_REVERSED' }]);
    expect(await balanceOf('rv-twice')).toEqual({ balance: '100', available: '100' });
  });

  it('concurrent reversals of one transaction with different keys: exactly one succeeds', async () => {
    await move(TOPUP, 'topup', 'rv-race', '1000');
    const spend = await move(SPEND, 'spend', 'rv-race', '100');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => reverse(spend.transaction.id, `rv-race-${i}`)),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => errorCode(r) === 'ALREADY_REVERSED')).toHaveLength(19);
    expect(await balanceOf('rv-race')).toEqual({ balance: '1000', available: '1000' });
    const reversals = await t.database.prisma.$queryRaw<
      { n: bigint }[]
    >`SELECT count(*) AS n FROM transactions WHERE reverses_id = ${BigInt(spend.transaction.id)}`;
    expect(reversals[0]!.n).toBe(1n);
  });

  it('a reversal cannot be reversed: BAD_USER_INPUT, key unused', async () => {
    const topup = await move(TOPUP, 'topup', 'rv-rr', '10');
    const reversal = await reverse(topup.transaction.id, 'rv-rr-1');
    const res = await reverse(reversal.data.reverse.transaction.id, 'rv-rr-2');
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
    expect(res.errors![0]!.message).toMatch(/reversal cannot be reversed/);
    const rows = await t.database.prisma.$queryRaw<
      { n: bigint }[]
    >`SELECT count(*) AS n FROM idempotency_keys WHERE key = 'rv-rr-2'`;
    expect(rows[0]!.n).toBe(0n);
  });

  it('an unknown transaction is NOT_FOUND, a malformed id or an over-long reason BAD_USER_INPUT', async () => {
    expect(errorCode(await reverse('999999999', 'rv-nf'))).toBe('NOT_FOUND');
    expect(errorCode(await reverse('x1', 'rv-nf'))).toBe('BAD_USER_INPUT');
    const topup = await move(TOPUP, 'topup', 'rv-nf', '10');
    expect(errorCode(await reverse(topup.transaction.id, 'rv-nf', 'r'.repeat(513)))).toBe(
      'BAD_USER_INPUT',
    );
    expect(errorCode(await reverse(topup.transaction.id, ''))).toBe('BAD_USER_INPUT');
    // None of these used the key.
    const ok = await reverse(topup.transaction.id, 'rv-nf');
    expect(ok.errors).toBeUndefined();
    expect(ok.data.reverse.replayed).toBe(false);
  });

  it('players may not reverse', async () => {
    const topup = await move(TOPUP, 'topup', 'rv-player', '10');
    const token = await t.tokens.player('rv-player');
    const res = await t.gql(
      REVERSE,
      { input: { transactionId: topup.transaction.id, idempotencyKey: 'rv-player' } },
      { authorization: `Bearer ${token}` },
    );
    expect(errorCode(res)).toBe('FORBIDDEN');
  });
});

describe('idempotency', () => {
  it('a retry replays the same reversal and moves no money again; a different input is IDEMPOTENCY_KEY_REUSED', async () => {
    await move(TOPUP, 'topup', 'rv-idem', '100');
    const spend = await move(SPEND, 'spend', 'rv-idem', '40');
    const first = await reverse(spend.transaction.id, 'rv-idem-1', 'refund');
    const again = await reverse(spend.transaction.id, 'rv-idem-1', 'refund');
    expect(again.errors).toBeUndefined();
    expect(again.data.reverse).toMatchObject({
      replayed: true,
      transaction: { id: first.data.reverse.transaction.id },
      wallet: { balance: '100' },
    });
    expect(errorCode(await reverse(spend.transaction.id, 'rv-idem-1', 'other reason'))).toBe(
      'IDEMPOTENCY_KEY_REUSED',
    );
    const other = await move(SPEND, 'spend', 'rv-idem', '1');
    expect(errorCode(await reverse(other.transaction.id, 'rv-idem-1', 'refund'))).toBe(
      'IDEMPOTENCY_KEY_REUSED',
    );
    expect(await balanceOf('rv-idem')).toEqual({ balance: '99', available: '99' });
  });

  it('20 concurrent requests with one key give one reversal and 19 replays', async () => {
    const topup = await move(TOPUP, 'topup', 'rv-dup', '50');
    const results = await Promise.all(
      Array.from({ length: 20 }, () => reverse(topup.transaction.id, 'rv-dup')),
    );
    expect(results.filter((r) => r.errors)).toEqual([]);
    expect(new Set(results.map((r) => r.data.reverse.transaction.id)).size).toBe(1);
    expect(results.filter((r) => !r.data.reverse.replayed)).toHaveLength(1);
    expect(await balanceOf('rv-dup')).toEqual({ balance: '0', available: '0' });
  });
});

describe('live updates', () => {
  it('captures and reversals reach balanceChanged subscribers in sequence; holds post no entry', async () => {
    const client = createClient({
      url: t.wsUrl,
      webSocketImpl: WebSocket,
      connectionParams: { authorization: `Bearer ${t.tokens.server}` },
      retryAttempts: 0,
    });
    const events: { sequence: string; kind: string; direction: string; balance: string }[] = [];
    let failure: string | undefined;
    const unsubscribe = client.subscribe<any>(
      {
        query:
          'subscription { balanceChanged(userId: "rv-live", asset: "GOLD_COINS", afterSequence: "0") { wallet { balance } entry { sequence kind direction } } }',
      },
      {
        next: ({ data }) => {
          events.push({
            sequence: data.balanceChanged.entry.sequence,
            kind: data.balanceChanged.entry.kind,
            direction: data.balanceChanged.entry.direction,
            balance: data.balanceChanged.wallet.balance,
          });
        },
        // Recorded, not thrown: thrown from here it is an uncaught exception, and jest dumps the
        // whole CloseEvent (its socket included, some 150 lines) instead of failing the test.
        error: (error) => {
          failure ??= describeSubscriptionError(error);
        },
        complete: () => undefined,
      },
    );
    try {
      await move(TOPUP, 'topup', 'rv-live', '100');
      // The replay from afterSequence 0 delivers the topup: from then on the subscription is live.
      for (let i = 0; i < 100 && events.length < 1; i += 1)
        await new Promise((resolve) => setTimeout(resolve, 20));
      const hold = await t.gql(HOLD, {
        input: {
          userId: 'rv-live',
          asset: 'GOLD_COINS',
          amount: '40',
          idempotencyKey: 'rv-live-hold',
        },
      });
      const capture = await t.gql(CAPTURE, {
        input: { holdId: hold.data.hold.hold.id, idempotencyKey: 'rv-live-cap' },
      });
      expect(capture.errors).toBeUndefined();
      await t.gql(HOLD, {
        input: {
          userId: 'rv-live',
          asset: 'GOLD_COINS',
          amount: '10',
          idempotencyKey: 'rv-live-hold-2',
        },
      });
      expect(
        (await reverse(capture.data.captureHold.transaction.id, 'rv-live-rev')).errors,
      ).toBeUndefined();
      for (let i = 0; i < 100 && events.length < 3; i += 1)
        await new Promise((resolve) => setTimeout(resolve, 20));
      expect(failure).toBeUndefined();
      expect(events).toEqual([
        { sequence: '1', kind: 'TOPUP', direction: 'CREDIT', balance: '100' },
        { sequence: '2', kind: 'CAPTURE', direction: 'DEBIT', balance: '60' },
        { sequence: '3', kind: 'REVERSAL', direction: 'CREDIT', balance: '100' },
      ]);
    } finally {
      unsubscribe();
      await client.dispose();
    }
  });
});

/** A subscription's error as one line: GraphQL errors, or a close event's code and reason. */
function describeSubscriptionError(error: unknown): string {
  if (Array.isArray(error)) return JSON.stringify(error);
  const close = error as { code?: unknown; reason?: unknown };
  if (typeof close.code === 'number') return `socket closed: ${close.code} ${String(close.reason)}`;
  return error instanceof Error ? error.message : String(error);
}
