// Proves the request limits on the real schema without a server: depth, aliases, tokens and estimated cost each refuse one step past the limit with BAD_USER_INPUT, its reason and the limit, and allow the limit itself.
import { Lexer, Source, TokenKind, parse, type GraphQLError } from 'graphql';
import { buildGatewaySchema } from '../../src/app/schema';
import { operationCost, prepareOperation } from '../../src/shared/graphql-limits';
import { limits } from '../../src/shared/limits';

const schema = buildGatewaySchema();

/** The extensions of the first refusal, or 'accepted'. */
function verdict(
  query: string,
  variables?: Record<string, unknown>,
): Record<string, unknown> | 'accepted' {
  const prepared = prepareOperation(schema, { query, variables });
  if (!Array.isArray(prepared)) return 'accepted';
  return { ...(prepared as readonly GraphQLError[])[0]!.extensions };
}

/** A ledger query whose selection is `levels` deep in all (root field included), through transaction.reverses.reverses... */
function ledgerOfDepth(levels: number): string {
  // ledger(1) > edges(2) > node(3) > transaction(4) > reverses(5..) > id
  let inner = 'id';
  for (let i = 0; i < levels - 5; i += 1) inner = `reverses { ${inner} }`;
  return `{ ledger(userId: "a") { edges { node { transaction { ${inner} } } } } }`;
}

describe('depth', () => {
  it(`allows ${limits.queryDepthMax} levels and refuses ${limits.queryDepthMax + 1}`, () => {
    expect(verdict(ledgerOfDepth(limits.queryDepthMax))).toBe('accepted');
    expect(verdict(ledgerOfDepth(limits.queryDepthMax + 1))).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'QUERY_TOO_DEEP',
      limit: limits.queryDepthMax,
    });
  });

  it('follows fragments', () => {
    const query = `{ ledger(userId: "a") { ...E } } fragment E on LedgerConnection { edges { node { transaction { ${'reverses { '.repeat(6)}id${' }'.repeat(6)} } } } }`;
    expect(verdict(query)).toMatchObject({ reason: 'QUERY_TOO_DEEP' });
  });
});

describe('aliases', () => {
  const aliased = (count: number) =>
    `{ ${Array.from({ length: count }, (_, i) => `a${i}: assets { code }`).join(' ')} }`;
  it(`allows ${limits.queryAliasesMax} and refuses ${limits.queryAliasesMax + 1}`, () => {
    expect(verdict(aliased(limits.queryAliasesMax))).toBe('accepted');
    expect(verdict(aliased(limits.queryAliasesMax + 1))).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'TOO_MANY_ALIASES',
      limit: limits.queryAliasesMax,
    });
  });
});

describe('tokens', () => {
  /** Tokens as graphql-js counts them for its limit: every lexical token but the end of the document. */
  function tokenCount(source: string): number {
    const lexer = new Lexer(new Source(source));
    let count = 0;
    for (let token = lexer.advance(); token.kind !== TokenKind.EOF; token = lexer.advance())
      count += 1;
    return count;
  }
  // A long default list: one token per element, and nothing else for the other rules to object to.
  const of = (elements: number) =>
    `query($k: [TransactionKind!] = [${' TOPUP'.repeat(elements)} ]) { ledger(userId: "a", kinds: $k) { pageInfo { hasNextPage } } }`;

  it(`allows ${limits.queryTokensMax} tokens and refuses one more, before building the document`, () => {
    const fits = of(limits.queryTokensMax - tokenCount(of(0)));
    expect(tokenCount(fits)).toBe(limits.queryTokensMax);
    expect(verdict(fits)).toBe('accepted');
    expect(verdict(of(limits.queryTokensMax - tokenCount(of(0)) + 1))).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'QUERY_TOO_LARGE',
      limit: limits.queryTokensMax,
    });
  });
});

describe('estimated cost', () => {
  const fields = (count: number) => Array.from({ length: count }, () => 'id').join(' ');
  const page = (entryFields: number) =>
    `query($first: Int) { ledger(userId: "a", first: $first) { edges { node { ${fields(entryFields)} } } } }`;

  it('multiplies a page by its size, from the variables, capped at the largest page', () => {
    // 15 fields a 500-entry page fits (about 8,500 in the docs' reckoning), 40 do not.
    expect(verdict(page(15), { first: 500 })).toBe('accepted');
    expect(verdict(page(40), { first: 500 })).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'QUERY_TOO_COMPLEX',
      limit: limits.queryCostMax,
    });
    expect(verdict(page(40), { first: 10 })).toBe('accepted');
    // A page size over the cap is charged as the cap, as the server serves it.
    expect(verdict(page(40), { first: 1_000_000 })).toEqual(
      verdict(page(40), { first: limits.ledgerPageSizeMax }),
    );
  });

  it('counts webhooks and Webhook.failedEvents at what they can return (100 x 100 events), not at 20', () => {
    const query = '{ webhooks { id failedEvents { id type createdAt } } }';
    // The largest answer: every webhook (its id), each with its most failed events, each of 3 fields.
    const largest = limits.webhooksMax * (1 + limits.webhookFailedEventsShownMax * 3);
    expect(limits.webhooksMax).toBe(100);
    expect(limits.webhookFailedEventsShownMax).toBe(100);
    expect(operationCost(schema, parse(query))).toBeGreaterThanOrEqual(largest);
    // So a selection that cheap-looking lists would have let through is refused.
    expect(
      verdict(
        '{ webhooks { failedEvents { id type createdAt transaction { id kind amount asset { code name } } } } }',
      ),
    ).toMatchObject({ reason: 'QUERY_TOO_COMPLEX' });
  });
});
