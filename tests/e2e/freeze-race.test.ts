// Proves a wallet created at any moment reads its user's status as it is after both commit: a user-level freeze or unfreeze racing the first credit of a new wallet (either sent first), many times, leaves the wallet FROZEN after a freeze and ACTIVE after an unfreeze.
import { useTestGateway } from '../support/use-test-gateway';

jest.setTimeout(180_000);

const TOPUP = `mutation($input: TopupInput!) { topup(input: $input) { transaction { id } } }`;
const STATUS = `mutation($u: ID!, $s: WalletStatus!) { setWalletStatus(userId: $u, status: $s) { status } }`;
const BALANCE = `query($u: ID!, $a: ID!) { balance(userId: $u, asset: $a) { status } }`;
const ROUNDS = 20;

const t = useTestGateway('freeze_race');
let keys = 0;

async function setUserStatus(userId: string, status: 'FROZEN' | 'ACTIVE'): Promise<void> {
  const response = await t.gql(
    STATUS,
    { u: userId, s: status },
    { authorization: `Bearer ${t.tokens.admin}` },
  );
  if (response.errors) throw new Error(JSON.stringify(response.errors));
}

async function firstCredit(userId: string): Promise<void> {
  const response = await t.gql(TOPUP, {
    input: { userId, asset: 'GOLD_COINS', amount: '5', idempotencyKey: `fr-${++keys}` },
  });
  if (response.errors) throw new Error(JSON.stringify(response.errors));
}

/** Runs the two at once, the one or the other sent first; returns the wallet's status and its stored mirror. */
async function race(
  userId: string,
  status: 'FROZEN' | 'ACTIVE',
  creditFirst: boolean,
): Promise<{ status: string; userFrozen: boolean }> {
  const credit = () => firstCredit(userId);
  const change = () => setUserStatus(userId, status);
  await Promise.all(creditFirst ? [credit(), change()] : [change(), credit()]);
  const read = await t.gql(BALANCE, { u: userId, a: 'GOLD_COINS' });
  const stored = await t.database.pool.query<{ user_frozen: boolean }>(
    `SELECT user_frozen FROM wallets WHERE user_id = $1 AND asset_code = 'GOLD_COINS'`,
    [userId],
  );
  return { status: read.data.balance.status, userFrozen: stored.rows[0]!.user_frozen };
}

it(`a user-level freeze racing a first credit leaves the new wallet FROZEN (${ROUNDS} rounds, both orders)`, async () => {
  const outcomes: string[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const userId = `fr-freeze-${round}`;
    const result = await race(userId, 'FROZEN', round % 2 === 0);
    outcomes.push(`${result.status}/${result.userFrozen}`);
  }
  expect(outcomes).toEqual(Array.from({ length: ROUNDS }, () => 'FROZEN/true'));
});

it(`a user-level unfreeze racing a first credit leaves the new wallet ACTIVE (${ROUNDS} rounds, both orders)`, async () => {
  const outcomes: string[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const userId = `fr-unfreeze-${round}`;
    // Frozen as a whole before the user has any wallet.
    await setUserStatus(userId, 'FROZEN');
    const result = await race(userId, 'ACTIVE', round % 2 === 0);
    outcomes.push(`${result.status}/${result.userFrozen}`);
  }
  expect(outcomes).toEqual(Array.from({ length: ROUNDS }, () => 'ACTIVE/false'));
});
