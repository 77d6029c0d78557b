// Proves the role x operation matrix over real HTTP with real tokens: players read only their own wallets, ledger, transactions and holds and move no money; game servers move money and read everything; admins do everything, asset management included; no token is 401; a refusal writes nothing.
import { type GraphQLResponse } from '../support/gateway';
import { useTestGateway } from '../support/use-test-gateway';
import { inputMutation } from '../support/documents';

let seq = 0;
const key = (label: string) => `authz-${label}-${(seq += 1)}`;

const t = useTestGateway('authorization', { seed: true });

type Caller = 'playerOwn' | 'playerOther' | 'server' | 'admin';
/** What a caller gets: data, FORBIDDEN, or null (reads of another player's transaction or hold). */
type Outcome = 'ok' | 'FORBIDDEN' | 'null';

/** alice is the player; her "own" target is alice, the "other" target is bob. */
async function tokenOf(caller: Caller): Promise<string> {
  if (caller === 'server') return t.tokens.server;
  if (caller === 'admin') return t.tokens.admin;
  return t.tokens.player('alice');
}
const targetOf = (caller: Caller) => (caller === 'playerOther' ? 'bob' : 'alice');

async function asServer<T = any>(query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await t.gql(query, variables);
  if (res.errors) throw new Error(JSON.stringify(res.errors));
  return res.data as T;
}

const TOPUP = inputMutation('topup', `transaction { id } wallet { balance }`);
const HOLD = inputMutation('hold', `hold { id status }`);

async function freshTransaction(userId: string): Promise<string> {
  const data = await asServer(TOPUP, {
    input: { userId, asset: 'GOLD_COINS', amount: '5', idempotencyKey: key('fixture-tx') },
  });
  return data.topup.transaction.id;
}
async function freshHold(userId: string): Promise<string> {
  const data = await asServer(HOLD, {
    input: { userId, asset: 'GOLD_COINS', amount: '3', idempotencyKey: key('fixture-hold') },
  });
  return data.hold.hold.id;
}

interface Operation {
  name: string;
  /** Runs the operation as the caller against the target user; fixtures are made by the server. */
  run(token: string, target: string): Promise<GraphQLResponse>;
  /** The root field whose value is checked. */
  field: string;
  expected: Record<Caller, Outcome>;
}

const readAccess: Record<Caller, Outcome> = {
  playerOwn: 'ok',
  playerOther: 'FORBIDDEN',
  server: 'ok',
  admin: 'ok',
};
const hiddenOther: Record<Caller, Outcome> = {
  playerOwn: 'ok',
  playerOther: 'null',
  server: 'ok',
  admin: 'ok',
};
const moneyAccess: Record<Caller, Outcome> = {
  playerOwn: 'FORBIDDEN',
  playerOther: 'FORBIDDEN',
  server: 'ok',
  admin: 'ok',
};
const adminOnly: Record<Caller, Outcome> = {
  playerOwn: 'FORBIDDEN',
  playerOther: 'FORBIDDEN',
  server: 'FORBIDDEN',
  admin: 'ok',
};
const everyone: Record<Caller, Outcome> = {
  playerOwn: 'ok',
  playerOther: 'ok',
  server: 'ok',
  admin: 'ok',
};
const auth = (token: string) => ({ authorization: `Bearer ${token}` });

