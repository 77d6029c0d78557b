// Proves credit lots (PAID/FREE, expiry, the debit order), EXPIRY, holds and reversals over lots, refund clawback, limits and freezes over real HTTP, with the ledger and lot invariants after each test.
import { errorCode, type GraphQLResponse } from '../support/gateway';
import { useTestGateway } from '../support/use-test-gateway';

const WALLET = 'balance available paid free status expiring { origin amount expiresAt }';
const TX = 'id kind amount paidAmount freeAmount';
const TOPUP = `mutation($input: TopupInput!) { topup(input: $input) { transaction { ${TX} } wallet { ${WALLET} } } }`;
const BONUS = `mutation($input: BonusInput!) { bonus(input: $input) { transaction { ${TX} } wallet { ${WALLET} } } }`;
const SPEND = `mutation($input: SpendInput!) { spend(input: $input) { transaction { ${TX} } wallet { ${WALLET} } } }`;
const TRANSFER = `mutation($input: UserTransferInput!) { transfer(input: $input) { transaction { ${TX} } from { ${WALLET} } to { ${WALLET} } } }`;
const HOLD = `mutation($input: HoldInput!) { hold(input: $input) { hold { id } wallet { ${WALLET} } } }`;
const CAPTURE = `mutation($input: CaptureHoldInput!) { captureHold(input: $input) { transaction { ${TX} } wallet { ${WALLET} } } }`;
const RELEASE = `mutation($holdId: ID!, $key: String!) { releaseHold(holdId: $holdId, idempotencyKey: $key) { wallet { ${WALLET} } } }`;
const REVERSE = `mutation($input: ReverseInput!) { reverse(input: $input) { transaction { ${TX} } wallet { ${WALLET} } } }`;
const BALANCE = `query($u: ID!, $a: ID!, $at: DateTime) { balance(userId: $u, asset: $a, at: $at) { ${WALLET} } }`;
const LIMITS = `mutation($asset: ID!, $limits: AssetLimitsInput!) { setAssetLimits(asset: $asset, limits: $limits) { code limits { balanceMax dailyBonusMax dailyTransferOutMax } } }`;
const STATUS = `mutation($u: ID!, $a: ID, $s: WalletStatus!, $r: String) { setWalletStatus(userId: $u, asset: $a, status: $s, reason: $r) { asset { code } status } }`;

// The sweep is driven by the tests (sweepExpiredLots), so nothing races them.
const t = useTestGateway('lots', { env: { HOLD_SWEEP_INTERVAL_MS: '0' } });
let admin: Record<string, string>;
beforeAll(async () => {
  admin = { authorization: `Bearer ${t.tokens.admin}` };
  await t.gateway.services.assets.ensure({ code: 'SEASON', name: 'Season tokens', decimals: 0 });
  await t.gateway.services.assets.ensure({ code: 'CAPPED', name: 'Capped', decimals: 0 });
});

let seq = 0;
const key = (label: string) => `${label}-${(seq += 1)}`;
const inSeconds = (s: number) => new Date(Date.now() + s * 1000).toISOString();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function ok(res: Promise<GraphQLResponse>, field: string): Promise<any> {
  const r = await res;
  expect(r.errors).toBeUndefined();
  return r.data[field];
}
const credit = (
  query: string,
  userId: string,
  amount: string,
  extra: Record<string, unknown> = {},
  asset = 'SEASON',
) => t.gql(query, { input: { userId, asset, amount, idempotencyKey: key('c'), ...extra } });
const spend = (userId: string, amount: string, asset = 'SEASON') =>
  t.gql(SPEND, { input: { userId, asset, amount, idempotencyKey: key('s') } });
const balance = async (userId: string, asset = 'SEASON', at?: string) =>
  await ok(t.gql(BALANCE, { u: userId, a: asset, at }), 'balance');

