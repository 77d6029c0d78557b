// Proves bearer-token verification over real HTTP: only well-signed, unexpired tokens with sub and role, of a configured algorithm and key (HS256 secret, JWKS file or JWKS URL), with the configured iss/aud, get in; everything else is 401 UNAUTHENTICATED and writes nothing.
import http from 'node:http';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { SignJWT, UnsecuredJWT, exportJWK, exportSPKI, generateKeyPair, type KeyLike } from 'jose';
import { TEST_JWT_SECRET, type TestGateway } from '../support/gateway';
import { useTestGateway } from '../support/use-test-gateway';
import { mintToken } from '../../src/shared/auth/tokens';
import { inputMutation } from '../support/documents';

const ASSETS = '{ assets { code } }';

interface Answer {
  status: number;
  code?: string;
  message?: string;
  headers: Headers;
  body: any;
}

async function call(
  t: TestGateway,
  authorization: string | undefined,
  query = ASSETS,
  variables?: Record<string, unknown>,
): Promise<Answer> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization !== undefined) headers.authorization = authorization;
  const response = await fetch(t.url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as any;
  return {
    status: response.status,
    code: body.errors?.[0]?.extensions?.code,
    message: body.errors?.[0]?.message,
    headers: response.headers,
    body,
  };
}

const secretKey = (secret: string) => new TextEncoder().encode(secret);
const inOneHour = () => Math.floor(Date.now() / 1000) + 3600;

function expectUnauthenticated(answer: Answer): void {
  expect({ status: answer.status, code: answer.code }).toEqual({
    status: 401,
    code: 'UNAUTHENTICATED',
  });
  expect(answer.headers.get('www-authenticate')).toBe('Bearer');
  // The status travels in the HTTP head only, never in the body.
  expect(answer.body.errors[0].extensions.http).toBeUndefined();
  expect(answer.body.data).toBeUndefined();
}

