// Proves with property-based tests that hostile GraphQL inputs and raw HTTP requests get a clean contract error or a correct success: never a crash, never an internal error or leaked internals, never a write that should not have happened.
import fc from 'fast-check';
import { useTestGateway } from '../support/use-test-gateway';
import {
  availableKinds,
  deriveSeed,
  describeSeed,
  reliabilitySeed,
  reliabilitySize,
  sized,
} from '../support/workload';
import { inputMutation } from '../support/documents';

const seed = reliabilitySeed();
const numRuns = sized('HOSTILE_RUNS', 40, 300, 1000);
// A thousand runs per property take longer than the default test timeout on a loaded machine.
if (reliabilitySize === 'goal') jest.setTimeout(1_800_000);
const AMOUNT_MAX = 9223372036854775807n;
const contractCodes = new Set([
  'UNAUTHENTICATED',
  'FORBIDDEN',
  'BAD_USER_INPUT',
  'NOT_FOUND',
  'INSUFFICIENT_FUNDS',
  'IDEMPOTENCY_KEY_REUSED',
  'HOLD_NOT_ACTIVE',
  'ALREADY_REVERSED',
  'RATE_LIMITED',
  'SERVICE_UNAVAILABLE',
]);
/** Text that would betray internals: SQL, table names, stack frames, library names. */
const leak =
  /\bSELECT\b[\s\S]*\bFROM\b|\bINSERT INTO\b|\bUPDATE \w+ SET\b|ledger_entries|idempotency_keys|prisma|node_modules|\bat \S+ \(|\.(?:ts|js):\d+:\d+/i;

let inputsTried = 0;

const t = useTestGateway('rel_hostile', {
  beforeStop: async () =>
    console.log(`hostile input: ${JSON.stringify({ seed, numRuns, inputsTried })}`),
});
beforeAll(async () => {
  const fund = await t.gql(
    `mutation { topup(input: { userId: "hostile-rich", asset: "GOLD_COINS", amount: "1000000", idempotencyKey: "fund" }) { transaction { id } } }`,
  );
  expect(fund.errors).toBeUndefined();
});
afterEach(async () => {
  // The process is still up and serving.
  const health = await fetch(t.url.replace('/graphql', '/healthz'));
  expect(health.status).toBe(200);
});

/** fc.assert, with the run's seed in the failure message (fast-check adds the counterexample). */
async function assertProperty<T>(
  property: fc.IAsyncProperty<T>,
  options: fc.Parameters<T>,
): Promise<void> {
  try {
    await fc.assert(property, options);
  } catch (error) {
    throw new Error(
      `${describeSeed(seed, 'tests/reliability/hostile-input.test.ts')}\n${(error as Error).message}`,
    );
  }
}

const fcOptions = (label: string) => ({
  numRuns,
  seed: deriveSeed(seed, label) | 0,
  endOnFailure: true,
});

async function counts(): Promise<Record<string, number>> {
  const [row] = await t.database.prisma.$queryRaw<Record<string, bigint>[]>`
    SELECT (SELECT COUNT(*) FROM transactions) AS transactions, (SELECT COUNT(*) FROM ledger_entries) AS entries,
           (SELECT COUNT(*) FROM idempotency_keys) AS keys, (SELECT COUNT(*) FROM wallets) AS wallets,
           (SELECT COUNT(*) FROM users) AS users, (SELECT COUNT(*) FROM holds) AS holds`;
  return Object.fromEntries(Object.entries(row!).map(([k, v]) => [k, Number(v)]));
}

interface RawAnswer {
  status: number;
  text: string;
  body?: any;
}

/** One request over real HTTP, as raw as the case needs. */
async function raw(init: {
  body?: string | Buffer;
  contentType?: string | null;
  method?: string;
  path?: string;
  token?: string | null;
}): Promise<RawAnswer> {
  inputsTried += 1;
  const headers: Record<string, string> = {};
  if (init.contentType !== null) headers['content-type'] = init.contentType ?? 'application/json';
  if (init.token !== null) headers.authorization = `Bearer ${init.token ?? t.tokens.server}`;
  const response = await fetch(`${t.url.replace('/graphql', '')}${init.path ?? '/graphql'}`, {
    method: init.method ?? 'POST',
    headers,
    body: init.body,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: response.status, text, body };
}

const gql = (query: string, variables?: unknown) =>
  raw({ body: JSON.stringify({ query, variables }) });

/** The contract for any answer: no 5xx, JSON, only contract codes, nothing internal in the text. */
function expectClean(answer: RawAnswer): void {
  expect(answer.status).toBeLessThan(500);
  expect(answer.text).not.toMatch(leak);
  if (answer.status === 200 && answer.body?.data && !answer.body.errors) return;
  expect(answer.body).toBeDefined();
  expect(Array.isArray(answer.body.errors)).toBe(true);
  for (const error of answer.body.errors) {
    expect(contractCodes.has(error?.extensions?.code)).toBe(true);
  }
}

const code = (answer: RawAnswer): string | undefined => answer.body?.errors?.[0]?.extensions?.code;

// ---------------------------------------------------------------------------------------------
// Arbitraries
// ---------------------------------------------------------------------------------------------

const bigIntString = fc.bigInt({ min: -(2n ** 80n), max: 2n ** 80n }).map(String);
const amountArbitrary = fc.oneof(
  bigIntString,
  fc.bigInt({ min: 1n, max: AMOUNT_MAX }).map(String),
  fc.constantFrom(
    '9223372036854775807',
    '9223372036854775808',
    '-9223372036854775808',
    '0',
    '-0',
    '+1',
    '01',
    '00',
    '1.0',
    '1.',
    '.5',
    '1e3',
    '1E3',
    '0x10',
    '0b1',
    '0o7',
    ' 5',
    '5 ',
    '\t5',
    '5\n',
    '１２３',
    '١٢٣',
    'NaN',
    'Infinity',
    '-Infinity',
    '',
    ' ',
    '1_000',
    '1,000',
    '٣',
    '5\u0000',
    '🙂',
  ),
  fc.tuple(bigIntString, fc.nat(99)).map(([a, b]) => `${a}.${b}`),
  fc
    .tuple(fc.integer({ min: -50, max: 50 }), fc.integer({ min: -400, max: 400 }))
    .map(([a, b]) => `${a}e${b}`),
  fc.bigInt({ min: 0n, max: 2n ** 70n }).map((n) => `0x${n.toString(16)}`),
  fc
    .tuple(fc.stringMatching(/^\s{1,3}$/), fc.integer({ min: 1, max: 1000 }))
    .map(([ws, n]) => `${ws}${n}${ws}`),
  fc.integer(),
  fc.double(),
  fc.string({ maxLength: 30 }),
  fc.constantFrom(null, true, false, [], [1], {}, { value: 1 }),
);

/** The contract's rule for an acceptable topup amount. */
function acceptableAmount(value: unknown): bigint | undefined {
  let parsed: bigint | undefined;
  if (typeof value === 'string' && /^(0|[1-9][0-9]*)$/.test(value)) parsed = BigInt(value);
  if (typeof value === 'number' && Number.isSafeInteger(value)) parsed = BigInt(value);
  return parsed !== undefined && parsed >= 1n && parsed <= AMOUNT_MAX ? parsed : undefined;
}

const keyArbitrary = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 300 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }),
  fc.string({ minLength: 250, maxLength: 260 }),
  fc.constantFrom(
    '',
    'a\u0000b',
    '\u0000',
    '🔑'.repeat(127),
    '🔑'.repeat(128),
    'k'.repeat(255),
    'k'.repeat(256),
    ' ',
    '\n',
    'a\ud800b',
    '\udfff',
    "'; DROP TABLE transactions; --",
    '%s%n',
    '\u202e',
    '\ufeff',
  ),
);

