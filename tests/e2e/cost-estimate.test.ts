// Proves the cost estimate bounds what the service returns: for generated documents (pages with first absent, null, a literal or a variable; nested lists), the estimated cost is at least the number of objects in the answer, and `first: null` no longer slips past the cost limit.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { GraphQLObjectType, getNamedType, isObjectType, parse, type GraphQLSchema } from 'graphql';
import { startTestGateway, type TestGateway } from '../support/gateway';
import { buildGatewaySchema } from '../../src/app/schema';
import { operationCost } from '../../src/shared/graphql-limits';
import { limits } from '../../src/shared/limits';

jest.setTimeout(300_000);

let t: TestGateway;
const schema: GraphQLSchema = buildGatewaySchema();
/** More entries than the default page, so that a page costed as one item shows. */
const entriesOfCostly = limits.ledgerPageSizeDefault + 15;

beforeAll(async () => {
  t = await startTestGateway('cost-estimate', { seed: true });
  const topup = `mutation($input: TopupInput!) { topup(input: $input) { replayed } }`;
  for (let i = 0; i < entriesOfCostly; i += 5) {
    await Promise.all(
      Array.from({ length: 5 }, (_, j) =>
        t.gql(topup, {
          input: {
            userId: 'costly',
            asset: 'GOLD_COINS',
            amount: '1',
            idempotencyKey: `costly-${i + j}`,
          },
        }),
      ),
    );
  }
});
afterAll(async () => {
  await t?.stop();
});

async function post(query: string, variables?: Record<string, unknown>, token = t.tokens.server) {
  const response = await fetch(t.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ query, variables }),
  });
  return { status: response.status, json: (await response.json()) as any };
}

/** Every JSON object in the answer: each is at least one object the service built and sent. */
function countObjects(value: unknown): number {
  if (Array.isArray(value)) return value.reduce((sum: number, item) => sum + countObjects(item), 0);
  if (value === null || typeof value !== 'object') return 0;
  return 1 + Object.values(value).reduce((sum: number, child) => sum + countObjects(child), 0);
}

type Gen = fc.GeneratorValue;

/** A random selection set of an object type, nesting at most `depth` more levels. */
function selectionOf(g: Gen, type: GraphQLObjectType, depth: number): string {
  // Names, not field objects: fast-check compares generated values, and schema objects are cyclic.
  const fields = Object.values(type.getFields()).filter((field) => field.args.length === 0);
  const leaves = fields
    .filter((field) => !isObjectType(getNamedType(field.type)))
    .map((field) => field.name);
  const objects =
    depth > 0
      ? fields.filter((field) => isObjectType(getNamedType(field.type))).map((field) => field.name)
      : [];
  const chosen = [
    ...g(fc.subarray, leaves, { minLength: leaves.length > 0 ? 1 : 0 }),
    ...g(fc.subarray, objects),
  ];
  if (chosen.length === 0) chosen.push(leaves[0] ?? objects[0]!);
  return chosen
    .map((name) => {
      const named = getNamedType(type.getFields()[name]!.type);
      return isObjectType(named) ? `${name} { ${selectionOf(g, named, depth - 1)} }` : name;
    })
    .join(' ');
}

const queryType = schema.getQueryType()!;
const typeOfRoot = (name: string) =>
  getNamedType(queryType.getFields()[name]!.type) as GraphQLObjectType;

/** A document of 1..3 aliased root fields, with its variables. */
function documentOf(g: Gen): { query: string; variables: Record<string, unknown> } {
  const variables: Record<string, unknown> = {};
  const definitions: string[] = [];
  const roots: string[] = [];
  const count = g(fc.integer, { min: 1, max: 3 });
  for (let i = 0; i < count; i += 1) {
    const root = g(fc.constantFrom, 'ledger', 'ledger', 'ledger', 'balances', 'balance', 'assets');
    const user = g(fc.constantFrom, 'alice', 'costly');
    const depth = g(fc.integer, { min: 1, max: 4 });
    if (root === 'ledger') {
      const first = g(fc.constantFrom, 'absent', 'null', 'literal', 'variable');
      let argument = '';
      if (first === 'null') argument = ', first: null';
      if (first === 'literal') argument = `, first: ${g(fc.integer, { min: 1, max: 700 })}`;
      if (first === 'variable') {
        definitions.push(`$n${i}: Int`);
        argument = `, first: $n${i}`;
        // null, absent (the variable is not sent) or a number.
        const value = g(fc.constantFrom, 'null', 'absent', 'number');
        if (value === 'null') variables[`n${i}`] = null;
        if (value === 'number') variables[`n${i}`] = g(fc.integer, { min: 1, max: 700 });
      }
      roots.push(
        `r${i}: ledger(userId: "${user}"${argument}) { ${selectionOf(g, typeOfRoot('ledger'), depth + 2)} }`,
      );
    } else if (root === 'balances') {
      roots.push(
        `r${i}: balances(userId: "${user}") { ${selectionOf(g, typeOfRoot('balances'), depth)} }`,
      );
    } else if (root === 'balance') {
      roots.push(
        `r${i}: balance(userId: "${user}", asset: "GOLD_COINS") { ${selectionOf(g, typeOfRoot('balance'), depth)} }`,
      );
    } else {
      roots.push(`r${i}: assets { ${selectionOf(g, typeOfRoot('assets'), depth)} }`);
    }
  }
  const header = definitions.length > 0 ? `query(${definitions.join(', ')})` : 'query';
  return { query: `${header} { ${roots.join(' ')} }`, variables };
}