const operations: Operation[] = [
  {
    name: 'assets',
    field: 'assets',
    expected: everyone,
    run: (token) => t.gql(`{ assets { code } }`, undefined, auth(token)),
  },
  {
    name: 'balance',
    field: 'balance',
    expected: readAccess,
    run: (token, u) =>
      t.gql(
        `query($u: ID!) { balance(userId: $u, asset: "GOLD_COINS") { userId balance } }`,
        { u },
        auth(token),
      ),
  },
  {
    name: 'balance at an instant',
    field: 'balance',
    expected: readAccess,
    run: (token, u) =>
      t.gql(
        `query($u: ID!, $at: DateTime) { balance(userId: $u, asset: "GOLD_COINS", at: $at) { balance } }`,
        { u, at: new Date().toISOString() },
        auth(token),
      ),
  },
  {
    name: 'balances',
    field: 'balances',
    expected: readAccess,
    run: (token, u) =>
      t.gql(`query($u: ID!) { balances(userId: $u) { balance } }`, { u }, auth(token)),
  },
  {
    name: 'ledger',
    field: 'ledger',
    expected: readAccess,
    run: (token, u) =>
      t.gql(
        `query($u: ID!) { ledger(userId: $u, first: 2) { edges { node { userId transaction { id entries { userId } } } } } }`,
        { u },
        auth(token),
      ),
  },
  {
    name: 'transaction(id)',
    field: 'transaction',
    expected: hiddenOther,
    run: async (token, u) =>
      t.gql(
        `query($id: ID!) { transaction(id: $id) { id userId reverses { id } } }`,
        { id: await freshTransaction(u) },
        auth(token),
      ),
  },
  {
    name: 'hold(id)',
    field: 'hold',
    expected: hiddenOther,
    run: async (token, u) =>
      t.gql(
        `query($id: ID!) { hold(id: $id) { id userId } }`,
        { id: await freshHold(u) },
        auth(token),
      ),
  },
  {
    name: 'topup',
    field: 'topup',
    expected: moneyAccess,
    run: (token, u) =>
      t.gql(
        TOPUP,
        { input: { userId: u, asset: 'GOLD_COINS', amount: '7', idempotencyKey: key('topup') } },
        auth(token),
      ),
  },
  {
    name: 'bonus',
    field: 'bonus',
    expected: moneyAccess,
    run: (token, u) =>
      t.gql(
        inputMutation('bonus', `wallet { balance }`),
        { input: { userId: u, asset: 'GOLD_COINS', amount: '7', idempotencyKey: key('bonus') } },
        auth(token),
      ),
  },
  {
    name: 'spend',
    field: 'spend',
    expected: moneyAccess,
    run: (token, u) =>
      t.gql(
        inputMutation('spend', `wallet { balance }`),
        { input: { userId: u, asset: 'GOLD_COINS', amount: '1', idempotencyKey: key('spend') } },
        auth(token),
      ),
  },
  {
    name: 'hold',
    field: 'hold',
    expected: moneyAccess,
    run: (token, u) =>
      t.gql(
        HOLD,
        { input: { userId: u, asset: 'GOLD_COINS', amount: '2', idempotencyKey: key('hold') } },
        auth(token),
      ),
  },
  {
    name: 'captureHold',
    field: 'captureHold',
    expected: moneyAccess,
    run: async (token, u) =>
      t.gql(
        inputMutation('captureHold', `transaction { kind }`),
        { input: { holdId: await freshHold(u), idempotencyKey: key('capture') } },
        auth(token),
      ),
  },
  {
    name: 'releaseHold',
    field: 'releaseHold',
    expected: moneyAccess,
    run: async (token, u) =>
      t.gql(
        `mutation($h: ID!, $k: String!) { releaseHold(holdId: $h, idempotencyKey: $k) { hold { status } } }`,
        { h: await freshHold(u), k: key('release') },
        auth(token),
      ),
  },
  {
    name: 'reverse',
    field: 'reverse',
    expected: moneyAccess,
    run: async (token, u) =>
      t.gql(
        inputMutation('reverse', `transaction { kind }`),
        { input: { transactionId: await freshTransaction(u), idempotencyKey: key('reverse') } },
        auth(token),
      ),
  },
  {
    name: 'createAsset',
    field: 'createAsset',
    expected: adminOnly,
    run: (token) =>
      t.gql(
        `mutation($input: CreateAssetInput!) { createAsset(input: $input) { code } }`,
        { input: { code: `AUTHZ_${(seq += 1)}`, name: 'Authz test', decimals: 0 } },
        auth(token),
      ),
  },
  {
    name: 'updateAsset',
    field: 'updateAsset',
    expected: adminOnly,
    run: (token) =>
      t.gql(
        `mutation($input: UpdateAssetInput!) { updateAsset(input: $input) { name } }`,
        { input: { code: 'LOYALTY_POINTS', name: `Loyalty points ${(seq += 1)}` } },
        auth(token),
      ),
  },
];

const wallets = async () => {
  const data = await asServer(
    `{ a: balances(userId: "alice") { asset { code } balance available } b: balances(userId: "bob") { asset { code } balance available } }`,
  );
  return data;
};

