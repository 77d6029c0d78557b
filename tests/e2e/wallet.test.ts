// Proves topup, bonus and spend over real HTTP: payloads, double entry, idempotent replays and refusals, and the invariants after each test.
import { errorCode } from '../support/gateway';
import { useTestGateway } from '../support/use-test-gateway';
import { inputMutation } from '../support/documents';

const TRANSFER_FIELDS = `
  replayed
  wallet { userId balance available lastSequence updatedAt asset { code name decimals } }
  transaction { id kind userId amount idempotencyKey reference metadata createdAt asset { code }
    entries { id sequence userId account direction amount balanceAfter kind } }`;
const TOPUP = inputMutation('topup', `${TRANSFER_FIELDS}`);
const BONUS = inputMutation('bonus', `${TRANSFER_FIELDS}`);
const SPEND = inputMutation('spend', `${TRANSFER_FIELDS}`);

const t = useTestGateway('wallet');

describe('topup, bonus, spend', () => {
  it('topup credits the user from the treasury with two balanced entries', async () => {
    const res = await t.gql(TOPUP, {
      input: {
        userId: 'u-topup',
        asset: 'GOLD_COINS',
        amount: '1500',
        idempotencyKey: 'k1',
        reference: 'order-1',
        metadata: { sku: 'pack-1' },
      },
    });
    expect(res.errors).toBeUndefined();
    const payload = res.data.topup;
    expect(payload.replayed).toBe(false);
    expect(payload.wallet).toMatchObject({
      userId: 'u-topup',
      balance: '1500',
      available: '1500',
      lastSequence: '1',
      asset: { code: 'GOLD_COINS', name: 'Gold coins', decimals: 0 },
    });
    expect(payload.transaction).toMatchObject({
      kind: 'TOPUP',
      userId: 'u-topup',
      amount: '1500',
      idempotencyKey: 'k1',
      reference: 'order-1',
      metadata: { sku: 'pack-1' },
    });
    const entries = payload.transaction.entries;
    expect(entries).toHaveLength(2);
    const user = entries.find((e: any) => e.account === 'USER');
    const system = entries.find((e: any) => e.account !== 'USER');
    expect(user).toMatchObject({
      direction: 'CREDIT',
      amount: '1500',
      sequence: '1',
      balanceAfter: '1500',
      userId: 'u-topup',
      kind: 'TOPUP',
    });
    expect(system).toMatchObject({ direction: 'DEBIT', amount: '1500', account: 'TREASURY' });
  });

  it('bonus credits from the bonus pool; spend debits to revenue', async () => {
    const bonus = await t.gql(BONUS, {
      input: { userId: 'u-bs', asset: 'DIAMONDS', amount: 300, idempotencyKey: 'b1' },
    });
    expect(bonus.errors).toBeUndefined();
    expect(
      bonus.data.bonus.transaction.entries.find((e: any) => e.account !== 'USER').account,
    ).toBe('BONUS_POOL');
    const spend = await t.gql(SPEND, {
      input: { userId: 'u-bs', asset: 'DIAMONDS', amount: '120', idempotencyKey: 's1' },
    });
    expect(spend.errors).toBeUndefined();
    expect(spend.data.spend.wallet.balance).toBe('180');
    const entries = spend.data.spend.transaction.entries;
    expect(entries.find((e: any) => e.account === 'USER')).toMatchObject({
      direction: 'DEBIT',
      sequence: '2',
      balanceAfter: '180',
    });
    expect(entries.find((e: any) => e.account !== 'USER')).toMatchObject({
      direction: 'CREDIT',
      account: 'REVENUE',
    });
  });

  it('carries amounts up to 2^63-1 without precision loss', async () => {
    const max = '9223372036854775807';
    const res = await t.gql(TOPUP, {
      input: { userId: 'u-max', asset: 'GOLD_COINS', amount: max, idempotencyKey: 'max' },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data.topup.wallet.balance).toBe(max);
    const over = await t.gql(TOPUP, {
      input: { userId: 'u-max', asset: 'GOLD_COINS', amount: '1', idempotencyKey: 'max+1' },
    });
    expect(errorCode(over)).toBe('BAD_USER_INPUT');
    const again = await t.gql(TOPUP, {
      input: { userId: 'u-max', asset: 'GOLD_COINS', amount: '1', idempotencyKey: 'max+1' },
    });
    expect(errorCode(again)).toBe('BAD_USER_INPUT');
  });

  it('spend beyond the balance is INSUFFICIENT_FUNDS and changes nothing', async () => {
    await t.gql(TOPUP, {
      input: { userId: 'u-poor', asset: 'GOLD_COINS', amount: '10', idempotencyKey: 'p-top' },
    });
    const res = await t.gql(SPEND, {
      input: { userId: 'u-poor', asset: 'GOLD_COINS', amount: '11', idempotencyKey: 'p-spend' },
    });
    expect(errorCode(res)).toBe('INSUFFICIENT_FUNDS');
    const balance = await t.gql(
      `{ balance(userId: "u-poor", asset: "GOLD_COINS") { balance lastSequence } }`,
    );
    expect(balance.data.balance).toEqual({ balance: '10', lastSequence: '1' });
  });

  it('spend on a wallet that never received anything is INSUFFICIENT_FUNDS', async () => {
    const res = await t.gql(SPEND, {
      input: { userId: 'u-never', asset: 'GOLD_COINS', amount: '1', idempotencyKey: 'n1' },
    });
    expect(errorCode(res)).toBe('INSUFFICIENT_FUNDS');
  });
});

describe('idempotency', () => {
  it('a retry with the same key and input replays the same transaction and moves no money', async () => {
    const input = {
      userId: 'u-idem',
      asset: 'GOLD_COINS',
      amount: '50',
      idempotencyKey: 'same',
      metadata: { a: 1, b: [1, 2] },
    };
    const first = await t.gql(TOPUP, { input });
    const second = await t.gql(TOPUP, { input: { ...input, metadata: { b: [1, 2], a: 1 } } });
    expect(second.errors).toBeUndefined();
    expect(second.data.topup.replayed).toBe(true);
    expect(second.data.topup.transaction.id).toBe(first.data.topup.transaction.id);
    expect(second.data.topup.wallet.balance).toBe('50');
  });

  it('the same key with a different input is IDEMPOTENCY_KEY_REUSED', async () => {
    await t.gql(TOPUP, {
      input: { userId: 'u-reuse', asset: 'GOLD_COINS', amount: '5', idempotencyKey: 'r1' },
    });
    for (const input of [
      { userId: 'u-reuse', asset: 'GOLD_COINS', amount: '6', idempotencyKey: 'r1' },
      { userId: 'u-reuse-2', asset: 'GOLD_COINS', amount: '5', idempotencyKey: 'r1' },
      { userId: 'u-reuse', asset: 'DIAMONDS', amount: '5', idempotencyKey: 'r1' },
      { userId: 'u-reuse', asset: 'GOLD_COINS', amount: '5', idempotencyKey: 'r1', reference: 'x' },
    ]) {
      expect(errorCode(await t.gql(TOPUP, { input }))).toBe('IDEMPOTENCY_KEY_REUSED');
    }
    // The same key on another operation is a different request too.
    expect(
      errorCode(
        await t.gql(BONUS, {
          input: { userId: 'u-reuse', asset: 'GOLD_COINS', amount: '5', idempotencyKey: 'r1' },
        }),
      ),
    ).toBe('IDEMPOTENCY_KEY_REUSED');
    const balance = await t.gql(`{ balance(userId: "u-reuse", asset: "GOLD_COINS") { balance } }`);
    expect(balance.data.balance.balance).toBe('5');
  });

  it('a refused spend is replayed as the same refusal even after funds arrive', async () => {
    const spend = {
      userId: 'u-refuse',
      asset: 'GOLD_COINS',
      amount: '30',
      idempotencyKey: 'spend-30',
    };
    expect(errorCode(await t.gql(SPEND, { input: spend }))).toBe('INSUFFICIENT_FUNDS');
    await t.gql(TOPUP, {
      input: { userId: 'u-refuse', asset: 'GOLD_COINS', amount: '100', idempotencyKey: 'fund' },
    });
    expect(errorCode(await t.gql(SPEND, { input: spend }))).toBe('INSUFFICIENT_FUNDS');
    const fresh = await t.gql(SPEND, { input: { ...spend, idempotencyKey: 'spend-30-b' } });
    expect(fresh.errors).toBeUndefined();
    expect(fresh.data.spend.wallet.balance).toBe('70');
  });

  it('requests refused before a decision do not consume the key', async () => {
    const bad = await t.gql(TOPUP, {
      input: { userId: 'u-unused', asset: 'NOPE', amount: '5', idempotencyKey: 'later' },
    });
    expect(errorCode(bad)).toBe('NOT_FOUND');
    const zero = await t.gql(TOPUP, {
      input: { userId: 'u-unused', asset: 'GOLD_COINS', amount: '0', idempotencyKey: 'later' },
    });
    expect(errorCode(zero)).toBe('BAD_USER_INPUT');
    const good = await t.gql(TOPUP, {
      input: { userId: 'u-unused', asset: 'GOLD_COINS', amount: '5', idempotencyKey: 'later' },
    });
    expect(good.errors).toBeUndefined();
    expect(good.data.topup.replayed).toBe(false);
  });
});

describe('concurrency', () => {
  it('200 concurrent spends of 1 on a wallet holding 100: exactly 100 succeed, balance 0', async () => {
    await t.gql(TOPUP, {
      input: { userId: 'u-race', asset: 'GOLD_COINS', amount: '100', idempotencyKey: 'race-fund' },
    });
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        t.gql(SPEND, {
          input: {
            userId: 'u-race',
            asset: 'GOLD_COINS',
            amount: '1',
            idempotencyKey: `race-${i}`,
          },
        }),
      ),
    );
    const ok = results.filter((r) => !r.errors).length;
    const refused = results.filter((r) => errorCode(r) === 'INSUFFICIENT_FUNDS').length;
    expect(ok).toBe(100);
    expect(refused).toBe(100);
    const balance = await t.gql(
      `{ balance(userId: "u-race", asset: "GOLD_COINS") { balance lastSequence } }`,
    );
    expect(balance.data.balance).toEqual({ balance: '0', lastSequence: '101' });
  });

  it('50 concurrent requests with one key give one transaction and 49 replays', async () => {
    const input = { userId: 'u-dup', asset: 'GOLD_COINS', amount: '7', idempotencyKey: 'dup-key' };
    const results = await Promise.all(Array.from({ length: 50 }, () => t.gql(TOPUP, { input })));
    expect(results.filter((r) => r.errors)).toEqual([]);
    const ids = new Set(results.map((r) => r.data.topup.transaction.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.data.topup.replayed === false)).toHaveLength(1);
    expect(results.filter((r) => r.data.topup.replayed === true)).toHaveLength(49);
    const balance = await t.gql(`{ balance(userId: "u-dup", asset: "GOLD_COINS") { balance } }`);
    expect(balance.data.balance.balance).toBe('7');
  });

  it('first topups for 50 distinct users in parallel all succeed', async () => {
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        t.gql(TOPUP, {
          input: {
            userId: `u-par-${i}`,
            asset: 'DIAMONDS',
            amount: String(i + 1),
            idempotencyKey: `par-${i}`,
          },
        }),
      ),
    );
    expect(results.filter((r) => r.errors)).toEqual([]);
    results.forEach((r, i) => expect(r.data.topup.wallet.balance).toBe(String(i + 1)));
  });

  it('concurrent first credits of one new user create one wallet', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.gql(BONUS, {
          input: {
            userId: 'u-first',
            asset: 'LOYALTY_POINTS',
            amount: '1',
            idempotencyKey: `first-${i}`,
          },
        }),
      ),
    );
    expect(results.filter((r) => r.errors)).toEqual([]);
    const balance = await t.gql(
      `{ balance(userId: "u-first", asset: "LOYALTY_POINTS") { balance lastSequence } }`,
    );
    expect(balance.data.balance).toEqual({ balance: '20', lastSequence: '20' });
  });
});