describe('cost estimate', () => {
  it('first: null, as a literal or a variable, is costed as the default page the service returns', () => {
    const document = (argument: string) =>
      parse(`query($n: Int) { ledger(userId: "a"${argument}) { edges { node { id } } } }`);
    const defaultPage = operationCost(schema, document(''));
    expect(defaultPage).toBeGreaterThanOrEqual(limits.ledgerPageSizeDefault * 2);
    expect(operationCost(schema, document(', first: null'))).toBe(defaultPage);
    expect(operationCost(schema, document(', first: $n'), { n: null })).toBe(defaultPage);
    expect(operationCost(schema, document(', first: $n'), {})).toBe(defaultPage);
    expect(operationCost(schema, document(`, first: ${limits.ledgerPageSizeDefault}`))).toBe(
      defaultPage,
    );
  });

  it('20 aliased ledger(first: null) pages with a large selection are refused as QUERY_TOO_COMPLEX, before anything runs', async () => {
    const fragment = `fragment E on LedgerEntry { id sequence amount balanceAfter createdAt direction userId kind asset { code name decimals }
      transaction { id kind amount userId reference metadata createdAt asset { code name decimals } entries { id amount direction userId } } }`;
    const aliases = (argument: string) =>
      Array.from(
        { length: 20 },
        (_, i) => `a${i}: ledger(userId: "costly"${argument}) { edges { cursor node { ...E } } }`,
      ).join(' ');
    for (const [query, variables] of [
      [`{ ${aliases(', first: null')} } ${fragment}`, undefined],
      [`query($n: Int) { ${aliases(', first: $n')} } ${fragment}`, { n: null }],
    ] as const) {
      const res = await post(query, variables);
      expect(res.status).toBe(400);
      expect(res.json.data).toBeUndefined();
      expect(res.json.errors[0].extensions).toEqual({
        code: 'BAD_USER_INPUT',
        reason: 'QUERY_TOO_COMPLEX',
        limit: limits.queryCostMax,
      });
    }
  });

  it('property: for any generated document the service runs, the estimated cost is at least the number of objects it returns', async () => {
    let executed = 0;
    await fc.assert(
      fc.asyncProperty(fc.gen(), async (g) => {
        const { query, variables } = documentOf(g);
        const cost = operationCost(schema, parse(query), variables);
        const res = await post(query, variables);
        if (res.json.errors) {
          // The only refusal a generated document may meet is the cost limit, and only above it.
          expect(res.json.errors[0].extensions).toMatchObject({ reason: 'QUERY_TOO_COMPLEX' });
          expect(cost).toBeGreaterThan(limits.queryCostMax);
          return;
        }
        executed += 1;
        const objects = countObjects(res.json.data);
        expect({ query, variables, cost, atLeast: objects, ok: cost >= objects }).toMatchObject({
          ok: true,
        });
      }),
      { numRuns: 60, seed: Number(process.env.FC_SEED ?? Date.now() % 2 ** 31) },
    );
    // Most generated documents fit the limit: the property is about answers, not refusals.
    expect(executed).toBeGreaterThan(20);
  });

  it("webhooks' failedEvents are counted at 100 x 100: above the general limit, within the admins' own, and the typed client's Webhooks document runs", async () => {
    // The typed client's Webhooks document with the one fragment it spreads.
    const operations = join(__dirname, '../../src/client/operations');
    const fragments = readFileSync(join(operations, 'fragments.graphql'), 'utf8');
    const fragment = /fragment WebhookFields on Webhook \{[^}]*\}/.exec(fragments)![0];
    const query = `${readFileSync(join(operations, 'webhooks.graphql'), 'utf8')}\n${fragment}`;
    const document = parse(query);
    const cost = operationCost(schema, document, {}, 'Webhooks');
    expect(cost).toBeGreaterThan(limits.queryCostMax);
    expect(cost).toBeLessThanOrEqual(limits.queryCostAdminMax);
    // Not an admin's: FORBIDDEN, as before (the list holds nothing for them).
    const asServer = await post(query, undefined, t.tokens.server);
    expect(asServer.json.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN' });
    const body = JSON.stringify({ query, operationName: 'Webhooks' });
    const response = await fetch(t.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.tokens.admin}` },
      body,
    });
    const asAdmin = (await response.json()) as any;
    expect(asAdmin.errors).toBeUndefined();
    expect(Array.isArray(asAdmin.data.webhooks)).toBe(true);
  });
});
