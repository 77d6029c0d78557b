// First: a development .env file must be in process.env before anything reads it.
import '../shared/env-file';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { devSecretPath, readOrCreateDevSecret } from '../shared/auth/dev-credentials';
import { withSecretFiles } from '../shared/config';
import { mintToken, type Role } from '../shared/auth/tokens';
import { limits } from '../shared/limits';

const usage = `usage: npm run token -- --role <player|server|admin> --sub <subject> [--ttl <seconds>]

Mints an HS256 bearer token with JWT_SECRET (from the environment or .env), or with the
development secret in .data/dev-secret that npm start created. JWT_ISSUER and JWT_AUDIENCE, when
set, become the token's iss and aud. Prints the token alone, so it composes with shell:
  curl -H "authorization: Bearer $(node dist/src/cli/token.js --role server --sub game-1)" ...`;

const roles: readonly Role[] = ['player', 'server', 'admin'];

/** `npm run token`: mints one token for development and tests. Production tokens come from your identity provider. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      sub: { type: 'string' },
      ttl: { type: 'string', default: '3600' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const role = values.role as Role | undefined;
  if (!role || !roles.includes(role))
    throw new Error(`--role must be one of ${roles.join(', ')}\n\n${usage}`);
  const sub = values.sub;
  if (!sub || sub.length > limits.tokenSubjectLengthMax)
    throw new Error(
      `--sub must be 1..${limits.tokenSubjectLengthMax} characters (a player's userId, or a client id)\n\n${usage}`,
    );
  const ttl = Number(values.ttl);
  if (!Number.isInteger(ttl) || ttl < 1)
    throw new Error(`--ttl must be a whole number of seconds, at least 1\n\n${usage}`);

  // JWT_SECRET_FILE too: the compose stack's gateways get their secret as a file.
  let secret = withSecretFiles(process.env).JWT_SECRET;
  if (!secret) {
    if (process.env.NODE_ENV === 'production' || !existsSync(devSecretPath())) {
      throw new Error(
        'No JWT_SECRET: set it, or run npm start once to create the development secret in .data/dev-secret.',
      );
    }
    secret = readOrCreateDevSecret();
  }
  if (secret.length < 32) throw new Error('JWT_SECRET must be at least 32 characters.');
  const token = await mintToken({
    secret,
    sub,
    role,
    expiresInSeconds: ttl,
    issuer: process.env.JWT_ISSUER || undefined,
    audience: process.env.JWT_AUDIENCE || undefined,
  });
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