describe('lots and the debit order', () => {
  it('draws expiring lots soonest first, then FREE oldest first, then PAID oldest first', async () => {
    const u = 'lot-order';
    await ok(credit(TOPUP, u, '100'), 'topup'); // PAID, oldest
    await ok(credit(BONUS, u, '50'), 'bonus'); // FREE
    await ok(credit(TOPUP, u, '30', { expiresAt: inSeconds(3600) }), 'topup'); // PAID, expires later
    await ok(credit(BONUS, u, '20', { expiresAt: inSeconds(1800) }), 'bonus'); // FREE, expires sooner
    const wallet = await balance(u);
    expect(wallet).toMatchObject({ balance: '200', paid: '130', free: '70' });
    expect(wallet.expiring.map((l: any) => [l.origin, l.amount])).toEqual([
      ['FREE', '20'],
      ['PAID', '30'],
    ]);
    // Each spend: [amount, paidAmount, freeAmount, paid after, free after].
    const table: [string, string, string, string, string][] = [
      ['10', '0', '10', '130', '60'], // the soonest-expiring FREE lot
      ['25', '15', '10', '115', '50'], // rest of it (10), then the PAID expiring lot (15)
      ['20', '15', '5', '100', '45'], // rest of the PAID expiring lot (15), then the FREE lot (5)
      ['60', '15', '45', '85', '0'], // the FREE lot (45), then the oldest PAID lot (15)
      ['85', '85', '0', '0', '0'],
    ];
    for (const [amount, paid, free, paidAfter, freeAfter] of table) {
      const res = await ok(spend(u, amount), 'spend');
      expect({
        amount,
        tx: [res.transaction.paidAmount, res.transaction.freeAmount],
        wallet: [res.wallet.paid, res.wallet.free],
      }).toEqual({ amount, tx: [paid, free], wallet: [paidAfter, freeAfter] });
    }
    expect(errorCode(await spend(u, '1'))).toBe('INSUFFICIENT_FUNDS');
  });

  it('a transfer draws the sender in debit order and credits the recipient one FREE lot', async () => {
    await ok(credit(TOPUP, 'lot-tx-a', '40'), 'topup');
    const res = await ok(
      t.gql(TRANSFER, {
        input: {
          fromUserId: 'lot-tx-a',
          toUserId: 'lot-tx-b',
          asset: 'SEASON',
          amount: '25',
          idempotencyKey: key('tr'),
        },
      }),
      'transfer',
    );
    expect(res.transaction).toMatchObject({ paidAmount: '25', freeAmount: '0' });
    expect(res.to).toMatchObject({ balance: '25', paid: '0', free: '25' });
  });

  it('balance(at:) answers paid and free as of that instant', async () => {
    const u = 'lot-at';
    await ok(credit(TOPUP, u, '10'), 'topup');
    await sleep(20);
    const between = new Date().toISOString();
    await sleep(20);
    await ok(credit(BONUS, u, '5'), 'bonus');
    expect(await balance(u, 'SEASON', between)).toMatchObject({
      balance: '10',
      paid: '10',
      free: '0',
    });
    expect(await balance(u)).toMatchObject({ balance: '15', paid: '10', free: '5' });
    // expiring is always as of now, also at an instant before the expiring credit existed.
    const later = new Date(Date.now() + 3600_000).toISOString();
    await ok(credit(BONUS, u, '4', { expiresAt: later }), 'bonus');
    const expiringNow = [{ origin: 'FREE', amount: '4', expiresAt: later }];
    expect((await balance(u, 'SEASON', between)).expiring).toEqual(expiringNow);
    expect((await balance(u)).expiring).toEqual(expiringNow);
  });

  it('refuses bad expiries and writes nothing', async () => {
    const before = await t.database.pool.query(
      'SELECT (SELECT count(*) FROM transactions) AS t, (SELECT count(*) FROM idempotency_keys) AS k',
    );
    expect(
      errorCode(
        await credit(TOPUP, 'lot-bad', '1', {
          expiresAt: new Date(Date.now() - 1000).toISOString(),
        }),
      ),
    ).toBe('BAD_USER_INPUT');
    expect(
      errorCode(
        await credit(BONUS, 'lot-bad', '1', {
          expiresAt: new Date(Date.now() + 11 * 366 * 86400_000).toISOString(),
        }),
      ),
    ).toBe('BAD_USER_INPUT');
    const leg = {
      userId: 'lot-bad',
      asset: 'SEASON',
      kind: 'SPEND',
      amount: '1',
      expiresAt: inSeconds(60),
    };
    expect(
      errorCode(
        await t.gql(
          `mutation($input: ChangesetInput!) { applyChangeset(input: $input) { changesetId } }`,
          { input: { legs: [leg], idempotencyKey: key('cs') } },
        ),
      ),
    ).toBe('BAD_USER_INPUT');
    expect(
      errorCode(
        await t.gql(
          LIMITS,
          {
            asset: 'SEASON',
            limits: { balanceMax: '-1', dailyBonusMax: null, dailyTransferOutMax: null },
          },
          admin,
        ),
      ),
    ).toBe('BAD_USER_INPUT');
    expect(
      errorCode(
        await t.gql(
          LIMITS,
          {
            asset: 'NOPE',
            limits: { balanceMax: null, dailyBonusMax: null, dailyTransferOutMax: null },
          },
          admin,
        ),
      ),
    ).toBe('NOT_FOUND');
    expect(
      errorCode(
        await t.gql(LIMITS, {
          asset: 'SEASON',
          limits: { balanceMax: '5', dailyBonusMax: null, dailyTransferOutMax: null },
        }),
      ),
    ).toBe('FORBIDDEN');
    expect(errorCode(await t.gql(STATUS, { u: 'lot-bad', s: 'FROZEN', r: 'x' }))).toBe('FORBIDDEN');
    expect(errorCode(await t.gql(STATUS, { u: '', s: 'FROZEN' }, admin))).toBe('BAD_USER_INPUT');
    expect(errorCode(await t.gql(STATUS, { u: 'lot-bad', a: 'NOPE', s: 'FROZEN' }, admin))).toBe(
      'NOT_FOUND',
    );
    const after = await t.database.pool.query(
      'SELECT (SELECT count(*) FROM transactions) AS t, (SELECT count(*) FROM idempotency_keys) AS k',
    );
    expect(after.rows[0]).toEqual(before.rows[0]);
  });
});