describe('HS256 (JWT_SECRET)', () => {
  const t = useTestGateway('auth-hs256');

  it('a valid token gets in', async () => {
    const answer = await call(t, `Bearer ${t.tokens.server}`);
    expect(answer.status).toBe(200);
    expect(answer.body.data.assets.length).toBeGreaterThan(0);
  });

  it('no Authorization header is 401 UNAUTHENTICATED with WWW-Authenticate: Bearer', async () => {
    expectUnauthenticated(await call(t, undefined));
  });

  it.each([
    ['empty', ''],
    ['scheme only', 'Bearer'],
    ['another scheme', `Basic ${Buffer.from('game:secret').toString('base64')}`],
    ['not a JWT', 'Bearer not-a-jwt'],
    ['three garbage parts', 'Bearer aaa.bbb.ccc'],
    ['a token without the scheme', 'TOKEN'],
    ['two tokens', 'Bearer a.b.c Bearer d.e.f'],
  ])('a garbage Authorization header (%s) is UNAUTHENTICATED', async (_name, header) => {
    expectUnauthenticated(await call(t, header === 'TOKEN' ? t.tokens.server : header));
  });

  it('a forged signature (another secret) is UNAUTHENTICATED', async () => {
    const forged = await mintToken({
      secret: 'another-secret-that-is-long-enough-0123456789',
      sub: 'game-server-1',
      role: 'server',
    });
    expectUnauthenticated(await call(t, `Bearer ${forged}`));
  });

  it('a token whose payload was changed after signing is UNAUTHENTICATED', async () => {
    const player = await t.tokens.player('alice');
    const [header, payload, signature] = player.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString('utf8'));
    const elevated = Buffer.from(JSON.stringify({ ...claims, role: 'admin' })).toString(
      'base64url',
    );
    expectUnauthenticated(await call(t, `Bearer ${header}.${elevated}.${signature}`));
  });

  it('alg none (an unsigned token) is UNAUTHENTICATED', async () => {
    const unsigned = new UnsecuredJWT({ role: 'admin' })
      .setSubject('admin-1')
      .setExpirationTime(inOneHour())
      .encode();
    expect(unsigned.endsWith('.')).toBe(true);
    expectUnauthenticated(await call(t, `Bearer ${unsigned}`));
  });

  it('a wrong algorithm is UNAUTHENTICATED: HS512 with the right secret, RS256 with no key set configured', async () => {
    const hs512 = await new SignJWT({ role: 'server' })
      .setProtectedHeader({ alg: 'HS512' })
      .setSubject('game-server-1')
      .setExpirationTime(inOneHour())
      .sign(secretKey(TEST_JWT_SECRET));
    const answer = await call(t, `Bearer ${hs512}`);
    expectUnauthenticated(answer);
    expect(answer.message).toMatch(/algorithm/);
    const { privateKey } = await generateKeyPair('RS256');
    const rs256 = await new SignJWT({ role: 'server' })
      .setProtectedHeader({ alg: 'RS256' })
      .setSubject('game-server-1')
      .setExpirationTime(inOneHour())
      .sign(privateKey);
    expectUnauthenticated(await call(t, `Bearer ${rs256}`));
  });

  it('an expired token is UNAUTHENTICATED and says so', async () => {
    const expired = await t.mintToken({
      sub: 'game-server-1',
      role: 'server',
      expiresInSeconds: -60,
    });
    const answer = await call(t, `Bearer ${expired}`);
    expectUnauthenticated(answer);
    expect(answer.message).toMatch(/expired/);
  });

  it('a token that is not valid yet (nbf in the future) is UNAUTHENTICATED', async () => {
    const early = await new SignJWT({ role: 'server' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('game-server-1')
      .setNotBefore(inOneHour())
      .setExpirationTime(inOneHour() + 60)
      .sign(secretKey(TEST_JWT_SECRET));
    expectUnauthenticated(await call(t, `Bearer ${early}`));
  });

  it.each([
    ['no exp', { role: 'server', sub: 'game-server-1' }],
    ['no sub', { role: 'server', exp: 'soon' }],
    ['no role', { sub: 'game-server-1', exp: 'soon' }],
    ['an unknown role', { sub: 'game-server-1', role: 'root', exp: 'soon' }],
    ['a role that is not a string', { sub: 'game-server-1', role: ['admin'], exp: 'soon' }],
    ['an empty sub', { sub: '', role: 'server', exp: 'soon' }],
    ['an over-long sub', { sub: 'x'.repeat(129), role: 'server', exp: 'soon' }],
  ])('a token with %s is UNAUTHENTICATED', async (_name, claims: Record<string, unknown>) => {
    const payload = { ...claims, ...(claims.exp ? { exp: inOneHour() } : {}) };
    const token = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuedAt()
      .sign(secretKey(TEST_JWT_SECRET));
    expectUnauthenticated(await call(t, `Bearer ${token}`));
  });

  it('a refused credential writes nothing: the topup does not happen and its key stays unused', async () => {
    const topup = inputMutation('topup', `wallet { balance } replayed`);
    const input = {
      userId: 'auth-nothing',
      asset: 'GOLD_COINS',
      amount: '10',
      idempotencyKey: 'auth-nothing-1',
    };
    const expired = await t.mintToken({
      sub: 'game-server-1',
      role: 'server',
      expiresInSeconds: -60,
    });
    expectUnauthenticated(await call(t, `Bearer ${expired}`, topup, { input }));
    const balance = await t.gql(
      `{ balance(userId: "auth-nothing", asset: "GOLD_COINS") { balance } }`,
    );
    expect(balance.data.balance.balance).toBe('0');
    // Same subject, same key, now with a valid token: the first real attempt decides, not a replay.
    const real = await t.gql(topup, { input });
    expect(real.data.topup).toEqual({ wallet: { balance: '10' }, replayed: false });
  });
});

describe('JWKS from a URL, iss and aud required, no HS256 secret', () => {
  let jwksServer: http.Server;
  const keys: Record<
    'rsa' | 'ec' | 'ed',
    { privateKey: KeyLike; publicKey: KeyLike; alg: string; kid: string }
  > = {} as any;
  let jwksRequests = 0;

  beforeAll(async () => {
    for (const [name, alg] of [
      ['rsa', 'RS256'],
      ['ec', 'ES256'],
      ['ed', 'EdDSA'],
    ] as const) {
      const pair = await generateKeyPair(alg);
      keys[name] = { ...pair, alg, kid: `${name}-key-1` };
    }
    const jwks = {
      keys: await Promise.all(
        Object.values(keys).map(async (k) => ({
          ...(await exportJWK(k.publicKey)),
          kid: k.kid,
          alg: k.alg,
          use: 'sig',
        })),
      ),
    };
    jwksServer = http.createServer((_req, res) => {
      jwksRequests += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
  });
  const t = useTestGateway('auth-jwks-url', {
    invariantsAfterEach: false,
    optionsAtStart: () => {
      const { port } = jwksServer.address() as AddressInfo;
      return {
        env: {
          JWT_SECRET: undefined,
          JWT_JWKS_URL: `http://127.0.0.1:${port}/.well-known/jwks.json`,
          JWT_ISSUER: 'https://id.example.com',
          JWT_AUDIENCE: 'wallet-gateway',
        },
      };
    },
  });
  afterAll(async () => {
    await new Promise((resolve) => jwksServer?.close(resolve));
  });

  const sign = (
    key: { privateKey: KeyLike; alg: string; kid: string },
    claims: { sub?: string; role?: string; iss?: string; aud?: string } = {},
  ) => {
    let jwt = new SignJWT({ role: claims.role ?? 'server' })
      .setProtectedHeader({ alg: key.alg, kid: key.kid })
      .setSubject(claims.sub ?? 'game-server-9')
      .setExpirationTime(inOneHour());
    if (claims.iss !== '') jwt = jwt.setIssuer(claims.iss ?? 'https://id.example.com');
    if (claims.aud !== '') jwt = jwt.setAudience(claims.aud ?? 'wallet-gateway');
    return jwt.sign(key.privateKey);
  };

  it.each(['rsa', 'ec', 'ed'] as const)(
    'a %s-signed token with the right iss and aud gets in, with the key fetched from the URL',
    async (name) => {
      const answer = await call(t, `Bearer ${await sign(keys[name])}`);
      expect(answer.status).toBe(200);
      expect(answer.body.data.assets.length).toBeGreaterThan(0);
      expect(jwksRequests).toBeGreaterThan(0);
    },
  );

  it('the right key but a wrong or missing issuer or audience is UNAUTHENTICATED', async () => {
    expectUnauthenticated(
      await call(t, `Bearer ${await sign(keys.rsa, { iss: 'https://evil.example.com' })}`),
    );
    expectUnauthenticated(await call(t, `Bearer ${await sign(keys.rsa, { iss: '' })}`));
    expectUnauthenticated(
      await call(t, `Bearer ${await sign(keys.rsa, { aud: 'another-service' })}`),
    );
    expectUnauthenticated(await call(t, `Bearer ${await sign(keys.rsa, { aud: '' })}`));
  });

  it('HS256 is refused when only a key set is configured, even with the public key as the HMAC secret', async () => {
    expectUnauthenticated(await call(t, `Bearer ${t.tokens.server}`));
    const publicPem = await exportSPKI(keys.rsa.publicKey);
    const confused = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256', kid: keys.rsa.kid })
      .setSubject('admin-1')
      .setIssuer('https://id.example.com')
      .setAudience('wallet-gateway')
      .setExpirationTime(inOneHour())
      .sign(new TextEncoder().encode(publicPem));
    expectUnauthenticated(await call(t, `Bearer ${confused}`));
  });

  it('a token signed by another key under a known kid, or with an unknown kid, is UNAUTHENTICATED', async () => {
    const impostor = await generateKeyPair('RS256');
    expectUnauthenticated(
      await call(
        t,
        `Bearer ${await sign({ privateKey: impostor.privateKey, alg: 'RS256', kid: keys.rsa.kid })}`,
      ),
    );
    expectUnauthenticated(
      await call(
        t,
        `Bearer ${await sign({ privateKey: impostor.privateKey, alg: 'RS256', kid: 'unknown-kid' })}`,
      ),
    );
  });

  it('an algorithm outside the accepted list (PS256) is UNAUTHENTICATED even with a matching key type', async () => {
    const token = await new SignJWT({ role: 'server' })
      .setProtectedHeader({ alg: 'PS256', kid: keys.rsa.kid })
      .setSubject('game-server-9')
      .setIssuer('https://id.example.com')
      .setAudience('wallet-gateway')
      .setExpirationTime(inOneHour())
      .sign(keys.rsa.privateKey);
    expectUnauthenticated(await call(t, `Bearer ${token}`));
  });
});

describe('JWKS from a file', () => {
  let dir: string;
  let key: { privateKey: KeyLike; publicKey: KeyLike };

  beforeAll(async () => {
    key = await generateKeyPair('ES256');
    dir = mkdtempSync(path.join(os.tmpdir(), 'jwks-'));
    writeFileSync(
      path.join(dir, 'jwks.json'),
      JSON.stringify({
        keys: [{ ...(await exportJWK(key.publicKey)), kid: 'file-key', alg: 'ES256' }],
      }),
    );
  });
  const t = useTestGateway('auth-jwks-file', {
    invariantsAfterEach: false,
    optionsAtStart: () => ({
      env: { JWT_SECRET: undefined, JWT_JWKS_FILE: path.join(dir, 'jwks.json') },
    }),
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('an ES256 token whose key is in the file gets in; an HS256 one does not', async () => {
    const token = await new SignJWT({ role: 'player' })
      .setProtectedHeader({ alg: 'ES256', kid: 'file-key' })
      .setSubject('alice')
      .setExpirationTime(inOneHour())
      .sign(key.privateKey);
    const answer = await call(
      t,
      `Bearer ${token}`,
      `{ balance(userId: "alice", asset: "GOLD_COINS") { userId } }`,
    );
    expect(answer.status).toBe(200);
    expect(answer.body.data.balance.userId).toBe('alice');
    expectUnauthenticated(await call(t, `Bearer ${t.tokens.server}`));
  });
});
