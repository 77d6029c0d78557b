import { SignJWT } from 'jose';
import { limits } from '../limits';

export type Role = 'player' | 'server' | 'admin';

export interface MintOptions {
  secret: string;
  sub: string;
  role: Role;
  expiresInSeconds?: number;
  issuer?: string;
  audience?: string;
}

/** Mints an HS256 token with the gateway's claims (sub, role, exp). Used by `npm run token`, the dev banner and tests. */
export async function mintToken(options: MintOptions): Promise<string> {
  // The gateway refuses tokens that live longer (src/shared/auth/authenticate.ts): say so now.
  if ((options.expiresInSeconds ?? 0) > limits.tokenLifetimeMaxSeconds) {
    throw new Error(
      `a token may live at most ${limits.tokenLifetimeMaxSeconds} seconds (limits.tokenLifetimeMaxSeconds); the gateway refuses longer ones`,
    );
  }
  let jwt = new SignJWT({ role: options.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresInSeconds ?? 3600));
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}
