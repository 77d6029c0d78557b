// Proves that malformed input gets its contract code over real HTTP and writes nothing (no transaction, no key, no wallet).
import { errorCode } from '../support/gateway';
import { useTestGateway } from '../support/use-test-gateway';
import { operations } from '../support/documents';

const TOPUP = operations.topup;
const SPEND = operations.spend;

const t = useTestGateway('badinput', { invariantsAfterEach: false });
beforeAll(async () => {
  await t.gql(TOPUP, {
    input: { userId: 'rich', asset: 'GOLD_COINS', amount: '1000', idempotencyKey: 'fund' },
  });
});

async function counts() {
  const [row] = await t.database.prisma.$queryRaw<
    { transactions: bigint; keys: bigint; wallets: bigint; users: bigint }[]
  >`
    SELECT (SELECT COUNT(*) FROM transactions) AS transactions, (SELECT COUNT(*) FROM idempotency_keys) AS keys,
           (SELECT COUNT(*) FROM wallets) AS wallets, (SELECT COUNT(*) FROM users) AS users`;
  return row;
}

const valid = { userId: 'rich', asset: 'GOLD_COINS', amount: '1', idempotencyKey: 'bad-input-key' };
const cases: [string, Record<string, unknown>, string][] = [
  ['amount 0', { amount: '0' }, 'BAD_USER_INPUT'],
  ['amount 0 as Int', { amount: 0 }, 'BAD_USER_INPUT'],
  ['amount -1', { amount: '-1' }, 'BAD_USER_INPUT'],
  ['amount -1 as Int', { amount: -1 }, 'BAD_USER_INPUT'],
  ['amount 1.5', { amount: 1.5 }, 'BAD_USER_INPUT'],
  ['amount "1.5"', { amount: '1.5' }, 'BAD_USER_INPUT'],
  ['amount "1e3"', { amount: '1e3' }, 'BAD_USER_INPUT'],
  ['amount 1e3 as a float', { amount: 1e21 }, 'BAD_USER_INPUT'],
  ['amount "abc"', { amount: 'abc' }, 'BAD_USER_INPUT'],
  ['amount " 5"', { amount: ' 5' }, 'BAD_USER_INPUT'],
  ['amount "0x10"', { amount: '0x10' }, 'BAD_USER_INPUT'],
  ['amount 2^63', { amount: '9223372036854775808' }, 'BAD_USER_INPUT'],
  ['amount null', { amount: null }, 'BAD_USER_INPUT'],
  ['amount true', { amount: true }, 'BAD_USER_INPUT'],
  ['missing key', { idempotencyKey: undefined }, 'BAD_USER_INPUT'],
  ['empty key', { idempotencyKey: '' }, 'BAD_USER_INPUT'],
  ['256-character key', { idempotencyKey: 'k'.repeat(256) }, 'BAD_USER_INPUT'],
  ['empty userId', { userId: '' }, 'BAD_USER_INPUT'],
  ['129-character userId', { userId: 'u'.repeat(129) }, 'BAD_USER_INPUT'],
  ['unknown asset', { asset: 'SILVER' }, 'NOT_FOUND'],
  ['over-long reference', { reference: 'r'.repeat(513) }, 'BAD_USER_INPUT'],
  ['huge metadata', { metadata: { blob: 'x'.repeat(9000) } }, 'BAD_USER_INPUT'],
  [
    'deep metadata',
    { metadata: JSON.parse('{"a":'.repeat(12) + '1' + '}'.repeat(12)) },
    'BAD_USER_INPUT',
  ],
  ['NUL in key', { idempotencyKey: 'a\u0000b' }, 'BAD_USER_INPUT'],
];

describe.each([
  ['topup', TOPUP],
  ['spend', SPEND],
])('%s rejects bad input and writes nothing', (_name, mutation) => {
  it.each(cases)('%s', async (_label, change, code) => {
    const before = await counts();
    const input: Record<string, unknown> = { ...valid, ...change };
    for (const [k, v] of Object.entries(change)) if (v === undefined) delete input[k];
    const res = await t.gql(mutation, { input });
    expect(errorCode(res)).toBe(code);
    expect(res.data?.topup ?? res.data?.spend ?? null).toBeNull();
    // No SQL, stack or internals in the message.
    expect(JSON.stringify(res.errors)).not.toMatch(/SELECT|INSERT|stack|prisma|ledger_entries/i);
    expect(await counts()).toEqual(before);
  });
});

it('a 255-character key is accepted', async () => {
  const res = await t.gql(TOPUP, { input: { ...valid, idempotencyKey: 'k'.repeat(255) } });
  expect(res.errors).toBeUndefined();
});

it('amount literals inline in the query are checked too', async () => {
  for (const literal of ['1.5', '"1e3"', '0', '-3', '9223372036854775808']) {
    const res = await t.gql(
      `mutation { topup(input: {userId: "rich", asset: "GOLD_COINS", amount: ${literal}, idempotencyKey: "inline"}) { transaction { id } } }`,
    );
    expect(errorCode(res)).toBe('BAD_USER_INPUT');
  }
});

it('malformed cursors, ids and page sizes are BAD_USER_INPUT', async () => {
  for (const after of [
    '',
    '!!!',
    'Zm9v',
    Buffer.from('e:-1').toString('base64url'),
    Buffer.from('e:99999999999999999999').toString('base64url'),
  ]) {
    expect(
      errorCode(
        await t.gql(
          `query($after: String) { ledger(userId: "rich", after: $after) { edges { cursor } } }`,
          { after },
        ),
      ),
    ).toBe('BAD_USER_INPUT');
  }
  expect(errorCode(await t.gql(`{ ledger(userId: "rich", first: 0) { edges { cursor } } }`))).toBe(
    'BAD_USER_INPUT',
  );
  expect(errorCode(await t.gql(`{ transaction(id: "abc") { id } }`))).toBe('BAD_USER_INPUT');
  expect(errorCode(await t.gql(`{ balance(userId: "rich", asset: "NOPE") { balance } }`))).toBe(
    'NOT_FOUND',
  );
});