describe('expiry', () => {
  it('reads drop the expired remainder at once; the sweep posts EXPIRY; a spend after it is refused', async () => {
    const u = 'lot-exp';
    await ok(credit(TOPUP, u, '7'), 'topup');
    await ok(credit(BONUS, u, '5', { expiresAt: inSeconds(1) }), 'bonus');
    expect(await balance(u)).toMatchObject({ balance: '12', free: '5' });
    await sleep(1300);
    expect(await balance(u)).toMatchObject({
      balance: '7',
      available: '7',
      paid: '7',
      free: '0',
      expiring: [],
    });
    expect(errorCode(await spend(u, '8'))).toBe('INSUFFICIENT_FUNDS');
    expect(await t.gateway.services.lots.sweepExpiredLots()).toBeGreaterThanOrEqual(1);
    const ledger = await t.gql(
      `query($u: ID!) { ledger(userId: $u, asset: "SEASON") { edges { node { kind amount balanceAfter sequence } } } }`,
      { u },
    );
    expect(ledger.data.ledger.edges[0].node).toMatchObject({
      kind: 'EXPIRY',
      amount: '5',
      balanceAfter: '7',
      sequence: '3',
    });
    expect(await t.gateway.services.lots.sweepExpiredLots()).toBe(0);
    expect((await ok(spend(u, '7'), 'spend')).wallet.balance).toBe('0');
  });

  it('a wallet with several expired lots gets one EXPIRY per lot, each under a key of its own', async () => {
    const u = 'lot-exp-many';
    await ok(credit(BONUS, u, '3', { expiresAt: inSeconds(1) }), 'bonus');
    await ok(credit(TOPUP, u, '4', { expiresAt: inSeconds(1.2) }), 'topup');
    await ok(credit(BONUS, u, '5', { expiresAt: inSeconds(1.4) }), 'bonus');
    await sleep(1700);
    expect(await t.gateway.services.lots.sweepExpiredLots()).toBe(3);
    const ledger = await t.gql(
      `query($u: ID!) { ledger(userId: $u, asset: "SEASON") { edges { node { kind amount } } } }`,
      { u },
    );
    expect(
      ledger.data.ledger.edges
        .filter((e: any) => e.node.kind === 'EXPIRY')
        .map((e: any) => e.node.amount)
        .sort(),
    ).toEqual(['3', '4', '5']);
    expect(await balance(u)).toMatchObject({ balance: '0' });
  });

  it('an EXPIRY never takes what an active hold reserves; capture and release after the lot expired', async () => {
    const u = 'lot-hold';
    await ok(credit(BONUS, u, '10', { expiresAt: inSeconds(1) }), 'bonus');
    const first = await ok(
      t.gql(HOLD, { input: { userId: u, asset: 'SEASON', amount: '4', idempotencyKey: key('h') } }),
      'hold',
    );
    const second = await ok(
      t.gql(HOLD, { input: { userId: u, asset: 'SEASON', amount: '3', idempotencyKey: key('h') } }),
      'hold',
    );
    await sleep(1300);
    // 3 unreserved units expired; the 7 reserved do not expire while their holds are ACTIVE.
    expect(await balance(u)).toMatchObject({ balance: '7', available: '0' });
    await t.gateway.services.lots.sweepExpiredLots();
    expect(await balance(u)).toMatchObject({ balance: '7', available: '0' });
    const captured = await ok(
      t.gql(CAPTURE, { input: { holdId: first.hold.id, idempotencyKey: key('cap') } }),
      'captureHold',
    );
    expect(captured.transaction).toMatchObject({ amount: '4', freeAmount: '4' });
    // The released amount's lot has expired: it expires at once.
    const released = await ok(
      t.gql(RELEASE, { holdId: second.hold.id, key: key('rel') }),
      'releaseHold',
    );
    expect(released.wallet).toMatchObject({ balance: '0', available: '0' });
    await t.gateway.services.lots.sweepExpiredLots();
    expect(await balance(u)).toMatchObject({ balance: '0' });
  });
});

