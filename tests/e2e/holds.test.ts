// Proves hold, captureHold and releaseHold over real HTTP: available vs balance, races, partial capture, expiry and its sweep, refusals and idempotent replays.
import { errorCode, startTestGateway } from '../support/gateway';
import { useTestGateway } from '../support/use-test-gateway';
import { inputMutation } from '../support/documents';

const WALLET = 'wallet { userId balance available lastSequence }';
const HOLD_FIELDS = `hold { id userId amount status expiresAt createdAt reference resolvedAt asset { code } capture { id kind amount } } ${WALLET} replayed`;
const TRANSFER_FIELDS = `replayed ${WALLET}
  transaction { id kind userId amount idempotencyKey reference hold { id status }
    entries { account direction amount sequence balanceAfter kind } }`;
const HOLD = inputMutation('hold', `${HOLD_FIELDS}`);
const CAPTURE = inputMutation('captureHold', `${TRANSFER_FIELDS}`);
const RELEASE = `mutation($holdId: ID!, $key: String!) { releaseHold(holdId: $holdId, idempotencyKey: $key) { ${HOLD_FIELDS} } }`;
const TOPUP = inputMutation('topup', `${WALLET}`);
const SPEND = inputMutation('spend', `${WALLET}`);
const BALANCE = `query($userId: ID!, $at: DateTime) { balance(userId: $userId, asset: "GOLD_COINS", at: $at) { balance available } }`;
const HOLD_QUERY = `query($id: ID!) { hold(id: $id) { id status resolvedAt } }`;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Waits until a little after an instant (expiries are timed by the database clock, this machine's too). */
const sleepUntil = (iso: string, marginMs = 150) =>
  sleep(Math.max(0, Date.parse(iso) + marginMs - Date.now()));

// The background sweep is off here so that each test decides when holds are swept.
const t = useTestGateway('holds', { env: { HOLD_SWEEP_INTERVAL_MS: '0' } });

async function fund(userId: string, amount: string): Promise<void> {
  const res = await t.gql(TOPUP, {
    input: {
      userId,
      asset: 'GOLD_COINS',
      amount,
      idempotencyKey: `fund-${userId}-${amount}-${Math.random()}`,
    },
  });
  expect(res.errors).toBeUndefined();
}

async function placeHold(
  userId: string,
  amount: string,
  extra: Record<string, unknown> = {},
): Promise<any> {
  const res = await t.gql(HOLD, {
    input: {
      userId,
      asset: 'GOLD_COINS',
      amount,
      idempotencyKey: `hold-${userId}-${Math.random()}`,
      ...extra,
    },
  });
  expect(res.errors).toBeUndefined();
  return res.data.hold;
}

async function balanceOf(
  userId: string,
  at?: string,
): Promise<{ balance: string; available: string }> {
  const res = await t.gql(BALANCE, { userId, at });
  expect(res.errors).toBeUndefined();
  return res.data.balance;
}

async function storedHold(
  id: string,
): Promise<{ status: string; resolved_at: Date | null; expires_at: Date | null }> {
  const rows = await t.database.prisma.$queryRaw<
    { status: string; resolved_at: Date | null; expires_at: Date | null }[]
  >`
    SELECT status::text AS status, resolved_at, expires_at FROM holds WHERE id = ${BigInt(id)}`;
  return rows[0]!;
}

describe('hold', () => {
  it('reserves funds: available drops, balance and the ledger do not move', async () => {
    await fund('h-basic', '100');
    const payload = await placeHold('h-basic', '40', { reference: 'match-7' });
    expect(payload.replayed).toBe(false);
    expect(payload.wallet).toEqual({
      userId: 'h-basic',
      balance: '100',
      available: '60',
      lastSequence: '1',
    });
    expect(payload.hold).toMatchObject({
      userId: 'h-basic',
      amount: '40',
      status: 'ACTIVE',
      reference: 'match-7',
      resolvedAt: null,
      capture: null,
      asset: { code: 'GOLD_COINS' },
    });
    // With no expiresAt a hold gets the default lifetime (24 hours), so a forgotten one ends by itself.
    const lifetimeMs = Date.parse(payload.hold.expiresAt) - Date.parse(payload.hold.createdAt);
    expect(lifetimeMs).toBeGreaterThan(24 * 3600_000 - 60_000);
    expect(lifetimeMs).toBeLessThanOrEqual(24 * 3600_000 + 60_000);
    expect(await balanceOf('h-basic')).toEqual({ balance: '100', available: '60' });
    const entries = await t.database.prisma.$queryRaw<
      { n: bigint }[]
    >`SELECT count(*) AS n FROM ledger_entries WHERE user_id = 'h-basic'`;
    expect(entries[0]!.n).toBe(1n);
  });

  it('a spend is refused while the balance would suffice but the available amount does not', async () => {
    await fund('h-spend', '100');
    await placeHold('h-spend', '70');
    const refused = await t.gql(SPEND, {
      input: { userId: 'h-spend', asset: 'GOLD_COINS', amount: '31', idempotencyKey: 'spend-31' },
    });
    expect(errorCode(refused)).toBe('INSUFFICIENT_FUNDS');
    const ok = await t.gql(SPEND, {
      input: { userId: 'h-spend', asset: 'GOLD_COINS', amount: '30', idempotencyKey: 'spend-30' },
    });
    expect(ok.errors).toBeUndefined();
    expect(ok.data.spend.wallet).toMatchObject({ balance: '70', available: '0' });
    // A new hold checks available too.
    const hold = await t.gql(HOLD, {
      input: { userId: 'h-spend', asset: 'GOLD_COINS', amount: '1', idempotencyKey: 'hold-1-more' },
    });
    expect(errorCode(hold)).toBe('INSUFFICIENT_FUNDS');
  });

  it('a hold beyond available, or on a wallet that never received anything, is INSUFFICIENT_FUNDS, recorded and replayed', async () => {
    const never = await t.gql(HOLD, {
      input: { userId: 'h-never', asset: 'GOLD_COINS', amount: '1', idempotencyKey: 'never' },
    });
    expect(errorCode(never)).toBe('INSUFFICIENT_FUNDS');
    await fund('h-poor', '10');
    const input = {
      userId: 'h-poor',
      asset: 'GOLD_COINS',
      amount: '11',
      idempotencyKey: 'poor-11',
    };
    expect(errorCode(await t.gql(HOLD, { input }))).toBe('INSUFFICIENT_FUNDS');
    await fund('h-poor', '100');
    // The key's outcome is the refusal, even though the funds are there now.
    expect(errorCode(await t.gql(HOLD, { input }))).toBe('INSUFFICIENT_FUNDS');
    const fresh = await t.gql(HOLD, { input: { ...input, idempotencyKey: 'poor-11-b' } });
    expect(fresh.errors).toBeUndefined();
    expect(fresh.data.hold.wallet.available).toBe('99');
  });

  it('100 concurrent holds of 10 on an available 500: exactly 50 succeed', async () => {
    await fund('h-race', '500');
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        t.gql(HOLD, {
          input: {
            userId: 'h-race',
            asset: 'GOLD_COINS',
            amount: '10',
            idempotencyKey: `race-${i}`,
          },
        }),
      ),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(50);
    expect(results.filter((r) => errorCode(r) === 'INSUFFICIENT_FUNDS')).toHaveLength(50);
    expect(new Set(results.filter((r) => !r.errors).map((r) => r.data.hold.hold.id)).size).toBe(50);
    expect(await balanceOf('h-race')).toEqual({ balance: '500', available: '0' });
    const active = await t.database.prisma.$queryRaw<{ n: bigint; total: bigint }[]>`
      SELECT count(*) AS n, SUM(amount)::bigint AS total FROM holds WHERE user_id = 'h-race' AND status = 'ACTIVE'`;
    expect(active[0]).toEqual({ n: 50n, total: 500n });
  });

  it('rejects expiresAt in the past or beyond the horizon as BAD_USER_INPUT without using the key', async () => {
    await fund('h-expiry-input', '10');
    const base = {
      userId: 'h-expiry-input',
      asset: 'GOLD_COINS',
      amount: '5',
      idempotencyKey: 'expiry-input',
    };
    expect(
      errorCode(
        await t.gql(HOLD, {
          input: { ...base, expiresAt: new Date(Date.now() - 1000).toISOString() },
        }),
      ),
    ).toBe('BAD_USER_INPUT');
    expect(
      errorCode(
        await t.gql(HOLD, {
          input: { ...base, expiresAt: new Date(Date.now() + 31 * 24 * 3600_000).toISOString() },
        }),
      ),
    ).toBe('BAD_USER_INPUT');
    expect(errorCode(await t.gql(HOLD, { input: { ...base, amount: '0' } }))).toBe(
      'BAD_USER_INPUT',
    );
    const ok = await t.gql(HOLD, {
      input: { ...base, expiresAt: new Date(Date.now() + 3600_000).toISOString() },
    });
    expect(ok.errors).toBeUndefined();
    expect(ok.data.hold.replayed).toBe(false);
  });

  it('players may not place, capture or release holds', async () => {
    await fund('h-player', '10');
    const token = await t.tokens.player('h-player');
    const headers = { authorization: `Bearer ${token}` };
    expect(
      errorCode(
        await t.gql(
          HOLD,
          { input: { userId: 'h-player', asset: 'GOLD_COINS', amount: '5', idempotencyKey: 'p' } },
          headers,
        ),
      ),
    ).toBe('FORBIDDEN');
    const hold = await placeHold('h-player', '5');
    expect(
      errorCode(
        await t.gql(CAPTURE, { input: { holdId: hold.hold.id, idempotencyKey: 'p-c' } }, headers),
      ),
    ).toBe('FORBIDDEN');
    expect(errorCode(await t.gql(RELEASE, { holdId: hold.hold.id, key: 'p-r' }, headers))).toBe(
      'FORBIDDEN',
    );
    // The player may read their own hold, not another user's.
    const own = await t.gql(HOLD_QUERY, { id: hold.hold.id }, headers);
    expect(own.data.hold).toMatchObject({ id: hold.hold.id, status: 'ACTIVE' });
    const other = await t.gql(
      HOLD_QUERY,
      { id: hold.hold.id },
      { authorization: `Bearer ${await t.tokens.player('someone-else')}` },
    );
    expect(other.errors).toBeUndefined();
    expect(other.data.hold).toBeNull();
  });
});