/** True for strings made of whole Unicode characters (no lone surrogate halves). */
const wellFormed = (s: string) =>
  !/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s);

// ---------------------------------------------------------------------------------------------
// GraphQL inputs
// ---------------------------------------------------------------------------------------------

const TOPUP = inputMutation('topup', `replayed transaction { id amount idempotencyKey metadata }`);
let unique = 0;

describe('hostile GraphQL inputs', () => {
  it('amounts: exactly the whole numbers 1..2^63-1 are accepted, everything else is BAD_USER_INPUT and writes nothing', async () => {
    await assertProperty(
      fc.asyncProperty(amountArbitrary, async (amount) => {
        const before = await counts();
        const userId = `h-amount-${unique++}`;
        const answer = await gql(TOPUP, {
          input: { userId, asset: 'GOLD_COINS', amount, idempotencyKey: `amount-${unique}` },
        });
        expectClean(answer);
        const expected = acceptableAmount(amount);
        const after = await counts();
        if (expected === undefined) {
          expect(code(answer)).toBe('BAD_USER_INPUT');
          expect(after).toEqual(before);
        } else {
          expect(answer.body.errors).toBeUndefined();
          expect(answer.body.data.topup.transaction.amount).toBe(expected.toString());
          expect(after.transactions).toBe(before.transactions! + 1);
        }
      }),
      fcOptions('hostile:amounts'),
    );
  });

  it('idempotency keys of any length and charset: valid ones apply once and replay, the rest are BAD_USER_INPUT and write nothing', async () => {
    await assertProperty(
      fc.asyncProperty(keyArbitrary, async (key) => {
        const before = await counts();
        const input = {
          userId: 'hostile-keys',
          asset: 'GOLD_COINS',
          amount: '1',
          idempotencyKey: key,
        };
        const first = await gql(TOPUP, { input });
        expectClean(first);
        const valid =
          key.length >= 1 && key.length <= 255 && !key.includes('\u0000') && wellFormed(key);
        if (!valid) {
          expect(code(first)).toBe('BAD_USER_INPUT');
          expect(await counts()).toEqual(before);
          return;
        }
        // A key drawn twice by the generator replays its first use; otherwise this is the first.
        expect(first.body.errors).toBeUndefined();
        expect(first.body.data.topup.transaction.idempotencyKey).toBe(key);
        const again = await gql(TOPUP, { input });
        expectClean(again);
        expect(again.body.data.topup).toMatchObject({
          replayed: true,
          transaction: { id: first.body.data.topup.transaction.id },
        });
        const after = await counts();
        expect(after.transactions - before.transactions!).toBe(
          first.body.data.topup.replayed ? 0 : 1,
        );
      }),
      fcOptions('hostile:keys'),
    );
  });

  it('user ids and references of any charset: accepted exactly when the contract allows, never an internal error', async () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 140 }),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.constantFrom('', 'u\u0000', 'u\ud800', '\udc00u', 'u'.repeat(128), 'u'.repeat(129)),
    );
    await assertProperty(
      fc.asyncProperty(
        text,
        fc.option(fc.string({ unit: 'binary', maxLength: 600 })),
        async (userId, reference) => {
          const before = await counts();
          const answer = await gql(TOPUP, {
            input: {
              userId,
              asset: 'GOLD_COINS',
              amount: '1',
              idempotencyKey: `text-${unique++}`,
              reference,
            },
          });
          expectClean(answer);
          const okText = (s: string, max: number) =>
            s.length <= max && !s.includes('\u0000') && wellFormed(s);
          // User ids also refuse control, format and separator characters, non-NFC and compatibility
          // forms, and the system: prefix (docs/security.md, "User ids").
          const okUserId =
            !/[\p{C}\p{Z}]/u.test(userId) &&
            userId.normalize('NFC') === userId &&
            userId.normalize('NFKC') === userId &&
            !userId.toLowerCase().startsWith('system:');
          const valid =
            userId.length >= 1 &&
            okText(userId, 128) &&
            okUserId &&
            (reference === null || okText(reference, 512));
          if (valid) {
            expect(answer.body.errors).toBeUndefined();
            expect((await counts()).transactions).toBe(before.transactions! + 1);
          } else {
            expect(code(answer)).toBe('BAD_USER_INPUT');
            expect(await counts()).toEqual(before);
          }
        },
      ),
      fcOptions('hostile:text'),
    );
  });

  it('unknown and malformed ids: NOT_FOUND, BAD_USER_INPUT or null, and no write', async () => {
    const kinds = availableKinds();
    await assertProperty(
      fc.asyncProperty(
        // Ids of existing rows (small positive integers) are left out: acting on them is legitimate.
        fc
          .oneof(
            fc.string({ unit: 'binary', maxLength: 40 }),
            fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
            fc.constantFrom(
              '0',
              '-1',
              '1e3',
              '0x1',
              ' 1',
              '9223372036854775807',
              '9223372036854775808',
              '999999999999',
            ),
          )
          .filter((id) => !/^[1-9][0-9]{0,8}$/.test(id)),
        async (id) => {
          const before = await counts();
          const read = await gql(`query($id: ID!) { transaction(id: $id) { id } }`, { id });
          expectClean(read);
          if (!read.body.errors) expect(read.body.data.transaction).toBeNull();
          const mutations: [string, unknown][] = [];
          if (kinds.includes('reverse'))
            mutations.push([
              inputMutation('reverse', `transaction { id }`),
              { input: { transactionId: id, idempotencyKey: `rev-${unique++}` } },
            ]);
          if (kinds.includes('captureHold'))
            mutations.push([
              inputMutation('captureHold', `transaction { id }`),
              { input: { holdId: id, idempotencyKey: `cap-${unique++}` } },
            ]);
          if (kinds.includes('releaseHold'))
            mutations.push([
              `mutation($id: ID!, $key: String!) { releaseHold(holdId: $id, idempotencyKey: $key) { hold { id } } }`,
              { id, key: `rel-${unique++}` },
            ]);
          for (const [mutation, variables] of mutations) {
            const answer = await gql(mutation, variables);
            expectClean(answer);
            expect(['NOT_FOUND', 'BAD_USER_INPUT']).toContain(code(answer));
          }
          expect(await counts()).toEqual(before);
        },
      ),
      fcOptions('hostile:ids'),
    );
  });

  it('malformed cursors: BAD_USER_INPUT or a page, never an internal error', async () => {
    const cursor = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 100 }),
      fc.string({ maxLength: 40 }).map((s) => Buffer.from(s).toString('base64url')),
      fc.string({ maxLength: 40 }).map((s) => Buffer.from(`e:${s}`).toString('base64url')),
      fc
        .bigInt({ min: -(2n ** 70n), max: 2n ** 70n })
        .map((n) => Buffer.from(`e:${n}`).toString('base64url')),
    );
    await assertProperty(
      fc.asyncProperty(cursor, fc.integer({ min: -10, max: 100_000 }), async (after, first) => {
        const answer = await gql(
          `query($after: String, $first: Int) { ledger(userId: "hostile-rich", after: $after, first: $first) { edges { cursor } pageInfo { hasNextPage } } }`,
          { after, first },
        );
        expectClean(answer);
        if (answer.body.errors) expect(code(answer)).toBe('BAD_USER_INPUT');
      }),
      fcOptions('hostile:cursors'),
    );
  });

  it('metadata of extreme size and depth: stored exactly or BAD_USER_INPUT with no write', async () => {
    const deep = fc.integer({ min: 1, max: 3000 }).map((depth) => {
      let value: unknown = 1;
      for (let i = 0; i < depth; i += 1) value = i % 2 ? [value] : { d: value };
      return value;
    });
    const large = fc.integer({ min: 1, max: 70_000 }).map((size) => ({ blob: 'x'.repeat(size) }));
    const wide = fc
      .integer({ min: 1, max: 3000 })
      .map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i])));
    await assertProperty(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue({ maxDepth: 12 }),
          deep,
          large,
          wide,
          fc.string({ unit: 'binary', maxLength: 50 }),
          fc.dictionary(
            fc.string({ unit: 'binary', maxLength: 8 }),
            fc.string({ unit: 'binary', maxLength: 20 }),
          ),
        ),
        async (metadata) => {
          const before = await counts();
          const answer = await gql(TOPUP, {
            input: {
              userId: 'hostile-meta',
              asset: 'GOLD_COINS',
              amount: '1',
              idempotencyKey: `meta-${unique++}`,
              metadata,
            },
          });
          expectClean(answer);
          const after = await counts();
          if (answer.body?.errors) {
            expect(code(answer)).toBe('BAD_USER_INPUT');
            expect(after).toEqual(before);
          } else {
            // What was stored is what was sent (JSON equality: JSONB keeps no key order).
            expect(answer.body.data.topup.transaction.metadata).toEqual(
              JSON.parse(JSON.stringify(metadata)),
            );
            expect(after.transactions).toBe(before.transactions! + 1);
          }
        },
      ),
      fcOptions('hostile:metadata'),
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Raw HTTP
// ---------------------------------------------------------------------------------------------