describe('reversals over lots', () => {
  it("a debit's reversal restores its lots; a credit's reversal takes from its own lot first; partial clawback", async () => {
    const u = 'lot-rev';
    await ok(credit(BONUS, u, '30'), 'bonus');
    const purchase = await ok(credit(TOPUP, u, '50'), 'topup');
    const spent = await ok(spend(u, '40'), 'spend'); // FREE 30, PAID 10
    expect(spent.transaction).toMatchObject({ paidAmount: '10', freeAmount: '30' });
    const undo = await ok(
      t.gql(REVERSE, { input: { transactionId: spent.transaction.id, idempotencyKey: key('r') } }),
      'reverse',
    );
    expect(undo.transaction).toMatchObject({ amount: '40', paidAmount: '10', freeAmount: '30' });
    expect(undo.wallet).toMatchObject({ balance: '80', paid: '50', free: '30' });
    // The refunded purchase takes back from its own PAID lot first.
    const spend2 = await ok(spend(u, '70'), 'spend'); // FREE 30, PAID 40 -> 10 left, PAID
    expect(spend2.wallet).toMatchObject({ balance: '10', paid: '10' });
    expect(
      errorCode(
        await t.gql(REVERSE, {
          input: { transactionId: purchase.transaction.id, idempotencyKey: key('r') },
        }),
      ),
    ).toBe('INSUFFICIENT_FUNDS');
    const partial = await ok(
      t.gql(REVERSE, {
        input: {
          transactionId: purchase.transaction.id,
          idempotencyKey: key('r'),
          allowPartial: true,
        },
      }),
      'reverse',
    );
    expect(partial.transaction).toMatchObject({ kind: 'REVERSAL', amount: '10', paidAmount: '10' });
    expect(partial.wallet.balance).toBe('0');
  });
});

