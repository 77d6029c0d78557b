// Proves the HTTP surface outside GraphQL leaks nothing: /metrics is protected in production (token or its own loopback port), errors outside GraphQL answer the JSON error shape with no stack or path in development, and development tokens are minted only against the generated development secret.
import http from 'node:http';
import { gzipSync } from 'node:zlib';
import { loadConfig } from '../../src/shared/config';
import { startTestGateway, TEST_JWT_SECRET, type TestGateway } from '../support/gateway';
import { ensureBuilt, startChildGateway } from '../support/child-gateway';
import { createTestDatabase } from '../support/test-database';

jest.setTimeout(180_000);

/** Text that would betray internals: stack frames, absolute paths, library names. */
const leak =
  /\bat \S+ \(|\/work\/|node_modules|\.(?:ts|js):\d+|zlib|incorrect header check|Error:/i;

/** A raw request: fetch would normalise `..` out of the path before sending it. */
function raw(
  url: string,
  options: { method?: string; path: string; headers?: Record<string, string>; body?: Buffer },
): Promise<{ status: number; text: string; headers: http.IncomingHttpHeaders }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        hostname,
        port,
        path: options.path,
        method: options.method ?? 'GET',
        headers: options.headers,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode!,
            text: Buffer.concat(chunks).toString('utf8'),
            headers: response.headers,
          }),
        );
      },
    );
    request.on('error', reject);
    request.end(options.body);
  });
}

describe('/metrics in production', () => {
  const production = { NODE_ENV: 'production', JWT_SECRET: TEST_JWT_SECRET };

  it('refuses to start with neither METRICS_TOKEN nor METRICS_PORT, and says which to set', () => {
    expect(() => loadConfig(production)).toThrow(/METRICS_TOKEN.*METRICS_PORT/s);
    expect(
      loadConfig({ ...production, METRICS_TOKEN: 'scrape-token-0123456789' }).METRICS_TOKEN,
    ).toBe('scrape-token-0123456789');
    expect(loadConfig({ ...production, METRICS_PORT: '9464' })).toMatchObject({
      METRICS_PORT: 9464,
      METRICS_HOST: '127.0.0.1',
    });
  });

  it('with METRICS_PORT, metrics are served on their own loopback port and not on the public one', async () => {
    const t = await startTestGateway('metrics-port', {
      env: { NODE_ENV: 'production', METRICS_PORT: '0' },
    });
    try {
      expect(t.gateway.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      expect(new URL(t.gateway.metricsUrl).port).not.toBe(String(t.gateway.port));
      const internal = await fetch(t.gateway.metricsUrl);
      expect(internal.status).toBe(200);
      expect(await internal.text()).toMatch(/wallet_graphql_operations_total/);
      const elsewhere = await fetch(t.gateway.metricsUrl.replace('/metrics', '/graphql'));
      expect(elsewhere.status).toBe(404);
      const publicPort = await fetch(t.url.replace('/graphql', '/metrics'));
      expect(publicPort.status).toBe(404);
      expect(await publicPort.text()).not.toMatch(/wallet_/);
    } finally {
      await t.stop();
    }
  });
});

describe('errors outside GraphQL, in development', () => {
  let t: TestGateway;
  beforeAll(async () => {
    t = await startTestGateway('http-surface', { env: { NODE_ENV: 'development' } });
  });
  afterAll(async () => {
    await t?.stop();
  });

  it.each([
    ['a path that climbs out of /live', '/live/../package.json', [403, 404]],
    ['an encoded climb', '/live/%2e%2e/package.json', [403, 404]],
    ['a missing static file', '/live/nope.js', [404]],
    ['an unknown path', '/nope', [404]],
  ])('%s answers the JSON error shape without a stack or a path', async (_name, path, statuses) => {
    const res = await raw(t.url, { path });
    expect(statuses).toContain(res.status);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = JSON.parse(res.text);
    expect(['FORBIDDEN', 'NOT_FOUND']).toContain(body.errors[0].extensions.code);
    expect(res.text).not.toMatch(leak);
    expect(res.text).not.toMatch(/package\.json|nope\.js/);
  });

  it('a body that is not gzip sent with Content-Encoding: gzip is 400 BAD_USER_INPUT, with no zlib stack', async () => {
    const res = await raw(t.url, {
      method: 'POST',
      path: '/graphql',
      body: Buffer.from('{"query":"{ assets { code } }"}'),
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        authorization: `Bearer ${t.tokens.server}`,
      },
    });
    expect(res.status).toBe(400);
    expect(JSON.parse(res.text).errors[0].extensions).toEqual({
      code: 'BAD_USER_INPUT',
      reason: 'BAD_CONTENT_ENCODING',
    });
    expect(res.text).not.toMatch(leak);
  });

  it('a real gzip body still works', async () => {
    const res = await raw(t.url, {
      method: 'POST',
      path: '/graphql',
      body: gzipSync('{"query":"{ assets { code } }"}'),
      headers: {
        'content-type': 'application/json',
        'content-encoding': 'gzip',
        authorization: `Bearer ${t.tokens.server}`,
      },
    });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).data.assets.length).toBeGreaterThan(0);
  });
});

describe('development tokens', () => {
  beforeAll(() => ensureBuilt(), 180_000);

  async function bannerOf(env: Record<string, string>): Promise<string> {
    const testDb = await createTestDatabase('dev-tokens');
    try {
      const gateway = await startChildGateway(
        {
          databaseUrl: testDb.connectionString,
          env: { NODE_ENV: 'development', LOG_LEVEL: 'warn', ...env },
        },
        60_000,
      );
      // The banner is printed after the server listens; give it a moment, then stop.
      await new Promise((resolve) => setTimeout(resolve, 500));
      gateway.kill('SIGTERM');
      await gateway.exited;
      return gateway.output();
    } finally {
      await testDb.drop();
    }
  }

  it('with a real JWT_SECRET set, none are minted or printed', async () => {
    const output = await bannerOf({ JWT_SECRET: TEST_JWT_SECRET });
    expect(output).toMatch(/Wallet gateway ready/);
    expect(output).not.toMatch(/tokens \(valid|eyJ/);
  });
});