const cases = operations.flatMap((operation) =>
  (Object.keys(operation.expected) as Caller[]).map(
    (caller) => [operation.name, caller, operation.expected[caller], operation] as const,
  ),
);

it.each(cases)('%s as %s: %s', async (_name, caller, outcome, operation) => {
  const target = targetOf(caller);
  const token = await tokenOf(caller);
  const res = await operation.run(token, target);
  if (outcome === 'ok') {
    expect(res.errors).toBeUndefined();
    expect(res.status).toBe(200);
    expect(res.data[operation.field]).not.toBeNull();
    // Reads that name their user return that user's data, never someone else's.
    const userId = res.data[operation.field].userId;
    if (userId !== undefined) expect(userId).toBe(target);
  } else if (outcome === 'null') {
    expect(res.errors).toBeUndefined();
    expect(res.data[operation.field]).toBeNull();
  } else {
    expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
    expect(res.status).toBe(200);
    expect(res.data?.[operation.field] ?? null).toBeNull();
  }
});

it.each(
  operations
    .filter(
      (operation) =>
        operation.expected.playerOwn === 'FORBIDDEN' &&
        operation.field !== 'createAsset' &&
        operation.field !== 'updateAsset',
    )
    .map((o) => [o.name, o] as const),
)('a refused %s writes nothing: every wallet reads exactly as before', async (_name, operation) => {
  const token = await t.tokens.player('alice');
  const before = await wallets();
  const res = await operation.run(token, 'alice');
  const after = await wallets();
  expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  // captureHold, releaseHold and reverse first get a fresh hold or transaction on alice's
  // wallet from the server (inside run), which changes her wallet legitimately; bob's wallets
  // must not change at all, and alice's not for the operations that need no fixture.
  expect(after.b).toEqual(before.b);
  if (!['captureHold', 'releaseHold', 'reverse'].includes(operation.field))
    expect(after.a).toEqual(before.a);
});

it('authorization comes before input validation: a player sending a malformed topup learns only FORBIDDEN', async () => {
  const res = await t.gql(
    TOPUP,
    { input: { userId: 'alice', asset: 'NO_SUCH_ASSET', amount: '-5', idempotencyKey: '' } },
    auth(await t.tokens.player('alice')),
  );
  expect(res.errors?.map((e) => e.extensions?.code)).toEqual(['FORBIDDEN']);
});

it('a player token cannot read another player through nested fields or aliases either', async () => {
  const alice = await t.tokens.player('alice');
  const res = await t.gql(
    `{ mine: balance(userId: "alice", asset: "GOLD_COINS") { balance } theirs: balance(userId: "bob", asset: "GOLD_COINS") { balance } }`,
    undefined,
    auth(alice),
  );
  // balance is non-null, so the refused alias nulls the whole answer: nothing of bob's leaks.
  expect(res.data ?? null).toBeNull();
  expect(res.errors?.map((e) => [e.path?.[0], e.extensions?.code])).toEqual([
    ['theirs', 'FORBIDDEN'],
  ]);
});

it('no token is 401 UNAUTHENTICATED for every operation, reads and writes alike', async () => {
  for (const operation of operations) {
    // An empty token sends "Bearer ", which is not a credential.
    const res = await operation.run('', 'alice');
    expect({
      op: operation.name,
      status: res.status,
      code: res.errors?.[0]?.extensions?.code,
    }).toEqual({ op: operation.name, status: 401, code: 'UNAUTHENTICATED' });
  }
});

it('idempotency keys are scoped by the token subject: two game servers may use the same key', async () => {
  const other = await t.mintToken({ sub: 'game-server-2', role: 'server' });
  const input = {
    userId: 'alice',
    asset: 'DIAMONDS',
    amount: '1',
    idempotencyKey: 'shared-key-across-clients',
  };
  const first = await t.gql(inputMutation('topup', `replayed`), { input });
  const second = await t.gql(inputMutation('topup', `replayed`), { input }, auth(other));
  const again = await t.gql(inputMutation('topup', `replayed`), { input }, auth(other));
  expect([
    first.data.topup.replayed,
    second.data.topup.replayed,
    again.data.topup.replayed,
  ]).toEqual([false, false, true]);
});