describe('hostile HTTP requests', () => {
  it('invalid JSON, wrong shapes, wrong content types, huge bodies, deep and wide documents: clean errors and no write', async () => {
    const nested = (depth: number) =>
      `{ ledger(userId: "x") { edges { node { transaction { ${'entries { transaction { '.repeat(depth)}id${' } }'.repeat(depth)} } } } } }`;
    const request = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }).map((body) => ({ body })),
      fc.jsonValue({ maxDepth: 4 }).map((value) => ({ body: JSON.stringify(value) })),
      fc.constantFrom(
        { body: '{"query": 123}' },
        { body: '{"query": "{ assets { code } }", "variables": "nope"}' },
        { body: '[{"query": "{ assets { code } }"}]' },
        { body: '{"query": "{ assets { code } }", "operationName": 5}' },
        { body: '{"query": "{ assets { code } }"}', contentType: 'text/plain' },
        { body: 'query={assets{code}}', contentType: 'application/x-www-form-urlencoded' },
        { body: '{"query": "{ assets { code } }"}', contentType: null },
        {
          body: '{"query": "{ assets { code } }"}',
          contentType: 'application/json; charset=utf-16',
        },
        {
          body: '{"query": "{ assets { code } }"}',
          contentType: 'multipart/form-data; boundary=x',
        },
        { body: '\u0000\u0001\u0002' },
        { body: '' },
        { body: '{"query": "{ __schema { types { name } } }"}' },
        { body: '{"query": "{ assets { code } }"}', token: null },
        { body: '{"query": "{ assets { code } }"}', token: 'not-a-jwt' },
        {
          body: '{"query": "mutation { topup(input: {userId: \\"x\\", asset: \\"GOLD_COINS\\", amount: \\"1\\", idempotencyKey: \\"anon\\"}) { replayed } }"}',
          token: null,
        },
      ),
      fc.integer({ min: 60 * 1024, max: 2 * 1024 * 1024 }).map((size) => ({
        body: JSON.stringify({
          query: '{ assets { code } }',
          variables: { pad: 'x'.repeat(size) },
        }),
      })),
      fc
        .integer({ min: 5, max: 400 })
        .map((depth) => ({ body: JSON.stringify({ query: nested(depth) }) })),
      fc.integer({ min: 10, max: 3000 }).map((depth) => ({
        body: JSON.stringify({ query: `${'{ a '.repeat(depth)}${'}'.repeat(depth)}` }),
      })),
      fc.integer({ min: 10, max: 5000 }).map((n) => ({
        body: JSON.stringify({
          query: `{ ${Array.from({ length: n }, (_, i) => `a${i}: assets { code }`).join(' ')} }`,
        }),
      })),
      fc
        .integer({ min: 10, max: 5000 })
        .map((n) => ({ body: JSON.stringify({ query: `{ ${'assets { code } '.repeat(n)}}` }) })),
      fc.integer({ min: 1, max: 200 }).map((n) => ({
        body: JSON.stringify({
          query: `{ ledger(userId: "hostile-rich", first: 500) { edges { node { transaction { entries { transaction { entries { id } } } } } } } ${'x: assets { code } '.repeat(n)}}`,
        }),
      })),
      fc.constantFrom('GET', 'PUT', 'DELETE', 'PATCH').map((method) => ({
        method,
        body: method === 'GET' ? undefined : '{"query":"{ assets { code } }"}',
      })),
      fc
        .string({ maxLength: 300 })
        .map((query) => ({ method: 'GET', path: `/graphql?query=${encodeURIComponent(query)}` })),
    );
    await assertProperty(
      fc.asyncProperty(request, async (init) => {
        const before = await counts();
        const answer = await raw(init as Parameters<typeof raw>[0]);
        // GET without a query may serve the landing page (HTML) to a browser; anything else is JSON.
        if (
          answer.status === 200 &&
          !answer.body &&
          (init as { method?: string }).method === 'GET'
        ) {
          expect(answer.text).not.toMatch(leak);
        } else {
          expectClean(answer);
        }
        expect(await counts()).toEqual(before);
      }),
      fcOptions('hostile:http'),
    );
  });

  it('many aliased mutations: each applied at most once, or the document refused whole', async () => {
    await assertProperty(
      fc.asyncProperty(fc.integer({ min: 1, max: 200 }), async (n) => {
        const before = await counts();
        const batch = unique++;
        const fields = Array.from(
          { length: n },
          (_, i) =>
            `a${i}: topup(input: { userId: "hostile-alias", asset: "GOLD_COINS", amount: "1", idempotencyKey: "alias-${batch}-${i % 7}" }) { replayed transaction { id } }`,
        );
        const answer = await raw({
          body: JSON.stringify({ query: `mutation { ${fields.join(' ')} }` }),
        });
        expect(answer.status).toBeLessThan(500);
        expect(answer.text).not.toMatch(leak);
        for (const error of answer.body?.errors ?? [])
          expect(contractCodes.has(error?.extensions?.code)).toBe(true);
        // Mutations run in order; the 7 distinct keys apply once each and the rest replay.
        const results = Object.values(answer.body?.data ?? {}).filter(Boolean) as {
          replayed: boolean;
        }[];
        const applied = results.filter((r) => !r.replayed).length;
        expect(applied).toBeLessThanOrEqual(7);
        const after = await counts();
        expect(after.transactions - before.transactions!).toBe(applied);
      }),
      fcOptions('hostile:aliases'),
    );
  });
});
