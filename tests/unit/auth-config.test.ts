// Proves the key configuration rules: production refuses to start without a verification key (with a message naming the settings), JWKS file and URL are exclusive, a bad JWKS file stops the start, and outside production a persisted development secret and ready-made tokens (server, admin, alice, bob) are provided.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/shared/config';
import { createAuthenticator } from '../../src/shared/auth/authenticate';
import {
  readOrCreateDevSecret,
  withDevSecret,
  writeDevTokens,
} from '../../src/shared/auth/dev-credentials';

const secret = 'a-secret-that-is-long-enough-for-hs256-0123';

describe('production key configuration', () => {
  it('refuses to start without any verification key, and says which settings to use', () => {
    expect(() => loadConfig({ NODE_ENV: 'production' })).toThrow(
      /NODE_ENV=production.*JWT_JWKS_URL or JWT_JWKS_FILE/s,
    );
  });

  it.each([
    ['JWT_JWKS_URL', { JWT_JWKS_URL: 'https://id.example.com/.well-known/jwks.json' }],
    ['JWT_JWKS_FILE', { JWT_JWKS_FILE: '/etc/wallet/jwks.json' }],
    ['JWT_SECRET', { JWT_SECRET: secret }],
  ])('starts with %s', (_name, env) => {
    expect(
      loadConfig({ NODE_ENV: 'production', METRICS_TOKEN: 'metrics-token-0123456789', ...env })
        .NODE_ENV,
    ).toBe('production');
  });

  it('refuses a JWKS file and a JWKS URL together, and a short secret', () => {
    expect(() =>
      loadConfig({ JWT_JWKS_URL: 'https://id.example.com/jwks', JWT_JWKS_FILE: '/tmp/jwks.json' }),
    ).toThrow(/set one of them/);
    expect(() => loadConfig({ JWT_SECRET: 'short' })).toThrow(
      /JWT_SECRET must be at least 32 characters/,
    );
  });

  it('a JWKS file that is missing or not a key set stops the start with its path in the message', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'jwks-bad-'));
    try {
      expect(() => createAuthenticator({ jwksFile: path.join(dir, 'missing.json') })).toThrow(
        /missing\.json could not be read/,
      );
      writeFileSync(path.join(dir, 'not-a-set.json'), '{"kty":"RSA"}');
      expect(() => createAuthenticator({ jwksFile: path.join(dir, 'not-a-set.json') })).toThrow(
        /not a JSON Web Key Set/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses the websocket Origin allow-list and the rate limit settings', () => {
    const config = loadConfig({
      WS_ALLOWED_ORIGINS: ' https://a.example.com ,https://b.example.com,, ',
      RATE_LIMIT_STORE: 'postgres',
      RATE_LIMIT_POINTS: '50',
    });
    expect(config.WS_ALLOWED_ORIGINS).toEqual(['https://a.example.com', 'https://b.example.com']);
    expect([
      config.RATE_LIMIT_STORE,
      config.RATE_LIMIT_POINTS,
      config.RATE_LIMIT_PLAYER_POINTS,
      config.RATE_LIMIT_DURATION_SECONDS,
    ]).toEqual(['postgres', 50, 300, 1]);
    expect(() => loadConfig({ RATE_LIMIT_STORE: 'redis' })).toThrow(/RATE_LIMIT_STORE/);
  });
});

describe('development credentials', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'dev-creds-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('the development secret is created once, readable by its owner only, and reused afterwards', () => {
    const file = path.join(dir, '.data', 'dev-secret');
    const first = readOrCreateDevSecret(file);
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readOrCreateDevSecret(file)).toBe(first);
  });

  it('withDevSecret fills in JWT_SECRET only outside production and only when no key is configured', () => {
    expect(withDevSecret(loadConfig({ JWT_SECRET: secret })).devSecret).toBe(false);
    expect(
      withDevSecret(loadConfig({ JWT_JWKS_URL: 'https://id.example.com/jwks' })).config.JWT_SECRET,
    ).toBeUndefined();
    expect(
      withDevSecret(
        loadConfig({
          NODE_ENV: 'production',
          METRICS_TOKEN: 'metrics-token-0123456789',
          JWT_JWKS_URL: 'https://id.example.com/jwks',
        }),
      ).devSecret,
    ).toBe(false);
  });

  it('writes server, admin, alice and bob tokens as JSON, and each verifies with the secret as its role and subject', async () => {
    const file = path.join(dir, 'dev-tokens.json');
    await writeDevTokens({ JWT_SECRET: secret }, file);
    const tokens = JSON.parse(readFileSync(file, 'utf8'));
    expect(Object.keys(tokens).sort()).toEqual(['admin', 'alice', 'bob', 'server']);
    const authenticate = createAuthenticator({ jwtSecret: secret });
    const principals = await Promise.all(
      ['server', 'admin', 'alice', 'bob'].map(async (name) => {
        const { subject, role, expiresAt } = await authenticate(`Bearer ${tokens[name]}`);
        expect(expiresAt.getTime()).toBeGreaterThan(Date.now() + 7 * 24 * 3600 * 1000);
        return [subject, role];
      }),
    );
    expect(principals).toEqual([
      ['dev-game-server', 'server'],
      ['dev-admin', 'admin'],
      ['alice', 'player'],
      ['bob', 'player'],
    ]);
    // Another secret does not verify them.
    await expect(
      createAuthenticator({ jwtSecret: `${secret}-other` })(`Bearer ${tokens.server}`),
    ).rejects.toMatchObject({ code: 'UNAUTHENTICATED' });
  });
});