describe('capture and release', () => {
  it('captures a whole hold as a CAPTURE from the user to revenue', async () => {
    await fund('c-full', '100');
    const { hold } = await placeHold('c-full', '40', { reference: 'order-9' });
    const res = await t.gql(CAPTURE, { input: { holdId: hold.id, idempotencyKey: 'cap-full' } });
    expect(res.errors).toBeUndefined();
    const payload = res.data.captureHold;
    expect(payload.replayed).toBe(false);
    expect(payload.wallet).toEqual({
      userId: 'c-full',
      balance: '60',
      available: '60',
      lastSequence: '2',
    });
    expect(payload.transaction).toMatchObject({
      kind: 'CAPTURE',
      amount: '40',
      reference: 'order-9',
      hold: { id: hold.id, status: 'CAPTURED' },
    });
    const entries = payload.transaction.entries;
    expect(entries.find((e: any) => e.account === 'USER')).toEqual({
      account: 'USER',
      direction: 'DEBIT',
      amount: '40',
      sequence: '2',
      balanceAfter: '60',
      kind: 'CAPTURE',
    });
    expect(entries.find((e: any) => e.account !== 'USER')).toMatchObject({
      account: 'REVENUE',
      direction: 'CREDIT',
      amount: '40',
    });
    const after = await t.gql(
      `query($id: ID!) { hold(id: $id) { status resolvedAt capture { id kind amount } } }`,
      { id: hold.id },
    );
    expect(after.data.hold).toMatchObject({
      status: 'CAPTURED',
      capture: { id: payload.transaction.id, kind: 'CAPTURE', amount: '40' },
    });
    expect(after.data.hold.resolvedAt).not.toBeNull();
  });

  it('a partial capture posts that part and releases the rest', async () => {
    await fund('c-part', '100');
    const { hold } = await placeHold('c-part', '50');
    await placeHold('c-part', '20');
    expect(await balanceOf('c-part')).toEqual({ balance: '100', available: '30' });
    const res = await t.gql(CAPTURE, {
      input: { holdId: hold.id, amount: '15', idempotencyKey: 'cap-part' },
    });
    expect(res.errors).toBeUndefined();
    expect(res.data.captureHold.transaction).toMatchObject({ kind: 'CAPTURE', amount: '15' });
    // 15 left the wallet; the other 35 of the hold are available again; the second hold still counts.
    expect(res.data.captureHold.wallet).toMatchObject({ balance: '85', available: '65' });
    expect(await balanceOf('c-part')).toEqual({ balance: '85', available: '65' });
    expect((await storedHold(hold.id)).status).toBe('CAPTURED');
    // Nothing more can be taken from it.
    const again = await t.gql(CAPTURE, {
      input: { holdId: hold.id, amount: '10', idempotencyKey: 'cap-part-2' },
    });
    expect(errorCode(again)).toBe('HOLD_NOT_ACTIVE');
  });

  it('a capture above the hold amount is BAD_USER_INPUT and leaves the hold and the key untouched', async () => {
    await fund('c-over', '100');
    const { hold } = await placeHold('c-over', '30');
    expect(
      errorCode(
        await t.gql(CAPTURE, {
          input: { holdId: hold.id, amount: '31', idempotencyKey: 'cap-over' },
        }),
      ),
    ).toBe('BAD_USER_INPUT');
    expect(
      errorCode(
        await t.gql(CAPTURE, {
          input: { holdId: hold.id, amount: '0', idempotencyKey: 'cap-over' },
        }),
      ),
    ).toBe('BAD_USER_INPUT');
    const ok = await t.gql(CAPTURE, {
      input: { holdId: hold.id, amount: '30', idempotencyKey: 'cap-over' },
    });
    expect(ok.errors).toBeUndefined();
    expect(ok.data.captureHold.wallet).toMatchObject({ balance: '70', available: '70' });
  });

  it('release gives the funds back without a ledger entry', async () => {
    await fund('r-basic', '100');
    const { hold } = await placeHold('r-basic', '45');
    const res = await t.gql(RELEASE, { holdId: hold.id, key: 'rel-1' });
    expect(res.errors).toBeUndefined();
    expect(res.data.releaseHold).toMatchObject({
      replayed: false,
      hold: { id: hold.id, status: 'RELEASED', capture: null },
      wallet: { balance: '100', available: '100', lastSequence: '1' },
    });
    expect(res.data.releaseHold.hold.resolvedAt).not.toBeNull();
    expect(
      errorCode(
        await t.gql(CAPTURE, { input: { holdId: hold.id, idempotencyKey: 'cap-after-release' } }),
      ),
    ).toBe('HOLD_NOT_ACTIVE');
    expect(errorCode(await t.gql(RELEASE, { holdId: hold.id, key: 'rel-2' }))).toBe(
      'HOLD_NOT_ACTIVE',
    );
  });

  it('concurrent capture and release of one hold: exactly one wins, the other is HOLD_NOT_ACTIVE', async () => {
    await fund('race-cr', '1000');
    for (let round = 0; round < 10; round += 1) {
      const { hold } = await placeHold('race-cr', '10');
      const [capture, release] = await Promise.all([
        t.gql(CAPTURE, { input: { holdId: hold.id, idempotencyKey: `race-cap-${round}` } }),
        t.gql(RELEASE, { holdId: hold.id, key: `race-rel-${round}` }),
      ]);
      const winners = [capture, release].filter((r) => !r.errors);
      expect(winners).toHaveLength(1);
      const loser = capture.errors ? capture : release;
      expect(errorCode(loser)).toBe('HOLD_NOT_ACTIVE');
      expect((await storedHold(hold.id)).status).toBe(capture.errors ? 'RELEASED' : 'CAPTURED');
    }
    const captures = await t.database.prisma.$queryRaw<
      { n: bigint }[]
    >`SELECT count(*) AS n FROM transactions WHERE user_id = 'race-cr' AND kind = 'CAPTURE'`;
    const expected = BigInt(1000 - Number(captures[0]!.n) * 10);
    expect(await balanceOf('race-cr')).toEqual({
      balance: expected.toString(),
      available: expected.toString(),
    });
  });

  it('20 concurrent captures of one hold with different keys: one capture, 19 HOLD_NOT_ACTIVE', async () => {
    await fund('race-cc', '100');
    const { hold } = await placeHold('race-cc', '100');
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.gql(CAPTURE, { input: { holdId: hold.id, idempotencyKey: `cc-${i}` } }),
      ),
    );
    expect(results.filter((r) => !r.errors)).toHaveLength(1);
    expect(results.filter((r) => errorCode(r) === 'HOLD_NOT_ACTIVE')).toHaveLength(19);
    expect(await balanceOf('race-cc')).toEqual({ balance: '0', available: '0' });
  });

  it('an unknown hold is NOT_FOUND and a malformed id BAD_USER_INPUT, neither using the key', async () => {
    expect(
      errorCode(await t.gql(CAPTURE, { input: { holdId: '999999999', idempotencyKey: 'nf' } })),
    ).toBe('NOT_FOUND');
    expect(errorCode(await t.gql(RELEASE, { holdId: '999999999', key: 'nf' }))).toBe('NOT_FOUND');
    expect(
      errorCode(await t.gql(CAPTURE, { input: { holdId: 'abc', idempotencyKey: 'nf' } })),
    ).toBe('BAD_USER_INPUT');
    expect(errorCode(await t.gql(RELEASE, { holdId: '-1', key: 'nf' }))).toBe('BAD_USER_INPUT');
    const unknown = await t.gql(HOLD_QUERY, { id: '999999999' });
    expect(unknown.errors).toBeUndefined();
    expect(unknown.data.hold).toBeNull();
    await fund('nf-user', '10');
    const { hold } = await placeHold('nf-user', '10');
    const ok = await t.gql(RELEASE, { holdId: hold.id, key: 'nf' });
    expect(ok.errors).toBeUndefined();
  });
});