describe('limits', () => {
  it('balanceMax and dailyBonusMax refuse with LIMIT_EXCEEDED, its details, and replay the refusal', async () => {
    const set = await ok(
      t.gql(
        LIMITS,
        {
          asset: 'CAPPED',
          limits: { balanceMax: '100', dailyBonusMax: '30', dailyTransferOutMax: '15' },
        },
        admin,
      ),
      'setAssetLimits',
    );
    expect(set.limits).toEqual({
      balanceMax: '100',
      dailyBonusMax: '30',
      dailyTransferOutMax: '15',
    });
    const u = 'lim-1';
    await ok(credit(TOPUP, u, '80', {}, 'CAPPED'), 'topup');
    const over = { userId: u, asset: 'CAPPED', amount: '25', idempotencyKey: key('over') };
    const refused = await t.gql(TOPUP, { input: over });
    expect(errorCode(refused)).toBe('LIMIT_EXCEEDED');
    expect(refused.errors![0]!.extensions).toMatchObject({
      limit: 'balanceMax',
      max: '100',
      remaining: '20',
    });
    await t.gql(
      LIMITS,
      {
        asset: 'CAPPED',
        limits: { balanceMax: null, dailyBonusMax: '30', dailyTransferOutMax: '15' },
      },
      admin,
    );
    const replay = await t.gql(TOPUP, { input: over });
    expect(replay.errors![0]!.extensions).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      limit: 'balanceMax',
      max: '100',
      remaining: '20',
    });
    await ok(credit(BONUS, u, '20', {}, 'CAPPED'), 'bonus');
    const bonus = await credit(BONUS, u, '11', {}, 'CAPPED');
    expect(bonus.errors![0]!.extensions).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      limit: 'dailyBonusMax',
      max: '30',
      remaining: '10',
    });
    await ok(
      t.gql(TRANSFER, {
        input: {
          fromUserId: u,
          toUserId: 'lim-2',
          asset: 'CAPPED',
          amount: '10',
          idempotencyKey: key('t'),
        },
      }),
      'transfer',
    );
    const transfer = await t.gql(TRANSFER, {
      input: {
        fromUserId: u,
        toUserId: 'lim-2',
        asset: 'CAPPED',
        amount: '6',
        idempotencyKey: key('t'),
      },
    });
    expect(transfer.errors![0]!.extensions).toMatchObject({
      code: 'LIMIT_EXCEEDED',
      limit: 'dailyTransferOutMax',
      max: '15',
      remaining: '5',
    });
    await t.gql(
      LIMITS,
      {
        asset: 'CAPPED',
        limits: { balanceMax: null, dailyBonusMax: null, dailyTransferOutMax: null },
      },
      admin,
    );
  });

  it('setAssetLimits with a field left out is refused with BAD_USER_INPUT naming it, and clears nothing', async () => {
    await ok(
      t.gql(
        LIMITS,
        {
          asset: 'CAPPED',
          limits: { balanceMax: '500', dailyBonusMax: '40', dailyTransferOutMax: '30' },
        },
        admin,
      ),
      'setAssetLimits',
    );
    const fields = ['balanceMax', 'dailyBonusMax', 'dailyTransferOutMax'] as const;
    for (const field of fields) {
      const given: Record<string, string | null> = {
        balanceMax: '1',
        dailyBonusMax: '2',
        dailyTransferOutMax: '3',
      };
      delete given[field];
      // Once through a variable and once as a literal: both leave the field absent.
      const literal = Object.entries(given)
        .map(([name, value]) => `${name}: ${JSON.stringify(value)}`)
        .join(', ');
      for (const refused of [
        await t.gql(LIMITS, { asset: 'CAPPED', limits: given }, admin),
        await t.gql(
          `mutation { setAssetLimits(asset: "CAPPED", limits: { ${literal} }) { code } }`,
          {},
          admin,
        ),
      ]) {
        expect(errorCode(refused)).toBe('BAD_USER_INPUT');
        expect(refused.errors![0]!.extensions).toMatchObject({ field: `limits.${field}` });
      }
    }
    const assets = await ok(
      t.gql(`{ assets { code limits { balanceMax dailyBonusMax dailyTransferOutMax } } }`, {}),
      'assets',
    );
    expect(assets.find((a: { code: string }) => a.code === 'CAPPED').limits).toEqual({
      balanceMax: '500',
      dailyBonusMax: '40',
      dailyTransferOutMax: '30',
    });
    await ok(
      t.gql(
        LIMITS,
        {
          asset: 'CAPPED',
          limits: { balanceMax: null, dailyBonusMax: null, dailyTransferOutMax: null },
        },
        admin,
      ),
      'setAssetLimits',
    );
  });

  it('50 concurrent bonuses never exceed dailyBonusMax', async () => {
    await ok(
      t.gql(
        LIMITS,
        {
          asset: 'CAPPED',
          limits: { balanceMax: null, dailyBonusMax: '100', dailyTransferOutMax: null },
        },
        admin,
      ),
      'setAssetLimits',
    );
    const results = await Promise.all(
      Array.from({ length: 50 }, () => credit(BONUS, 'lim-race', '7', {}, 'CAPPED')),
    );
    const codes = results.map((r) => errorCode(r) ?? 'OK');
    for (const code of codes) expect(['OK', 'LIMIT_EXCEEDED']).toContain(code);
    expect(codes.filter((c) => c === 'OK')).toHaveLength(14);
    expect((await balance('lim-race', 'CAPPED')).balance).toBe('98');
    await t.gql(
      LIMITS,
      {
        asset: 'CAPPED',
        limits: { balanceMax: null, dailyBonusMax: null, dailyTransferOutMax: null },
      },
      admin,
    );
  });
});

