// Proves holds and transactions belong to the client that made them (another server gets FORBIDDEN or null, admins may act), and that idempotency keys are scoped by issuer, role and subject.
import { mintToken } from '../../src/shared/auth/tokens';
import { errorCode, TEST_JWT_SECRET } from '../support/gateway';
import { useTestGateway } from '../support/use-test-gateway';

const TOPUP = `mutation($input: TopupInput!) { topup(input: $input) { replayed transaction { id } wallet { balance } } }`;
const HOLD = `mutation($input: HoldInput!) { hold(input: $input) { hold { id } } }`;
const CAPTURE = `mutation($input: CaptureHoldInput!) { captureHold(input: $input) { transaction { id kind } } }`;
const RELEASE = `mutation($holdId: ID!, $key: String!) { releaseHold(holdId: $holdId, idempotencyKey: $key) { hold { status } } }`;
const REVERSE = `mutation($input: ReverseInput!) { reverse(input: $input) { transaction { kind } } }`;
const HOLD_BY_ID = `query($id: ID!) { hold(id: $id) { id status } }`;

const t = useTestGateway('ownership');
let other: Record<string, string>;
let admin: Record<string, string>;
beforeAll(async () => {
  other = {
    authorization: `Bearer ${await t.mintToken({ sub: 'game-server-2', role: 'server' })}`,
  };
  admin = { authorization: `Bearer ${t.tokens.admin}` };
});

async function keyCount(): Promise<bigint> {
  const [row] = await t.database.prisma.$queryRaw<
    { n: bigint }[]
  >`SELECT COUNT(*) AS n FROM idempotency_keys`;
  return row!.n;
}

it('another server cannot capture, release or read a hold; the owner and admins can', async () => {
  await t.gql(TOPUP, {
    input: { userId: 'own-h', asset: 'GOLD_COINS', amount: '100', idempotencyKey: 'own-h-fund' },
  });
  const first = (
    await t.gql(HOLD, {
      input: { userId: 'own-h', asset: 'GOLD_COINS', amount: '10', idempotencyKey: 'own-h1' },
    })
  ).data.hold.hold.id;
  const second = (
    await t.gql(HOLD, {
      input: { userId: 'own-h', asset: 'GOLD_COINS', amount: '10', idempotencyKey: 'own-h2' },
    })
  ).data.hold.hold.id;
  const keys = await keyCount();
  expect(
    errorCode(
      await t.gql(CAPTURE, { input: { holdId: first, idempotencyKey: 'steal-cap' } }, other),
    ),
  ).toBe('FORBIDDEN');
  expect(errorCode(await t.gql(RELEASE, { holdId: first, key: 'steal-rel' }, other))).toBe(
    'FORBIDDEN',
  );
  expect(await keyCount()).toBe(keys);
  const read = await t.gql(HOLD_BY_ID, { id: first }, other);
  expect(read.errors).toBeUndefined();
  expect(read.data.hold).toBeNull();
  expect((await t.gql(HOLD_BY_ID, { id: first })).data.hold).toMatchObject({
    id: first,
    status: 'ACTIVE',
  });
  expect(
    (await t.gql(CAPTURE, { input: { holdId: first, idempotencyKey: 'own-cap' } })).data.captureHold
      .transaction.kind,
  ).toBe('CAPTURE');
  expect(
    (await t.gql(RELEASE, { holdId: second, key: 'admin-rel' }, admin)).data.releaseHold.hold
      .status,
  ).toBe('RELEASED');
});

it('another server cannot reverse a transaction; an admin can', async () => {
  const topup = await t.gql(TOPUP, {
    input: { userId: 'own-r', asset: 'GOLD_COINS', amount: '50', idempotencyKey: 'own-r1' },
  });
  const id = topup.data.topup.transaction.id;
  expect(
    errorCode(
      await t.gql(REVERSE, { input: { transactionId: id, idempotencyKey: 'steal-rev' } }, other),
    ),
  ).toBe('FORBIDDEN');
  expect(
    (await t.gql(REVERSE, { input: { transactionId: id, idempotencyKey: 'admin-rev' } }, admin))
      .data.reverse.transaction.kind,
  ).toBe('REVERSAL');
});

it('keys are scoped by issuer, role and subject: the same sub with another role or issuer never replays', async () => {
  const input = {
    userId: 'own-k',
    asset: 'GOLD_COINS',
    amount: '7',
    idempotencyKey: 'own-shared-key',
  };
  const sameSubAdmin = {
    authorization: `Bearer ${await t.mintToken({ sub: 'game-server-1', role: 'admin' })}`,
  };
  const otherIssuer = {
    authorization: `Bearer ${await mintToken({ secret: TEST_JWT_SECRET, sub: 'game-server-1', role: 'server', issuer: 'https://other-issuer.example' })}`,
  };
  const server = await t.gql(TOPUP, { input });
  const asAdmin = await t.gql(TOPUP, { input }, sameSubAdmin);
  const asOtherIssuer = await t.gql(TOPUP, { input }, otherIssuer);
  const serverAgain = await t.gql(TOPUP, { input });
  expect([server, asAdmin, asOtherIssuer, serverAgain].map((r) => r.data.topup.replayed)).toEqual([
    false,
    false,
    false,
    true,
  ]);
  expect(
    new Set([server, asAdmin, asOtherIssuer].map((r) => r.data.topup.transaction.id)).size,
  ).toBe(3);
  expect(serverAgain.data.topup.wallet.balance).toBe('21');
});