describe('expiry', () => {
  it('an expired hold stops counting at once, is marked EXPIRED by the sweep, and can no longer be captured', async () => {
    await fund('e-basic', '100');
    const { hold } = await placeHold('e-basic', '60', {
      expiresAt: new Date(Date.now() + 2000).toISOString(),
    });
    const keeps = await placeHold('e-basic', '10');
    expect(await balanceOf('e-basic')).toEqual({ balance: '100', available: '30' });
    await sleepUntil(hold.expiresAt);
    // Reads stop counting it the moment it expires, before any sweep.
    expect(await balanceOf('e-basic')).toEqual({ balance: '100', available: '90' });
    expect((await storedHold(hold.id)).status).toBe('ACTIVE');
    expect((await t.gql(HOLD_QUERY, { id: hold.id })).data.hold).toMatchObject({
      status: 'EXPIRED',
      resolvedAt: hold.expiresAt,
    });
    // Deciding on it before the sweep: it is not active.
    expect(
      errorCode(await t.gql(CAPTURE, { input: { holdId: hold.id, idempotencyKey: 'e-cap-1' } })),
    ).toBe('HOLD_NOT_ACTIVE');
    // Its funds can be spent before the sweep.
    const spend = await t.gql(SPEND, {
      input: { userId: 'e-basic', asset: 'GOLD_COINS', amount: '90', idempotencyKey: 'e-spend' },
    });
    expect(spend.errors).toBeUndefined();
    expect(spend.data.spend.wallet).toMatchObject({ balance: '10', available: '0' });

    expect(await t.gateway.services.holds.sweepExpiredHolds()).toBeGreaterThanOrEqual(1);
    const stored = await storedHold(hold.id);
    expect(stored.status).toBe('EXPIRED');
    expect(stored.resolved_at?.getTime()).toBe(stored.expires_at?.getTime());
    expect((await storedHold(keeps.hold.id)).status).toBe('ACTIVE');
    expect(
      errorCode(await t.gql(CAPTURE, { input: { holdId: hold.id, idempotencyKey: 'e-cap-2' } })),
    ).toBe('HOLD_NOT_ACTIVE');
    expect(errorCode(await t.gql(RELEASE, { holdId: hold.id, key: 'e-rel' }))).toBe(
      'HOLD_NOT_ACTIVE',
    );
  });

  it('concurrent sweeps (as from several replicas) mark each expired hold exactly once', async () => {
    await fund('e-many', '1000');
    // Far enough ahead that 30 holds queued on one wallet are all decided before it on a loaded
    // machine (each decision refuses an expiry already past).
    const expiresAtMs = Date.now() + 4000;
    await Promise.all(
      Array.from({ length: 30 }, () =>
        placeHold('e-many', '10', { expiresAt: new Date(expiresAtMs).toISOString() }),
      ),
    );
    await sleep(expiresAtMs + 100 - Date.now());
    // Earlier tests may have left expired holds unswept too; every one of them is due now.
    const due = await t.database.prisma.$queryRaw<
      { n: bigint }[]
    >`SELECT count(*) AS n FROM holds WHERE status = 'ACTIVE' AND expires_at <= now()`;
    expect(due[0]!.n).toBeGreaterThanOrEqual(30n);
    const counts = await Promise.all(
      Array.from({ length: 4 }, () => t.gateway.services.holds.sweepExpiredHolds()),
    );
    const swept = await t.database.prisma.$queryRaw<
      { n: bigint }[]
    >`SELECT count(*) AS n FROM holds WHERE user_id = 'e-many' AND status = 'EXPIRED'`;
    expect(swept[0]!.n).toBe(30n);
    // Each due hold was marked by exactly one of the sweeps.
    expect(BigInt(counts.reduce((a, b) => a + b, 0))).toBe(due[0]!.n);
    expect(await t.gateway.services.holds.sweepExpiredHolds()).toBe(0);
    expect(await balanceOf('e-many')).toEqual({ balance: '1000', available: '1000' });
  });

  it('the gateway sweeps by itself when HOLD_SWEEP_INTERVAL_MS is set', async () => {
    const other = await startTestGateway('holds-sweeper', {
      env: { HOLD_SWEEP_INTERVAL_MS: '100' },
    });
    try {
      await other.gql(TOPUP, {
        input: { userId: 'e-bg', asset: 'GOLD_COINS', amount: '10', idempotencyKey: 'bg-fund' },
      });
      const res = await other.gql(HOLD, {
        input: {
          userId: 'e-bg',
          asset: 'GOLD_COINS',
          amount: '10',
          idempotencyKey: 'bg-hold',
          expiresAt: new Date(Date.now() + 1000).toISOString(),
        },
      });
      expect(res.errors).toBeUndefined();
      const id = BigInt(res.data.hold.hold.id);
      let status = 'ACTIVE';
      for (let i = 0; i < 100 && status === 'ACTIVE'; i += 1) {
        await sleep(100);
        const rows = await other.database.prisma.$queryRaw<
          { status: string }[]
        >`SELECT status::text AS status FROM holds WHERE id = ${id}`;
        status = rows[0]!.status;
      }
      expect(status).toBe('EXPIRED');
      await other.assertInvariants();
    } finally {
      await other.stop();
    }
  });

  it('balance(at:) reports available as it was: holds count from creation until resolved or expired', async () => {
    await fund('e-at', '100');
    await sleep(20);
    const { hold } = await placeHold('e-at', '40');
    const shortLived = await placeHold('e-at', '25', {
      expiresAt: new Date(Date.now() + 2000).toISOString(),
    });
    await sleep(20);
    const whileHeld = new Date().toISOString();
    expect(Date.parse(whileHeld)).toBeLessThan(Date.parse(shortLived.hold.expiresAt));
    await sleepUntil(shortLived.hold.expiresAt);
    const afterExpiry = new Date().toISOString();
    await sleep(20);
    await t.gql(RELEASE, { holdId: hold.id, key: 'e-at-rel' });
    await sleep(20);
    const afterRelease = new Date().toISOString();
    expect(await balanceOf('e-at', whileHeld)).toEqual({ balance: '100', available: '35' });
    expect(await balanceOf('e-at', afterExpiry)).toEqual({ balance: '100', available: '60' });
    expect(await balanceOf('e-at', afterRelease)).toEqual({ balance: '100', available: '100' });
    // The same answers once the sweep has recorded the expiry.
    await t.gateway.services.holds.sweepExpiredHolds();
    expect((await storedHold(shortLived.hold.id)).status).toBe('EXPIRED');
    expect(await balanceOf('e-at', whileHeld)).toEqual({ balance: '100', available: '35' });
    expect(await balanceOf('e-at', afterExpiry)).toEqual({ balance: '100', available: '60' });
  });
});

