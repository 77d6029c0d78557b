import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hasVerificationKey, type Config } from '../config';
import { projectRoot } from '../db/database';
import { mintToken } from './tokens';

/**
 * Development credentials, so that `npm start` works with no configuration: a random HS256 secret
 * kept in .data/dev-secret (tokens minted against it survive restarts) and ready-made tokens
 * written to .data/dev-tokens.json. Never used in production, where loadConfig already refused
 * to start without a key.
 */
export function devSecretPath(): string {
  return path.join(projectRoot(), '.data', 'dev-secret');
}

export function devTokensPath(): string {
  return path.join(projectRoot(), '.data', 'dev-tokens.json');
}

/** How long the printed development tokens stay valid. */
const devTokenTtlSeconds = 30 * 24 * 3600;

/** The users the dev tokens are for: the demo seed's players, a game server and an admin. */
export const devTokenSubjects = {
  server: { sub: 'dev-game-server', role: 'server' },
  admin: { sub: 'dev-admin', role: 'admin' },
  alice: { sub: 'alice', role: 'player' },
  bob: { sub: 'bob', role: 'player' },
} as const;

export type DevTokens = Record<keyof typeof devTokenSubjects, string>;

/** The persisted development secret, created on first use. */
export function readOrCreateDevSecret(file = devSecretPath()): string {
  if (existsSync(file)) {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret.length >= 32) return secret;
  }
  const secret = randomBytes(32).toString('base64url');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return secret;
}

/**
 * Outside production with no key configured, fills in JWT_SECRET from .data/dev-secret. Returns
 * the configuration to run with and whether the development secret is in use.
 */
export function withDevSecret(config: Config): { config: Config; devSecret: boolean } {
  if (config.NODE_ENV === 'production' || hasVerificationKey(config))
    return { config, devSecret: false };
  return { config: { ...config, JWT_SECRET: readOrCreateDevSecret() }, devSecret: true };
}

/** Mints the development tokens and writes them to .data/dev-tokens.json (readable by its owner only). */
export async function writeDevTokens(
  config: Pick<Config, 'JWT_SECRET' | 'JWT_ISSUER' | 'JWT_AUDIENCE'>,
  file = devTokensPath(),
): Promise<DevTokens> {
  if (!config.JWT_SECRET) throw new Error('development tokens need JWT_SECRET');
  const tokens = {} as DevTokens;
  for (const [name, claims] of Object.entries(devTokenSubjects) as [
    keyof DevTokens,
    (typeof devTokenSubjects)[keyof DevTokens],
  ][]) {
    tokens[name] = await mintToken({
      secret: config.JWT_SECRET,
      sub: claims.sub,
      role: claims.role,
      expiresInSeconds: devTokenTtlSeconds,
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
    });
  }
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(tokens, null, 2)}\n`, { mode: 0o600 });
  chmodSync(file, 0o600);
  return tokens;
}

/** The banner lines that show a developer how to call the gateway with the tokens. */
export function devTokensBanner(url: string, tokens: DevTokens, file = devTokensPath()): string {
  return [
    `  tokens (valid 30 days, also in ${path.relative(process.cwd(), file) || file}):`,
    `    server (game server, moves money): ${tokens.server}`,
    `    admin  (manages assets):           ${tokens.admin}`,
    `    alice  (player):                   ${tokens.alice}`,
    `    bob    (player):                   ${tokens.bob}`,
    `  try: curl -s ${url} -H 'content-type: application/json' -H "authorization: Bearer $(node -p 'require("./.data/dev-tokens.json").server')" \\`,
    `    -d '{"query":"mutation { topup(input: {userId: \\"alice\\", asset: \\"GOLD_COINS\\", amount: \\"100\\", idempotencyKey: \\"try-1\\"}) { wallet { balance } replayed } }"}'`,
    `  mint more: npm run token -- --role player --sub carol [--ttl 3600]`,
  ].join('\n');
}
