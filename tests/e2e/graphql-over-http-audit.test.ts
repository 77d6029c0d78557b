// Proves the gateway passes graphql-http's GraphQL-over-HTTP audit against a real test gateway with no error and no warning (200 with errors for parse, validation and variable failures when the client accepts only application/json; 4xx for application/graphql-response+json).
import { auditServer, type AuditResult } from 'graphql-http';
import { startTestGateway, type TestGateway } from '../support/gateway';

let t: TestGateway;
beforeAll(async () => {
  t = await startTestGateway('graphql-http-audit');
});
afterAll(async () => {
  await t?.stop();
});

/** The audit's requests, sent with the game server's token (every operation needs a credential). */
const authenticatedFetch: typeof fetch = (input, init = {}) => {
  const headers = new Headers(init.headers);
  headers.set('authorization', `Bearer ${t.tokens.server}`);
  // Apollo's CSRF prevention wants a preflight header on GET; a real client sends one too.
  headers.set('apollo-require-preflight', 'true');
  return fetch(input, { ...init, headers });
};

it('graphql-http auditServer: 0 error, 0 warn', async () => {
  const results: AuditResult[] = await auditServer({ url: t.url, fetchFn: authenticatedFetch });
  const byStatus = (status: AuditResult['status']) =>
    results.filter((result) => result.status === status);
  const describe = (list: AuditResult[]) =>
    list.map(
      (result) => `${result.id} ${result.name}${'reason' in result ? `: ${result.reason}` : ''}`,
    );
  expect({ error: describe(byStatus('error')), warn: describe(byStatus('warn')) }).toEqual({
    error: [],
    warn: [],
  });
  expect(byStatus('ok').length).toBeGreaterThan(50);
  console.log(
    `graphql-http audit: ${byStatus('ok').length} ok, ${byStatus('notice').length} notice, 0 warn, 0 error`,
  );
});