describe('freezes', () => {
  it('a frozen wallet refuses debits, holds and both sides of a transfer; credits and reversals still apply', async () => {
    const u = 'frz-w';
    const top = await ok(credit(TOPUP, u, '50'), 'topup');
    const hold = await ok(
      t.gql(HOLD, { input: { userId: u, asset: 'SEASON', amount: '5', idempotencyKey: key('h') } }),
      'hold',
    );
    const wallets = await ok(
      t.gql(STATUS, { u, a: 'SEASON', s: 'FROZEN', r: 'chargeback review' }, admin),
      'setWalletStatus',
    );
    expect(wallets.find((w: any) => w.asset.code === 'SEASON').status).toBe('FROZEN');
    expect(wallets.find((w: any) => w.asset.code === 'GOLD_COINS').status).toBe('ACTIVE');
    expect(errorCode(await spend(u, '1'))).toBe('WALLET_FROZEN');
    expect(
      errorCode(
        await t.gql(HOLD, {
          input: { userId: u, asset: 'SEASON', amount: '1', idempotencyKey: key('h') },
        }),
      ),
    ).toBe('WALLET_FROZEN');
    expect(
      errorCode(
        await t.gql(CAPTURE, { input: { holdId: hold.hold.id, idempotencyKey: key('cap') } }),
      ),
    ).toBe('WALLET_FROZEN');
    expect(
      errorCode(
        await t.gql(TRANSFER, {
          input: {
            fromUserId: u,
            toUserId: 'frz-x',
            asset: 'SEASON',
            amount: '1',
            idempotencyKey: key('t'),
          },
        }),
      ),
    ).toBe('WALLET_FROZEN');
    await ok(credit(TOPUP, 'frz-x', '5'), 'topup');
    expect(
      errorCode(
        await t.gql(TRANSFER, {
          input: {
            fromUserId: 'frz-x',
            toUserId: u,
            asset: 'SEASON',
            amount: '1',
            idempotencyKey: key('t'),
          },
        }),
      ),
    ).toBe('WALLET_FROZEN');
    await ok(credit(TOPUP, u, '5'), 'topup');
    await ok(t.gql(RELEASE, { holdId: hold.hold.id, key: key('rel') }), 'releaseHold');
    await ok(
      t.gql(REVERSE, { input: { transactionId: top.transaction.id, idempotencyKey: key('r') } }),
      'reverse',
    );
    await ok(t.gql(STATUS, { u, a: 'SEASON', s: 'ACTIVE' }, admin), 'setWalletStatus');
    expect((await ok(spend(u, '5'), 'spend')).wallet.status).toBe('ACTIVE');
  });

  it('a user freeze covers every wallet, and wallets created after it', async () => {
    const u = 'frz-u';
    await ok(credit(TOPUP, u, '10'), 'topup');
    await ok(t.gql(STATUS, { u, s: 'FROZEN', r: 'fraud' }, admin), 'setWalletStatus');
    expect(errorCode(await spend(u, '1'))).toBe('WALLET_FROZEN');
    await ok(credit(TOPUP, u, '10', {}, 'DIAMONDS'), 'topup'); // a new wallet
    expect(errorCode(await spend(u, '1', 'DIAMONDS'))).toBe('WALLET_FROZEN');
    expect((await balance(u, 'DIAMONDS')).status).toBe('FROZEN');
    // The wallet-level and user-level freezes are set and cleared on their own.
    await ok(t.gql(STATUS, { u, a: 'SEASON', s: 'FROZEN' }, admin), 'setWalletStatus');
    await ok(t.gql(STATUS, { u, s: 'ACTIVE' }, admin), 'setWalletStatus');
    expect(errorCode(await spend(u, '1'))).toBe('WALLET_FROZEN');
    expect((await ok(spend(u, '1', 'DIAMONDS'), 'spend')).wallet.status).toBe('ACTIVE');
    await ok(t.gql(STATUS, { u, a: 'SEASON', s: 'ACTIVE' }, admin), 'setWalletStatus');
    expect((await ok(spend(u, '1'), 'spend')).wallet.balance).toBe('9');
  });
});
