import { jwtVerify, errors as joseErrors } from 'jose';
import { AppError, ErrorCode } from '../errors';
import type { Principal } from '../context';

export interface AuthConfig {
  /** HS256 shared secret. */
  jwtSecret?: string;
  issuer?: string;
  audience?: string;
}

/** A verified caller and when its credential stops being valid. */
export interface AuthenticatedPrincipal extends Principal {
  expiresAt: Date;
}

const roles = new Set(['player', 'server', 'admin']);

export const unauthenticated = (message = 'A valid bearer token is required.') => new AppError(ErrorCode.UNAUTHENTICATED, message);

/**
 * Verifies `Bearer <JWT>` credentials. The same function serves HTTP (the Authorization header)
 * and websockets (the `authorization` field of connection_init), so both transports apply one rule.
 */
export function createAuthenticator(config: AuthConfig) {
  const secret = config.jwtSecret ? new TextEncoder().encode(config.jwtSecret) : undefined;
  return async function authenticate(authorization: unknown): Promise<AuthenticatedPrincipal> {
    if (typeof authorization !== 'string' || authorization.length === 0) throw unauthenticated();
    const match = /^Bearer ([A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*)$/.exec(authorization.trim());
    if (!match) throw unauthenticated('The Authorization header must be "Bearer <JWT>".');
    if (!secret) throw unauthenticated('No verification key is configured.');
    try {
      const { payload } = await jwtVerify(match[1]!, secret, {
        algorithms: ['HS256'],
        issuer: config.issuer,
        audience: config.audience,
        requiredClaims: ['sub', 'exp'],
      });
      const role = payload.role;
      if (typeof role !== 'string' || !roles.has(role)) throw unauthenticated('The token has no valid role claim.');
      if (typeof payload.sub !== 'string' || payload.sub.length === 0 || payload.sub.length > 128) throw unauthenticated('The token has no valid sub claim.');
      return { subject: payload.sub, role: role as Principal['role'], expiresAt: new Date((payload.exp as number) * 1000) };
    } catch (error) {
      if (error instanceof AppError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw unauthenticated('The token has expired.');
      throw unauthenticated('The token is invalid.');
    }
  };
}

export type Authenticate = ReturnType<typeof createAuthenticator>;
