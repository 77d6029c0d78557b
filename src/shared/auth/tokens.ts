import { SignJWT } from 'jose';

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
  let jwt = new SignJWT({ role: options.role })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(options.sub)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + (options.expiresInSeconds ?? 3600));
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}
