// Proves the GraphQL hardening over real HTTP: depth, alias, cost, token and body-size limits each refuse with their reason, no batching, GraphQL-over-HTTP conformance (GET for queries only, 405 for mutations over GET, media types, CSRF prevention), and introspection and field suggestions off in production.
import { buildGatewaySchema } from '../../src/app/schema';
import { operationCost } from '../../src/shared/graphql-limits';
import { limits } from '../../src/shared/limits';
import { parse } from 'graphql';
import { startTestGateway } from '../support/gateway';
import { useTestGateway } from '../support/use-test-gateway';
import { inputMutation } from '../support/documents';

const t = useTestGateway('hardening', { seed: true });

async function post(body: unknown, headers: Record<string, string> = {}) {
  const response = await fetch(t.url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${t.tokens.server}`,
      ...headers,
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, json, text, headers: response.headers };
}

function expectLimit(answer: { status: number; json: any }, reason: string, limit: number): void {
  expect(answer.status).toBe(400);
  expect(answer.json.data).toBeUndefined();
  expect(answer.json.errors[0].extensions).toEqual({ code: 'BAD_USER_INPUT', reason, limit });
}

/** transaction { entries { transaction { entries ... } } } nested n times under ledger/edges/node. */
function nested(levels: number): string {
  let inner = 'id';
  for (let i = levels - 1; i >= 0; i -= 1)
    inner = i % 2 === 0 ? `transaction { ${inner} }` : `entries { ${inner} }`;
  return `{ ledger(userId: "alice", first: 1) { edges { node { ${inner} } } } }`;
}

describe('depth limit', () => {
  it(`a query nested exactly ${limits.queryDepthMax} levels runs; one level more is QUERY_TOO_DEEP`, async () => {
    // ledger(1) edges(2) node(3), then transaction/entries levels, then the leaf id.
    const fits = await post({ query: nested(limits.queryDepthMax - 4) });
    expect(fits.status).toBe(200);
    expect(fits.json.errors).toBeUndefined();
    expectLimit(
      await post({ query: nested(limits.queryDepthMax - 3) }),
      'QUERY_TOO_DEEP',
      limits.queryDepthMax,
    );
  });

  it('fragments do not hide depth', async () => {
    const query = `
      query { ledger(userId: "alice", first: 1) { edges { node { ...E } } } }
      fragment E on LedgerEntry { transaction { ...T } }
      fragment T on Transaction { entries { transaction { entries { transaction { entries { transaction { id } } } } } } }`;
    expectLimit(await post({ query }), 'QUERY_TOO_DEEP', limits.queryDepthMax);
  });

  it('introspection is exempt outside production (GraphiQL-style tools need the deep standard query)', async () => {
    const res = await post({
      query: `{ __schema { queryType { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } } }`,
    });
    expect(res.status).toBe(200);
    expect(res.json.errors).toBeUndefined();
  });
});

describe('alias limit', () => {
  const aliased = (n: number) =>
    `{ ${Array.from({ length: n }, (_, i) => `a${i}: assets { code }`).join(' ')} }`;
  it(`${limits.queryAliasesMax} aliases run; one more is TOO_MANY_ALIASES`, async () => {
    const fits = await post({ query: aliased(limits.queryAliasesMax) });
    expect(fits.status).toBe(200);
    expect(Object.keys(fits.json.data)).toHaveLength(limits.queryAliasesMax);
    expectLimit(
      await post({ query: aliased(limits.queryAliasesMax + 1) }),
      'TOO_MANY_ALIASES',
      limits.queryAliasesMax,
    );
  });
});

describe('cost limit', () => {
  const heavy = `query($n: Int) { ledger(userId: "alice", first: $n) { edges { cursor node {
    id sequence amount balanceAfter createdAt direction userId asset { code name decimals }
    transaction { id kind amount userId reference metadata createdAt asset { code name decimals }
      entries { id sequence amount balanceAfter createdAt direction userId asset { code name decimals } }
      reverses { id kind amount createdAt entries { id amount direction } }
      hold { id status amount createdAt } } } } } }`;

  it('the estimate multiplies a page by its size, taken from the variables', () => {
    const schema = buildGatewaySchema();
    const document = parse(heavy);
    const perPage = (n: number) => operationCost(schema, document, { n });
    expect(perPage(500)).toBeGreaterThan(limits.queryCostMax);
    expect(perPage(50)).toBeLessThan(limits.queryCostMax);
    // The server caps a page at ledgerPageSizeMax, and so does the estimate.
    expect(perPage(1_000_000)).toBe(perPage(limits.ledgerPageSizeMax));
  });

  it('the same query runs with a small page and is QUERY_TOO_COMPLEX with a big one, before anything executes', async () => {
    const small = await post({ query: heavy, variables: { n: 50 } });
    expect(small.status).toBe(200);
    expect(small.json.errors).toBeUndefined();
    expectLimit(
      await post({ query: heavy, variables: { n: 500 } }),
      'QUERY_TOO_COMPLEX',
      limits.queryCostMax,
    );
  });

  it('fragments spread over and over cannot slip past the estimate (it fails closed when the document is too big to estimate)', async () => {
    const ten = (spread: string) => Array.from({ length: 10 }, () => spread).join(' ');
    const query = `{ ledger(userId: "alice", first: 1) { edges { node { transaction { ${ten('...T3')} } } } } }
      fragment T3 on Transaction { entries { ${ten('...E2')} } }
      fragment E2 on LedgerEntry { transaction { ${ten('...T1')} } }
      fragment T1 on Transaction { entries { ${ten('...E0')} } }
      fragment E0 on LedgerEntry { id amount }`;
    expectLimit(await post({ query }), 'QUERY_TOO_COMPLEX', limits.queryCostMax);
  });

  it('variables that do not coerce are reported as such, not as a cost refusal', async () => {
    const res = await post({ query: heavy, variables: { n: 'many' } });
    expect(res.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    expect(res.json.errors[0].extensions.reason).toBeUndefined();
    expect(res.json.errors[0].message).toMatch(/\$n/);
  });

  it('a full 500-entry page with its transactions fits', async () => {
    const res = await post({
      query: `{ ledger(userId: "alice", first: 500) { edges { cursor node { id amount balanceAfter transaction { id kind amount entries { id amount direction } } } } pageInfo { hasNextPage endCursor } } }`,
    });
    expect(res.status).toBe(200);
    expect(res.json.errors).toBeUndefined();
  });
});

describe('document and body size', () => {
  it(`a document over ${limits.queryTokensMax} tokens is QUERY_TOO_LARGE, without parsing the rest`, async () => {
    const query = `{ assets { ${'code '.repeat(limits.queryTokensMax)} } }`;
    expectLimit(await post({ query }), 'QUERY_TOO_LARGE', limits.queryTokensMax);
  });

  it(`a body over ${limits.requestBodyBytesMax} bytes is 413 with a GraphQL-shaped error, and writes nothing`, async () => {
    const query = inputMutation('topup', `replayed`);
    const input = {
      userId: 'big-body',
      asset: 'GOLD_COINS',
      amount: '1',
      idempotencyKey: 'big-body-1',
      reference: 'x'.repeat(limits.requestBodyBytesMax),
    };
    const res = await post({ query, variables: { input } });
    expect(res.status).toBe(413);
    expect(res.json.errors[0].extensions).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'REQUEST_TOO_LARGE',
      limit: limits.requestBodyBytesMax,
    });
    const balance = await t.gql(`{ balance(userId: "big-body", asset: "GOLD_COINS") { balance } }`);
    expect(balance.data.balance.balance).toBe('0');
  });

  it('a body that is not JSON is 400 with a GraphQL-shaped error', async () => {
    const res = await post('{"query": ');
    expect(res.status).toBe(400);
    expect(res.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});

describe('GraphQL over HTTP', () => {
  it('batched requests are refused (one request, one operation)', async () => {
    const res = await post([{ query: '{ assets { code } }' }, { query: '{ assets { code } }' }]);
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/batching/i);
  });

  const get = (query: string, headers: Record<string, string> = {}) =>
    fetch(`${t.url}?query=${encodeURIComponent(query)}`, {
      headers: {
        authorization: `Bearer ${t.tokens.server}`,
        'apollo-require-preflight': 'true',
        ...headers,
      },
    });

  it('GET runs queries', async () => {
    const res = await get('{ assets { code } }');
    expect(res.status).toBe(200);
    expect(((await res.json()) as any).data.assets.length).toBeGreaterThan(0);
  });

  it('GET refuses mutations with 405 and Allow: POST, and moves no money', async () => {
    const res = await get(
      'mutation { topup(input: {userId: "via-get", asset: "GOLD_COINS", amount: "5", idempotencyKey: "via-get-1"}) { replayed } }',
    );
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST');
    const balance = await t.gql(`{ balance(userId: "via-get", asset: "GOLD_COINS") { balance } }`);
    expect(balance.data.balance.balance).toBe('0');
  });

  it('other methods are 405', async () => {
    const res = await fetch(t.url, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.tokens.server}` },
      body: '{}',
    });
    expect(res.status).toBe(405);
  });

  it('CSRF prevention: a "simple" cross-site request (GET without a preflight header, POST as text/plain or a form) is refused', async () => {
    const bare = await fetch(`${t.url}?query=${encodeURIComponent('{ assets { code } }')}`, {
      headers: { authorization: `Bearer ${t.tokens.server}` },
    });
    expect(bare.status).toBe(400);
    expect(await bare.text()).toMatch(/CSRF/);
    for (const contentType of [
      'text/plain',
      'application/x-www-form-urlencoded',
      'multipart/form-data; boundary=x',
    ]) {
      const res = await post(JSON.stringify({ query: '{ assets { code } }' }), {
        'content-type': contentType,
      });
      expect({ contentType, status: res.status }).toEqual({ contentType, status: 400 });
    }
  });

  it('media types: application/graphql-response+json when asked for, application/json otherwise, 406 for neither', async () => {
    const modern = await post(
      { query: '{ assets { code } }' },
      { accept: 'application/graphql-response+json' },
    );
    expect(modern.headers.get('content-type')).toMatch(/^application\/graphql-response\+json/);
    const classic = await post({ query: '{ assets { code } }' }, { accept: 'application/json' });
    expect(classic.headers.get('content-type')).toMatch(/^application\/json/);
    const neither = await post({ query: '{ assets { code } }' }, { accept: 'application/xml' });
    expect(neither.status).toBe(406);
  });

  it('accepting only application/json, parse, validation, variable and limit failures are 200 with errors (GraphQL over HTTP, legacy watershed); nothing runs', async () => {
    const json = { accept: 'application/json' };
    for (const body of [
      { query: '{ assets { code ' },
      { query: '{ noSuchField }' },
      {
        query: 'query($n: Int) { ledger(userId: "alice", first: $n) { edges { cursor } } }',
        variables: { n: 'many' },
      },
      { query: nested(limits.queryDepthMax - 3) },
    ]) {
      const res = await post(body, json);
      expect({ query: body.query, status: res.status }).toEqual({ query: body.query, status: 200 });
      expect(res.json.data).toBeUndefined();
      expect(res.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    }
    // Not for credentials: a bad token stays 401 whatever the client accepts.
    expect(
      (await post({ query: '{ assets { code } }' }, { ...json, authorization: 'Bearer nope' }))
        .status,
    ).toBe(401);
  });

  it('with application/graphql-response+json, a request that fails validation is a 4xx', async () => {
    const res = await post(
      { query: '{ noSuchField }' },
      { accept: 'application/graphql-response+json' },
    );
    expect(res.status).toBe(400);
    expect(res.json.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});

describe('schema details outside and inside production', () => {
  it('development: introspection works and a misspelt field gets a suggestion', async () => {
    const intro = await post({ query: '{ __schema { queryType { name } } }' });
    expect(intro.json.data.__schema.queryType.name).toBe('Query');
    const typo = await post({ query: '{ asets { code } }' });
    expect(typo.json.errors[0].message).toMatch(/Did you mean/);
  });

  it('production: introspection is refused and errors suggest no field names', async () => {
    const prod = await startTestGateway('hardening-prod', {
      env: { NODE_ENV: 'production', METRICS_TOKEN: 'hardening-metrics-token' },
    });
    try {
      const ask = (query: string) => prod.gql(query);
      const intro = await ask('{ __schema { queryType { name } } }');
      expect(intro.status).toBe(400);
      expect(intro.errors?.[0]?.message).toMatch(/introspection/i);
      const typeQuery = await ask('{ __type(name: "Wallet") { fields { name } } }');
      expect(typeQuery.errors?.[0]?.message).toMatch(/introspection/i);
      const typo = await ask('{ asets { code } }');
      expect(typo.errors?.[0]?.message).toMatch(/Cannot query field "asets"/);
      expect(typo.errors?.[0]?.message).not.toMatch(/Did you mean|assets/);
      // The landing page is not the embedded sandbox, and ordinary queries still work.
      expect((await ask('{ assets { code } }')).data.assets.length).toBeGreaterThan(0);
    } finally {
      await prod.stop();
    }
  });
});