describe('idempotency', () => {
  it('replays hold, capture and release with the same result and moves nothing again', async () => {
    await fund('i-all', '100');
    const holdInput = {
      userId: 'i-all',
      asset: 'GOLD_COINS',
      amount: '30',
      idempotencyKey: 'i-hold',
    };
    const first = await t.gql(HOLD, { input: holdInput });
    const again = await t.gql(HOLD, { input: holdInput });
    expect(again.errors).toBeUndefined();
    expect(again.data.hold).toMatchObject({
      replayed: true,
      hold: { id: first.data.hold.hold.id, status: 'ACTIVE' },
      wallet: { available: '70' },
    });

    const capInput = { holdId: first.data.hold.hold.id, amount: '20', idempotencyKey: 'i-cap' };
    const cap = await t.gql(CAPTURE, { input: capInput });
    const capAgain = await t.gql(CAPTURE, { input: capInput });
    expect(capAgain.errors).toBeUndefined();
    expect(capAgain.data.captureHold).toMatchObject({
      replayed: true,
      transaction: { id: cap.data.captureHold.transaction.id },
      wallet: { balance: '80', available: '80' },
    });
    // The hold replay now shows the hold as it is now.
    expect((await t.gql(HOLD, { input: holdInput })).data.hold).toMatchObject({
      replayed: true,
      hold: { status: 'CAPTURED' },
      wallet: { balance: '80', available: '80' },
    });

    const second = await placeHold('i-all', '50');
    const rel = await t.gql(RELEASE, { holdId: second.hold.id, key: 'i-rel' });
    const relAgain = await t.gql(RELEASE, { holdId: second.hold.id, key: 'i-rel' });
    expect(rel.errors).toBeUndefined();
    expect(relAgain.data.releaseHold).toMatchObject({
      replayed: true,
      hold: { id: second.hold.id, status: 'RELEASED' },
      wallet: { balance: '80', available: '80' },
    });
  });

  it('the same key with a different input is IDEMPOTENCY_KEY_REUSED', async () => {
    await fund('i-reuse', '100');
    const input = {
      userId: 'i-reuse',
      asset: 'GOLD_COINS',
      amount: '10',
      idempotencyKey: 'i-reuse-key',
    };
    const first = await t.gql(HOLD, { input });
    expect(errorCode(await t.gql(HOLD, { input: { ...input, amount: '11' } }))).toBe(
      'IDEMPOTENCY_KEY_REUSED',
    );
    expect(errorCode(await t.gql(HOLD, { input: { ...input, reference: 'x' } }))).toBe(
      'IDEMPOTENCY_KEY_REUSED',
    );
    expect(
      errorCode(
        await t.gql(HOLD, {
          input: { ...input, expiresAt: new Date(Date.now() + 60_000).toISOString() },
        }),
      ),
    ).toBe('IDEMPOTENCY_KEY_REUSED');
    // The hold's key used for capturing it is another request too.
    const holdId = first.data.hold.hold.id;
    expect(
      errorCode(await t.gql(CAPTURE, { input: { holdId, idempotencyKey: 'i-reuse-key' } })),
    ).toBe('IDEMPOTENCY_KEY_REUSED');
    const cap = await t.gql(CAPTURE, { input: { holdId, idempotencyKey: 'i-reuse-cap' } });
    expect(cap.errors).toBeUndefined();
    expect(
      errorCode(
        await t.gql(CAPTURE, { input: { holdId, amount: '5', idempotencyKey: 'i-reuse-cap' } }),
      ),
    ).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(errorCode(await t.gql(RELEASE, { holdId, key: 'i-reuse-cap' }))).toBe(
      'IDEMPOTENCY_KEY_REUSED',
    );
  });

  it('a HOLD_NOT_ACTIVE refusal is recorded and replayed', async () => {
    await fund('i-refused', '100');
    const { hold } = await placeHold('i-refused', '10');
    await t.gql(RELEASE, { holdId: hold.id, key: 'i-refused-rel' });
    const input = { holdId: hold.id, idempotencyKey: 'i-refused-cap' };
    expect(errorCode(await t.gql(CAPTURE, { input }))).toBe('HOLD_NOT_ACTIVE');
    expect(errorCode(await t.gql(CAPTURE, { input }))).toBe('HOLD_NOT_ACTIVE');
    const rows = await t.database.prisma.$queryRaw<{ outcome: string; error_code: string }[]>`
      SELECT outcome::text AS outcome, error_code FROM idempotency_keys WHERE key = 'i-refused-cap'`;
    expect(rows).toEqual([{ outcome: 'REFUSED', error_code: 'HOLD_NOT_ACTIVE' }]);
  });

  it('a retry of a hold after its expiresAt has passed replays it rather than rejecting the input', async () => {
    await fund('i-late', '100');
    const input = {
      userId: 'i-late',
      asset: 'GOLD_COINS',
      amount: '10',
      idempotencyKey: 'i-late',
      expiresAt: new Date(Date.now() + 1500).toISOString(),
    };
    const first = await t.gql(HOLD, { input });
    expect(first.errors).toBeUndefined();
    await sleepUntil(input.expiresAt);
    const late = await t.gql(HOLD, { input });
    expect(late.errors).toBeUndefined();
    expect(late.data.hold).toMatchObject({
      replayed: true,
      hold: { id: first.data.hold.hold.id, status: 'EXPIRED' },
      wallet: { available: '100' },
    });
  });

  it('30 concurrent holds with one key create one hold', async () => {
    await fund('i-dup', '100');
    const input = { userId: 'i-dup', asset: 'GOLD_COINS', amount: '10', idempotencyKey: 'i-dup' };
    const results = await Promise.all(Array.from({ length: 30 }, () => t.gql(HOLD, { input })));
    expect(results.filter((r) => r.errors)).toEqual([]);
    expect(new Set(results.map((r) => r.data.hold.hold.id)).size).toBe(1);
    expect(results.filter((r) => !r.data.hold.replayed)).toHaveLength(1);
    expect(await balanceOf('i-dup')).toEqual({ balance: '100', available: '90' });
  });
});
