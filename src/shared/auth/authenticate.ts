import { readFileSync } from 'node:fs';
import {
  createLocalJWKSet,
  createRemoteJWKSet,
  jwtVerify,
  errors as joseErrors,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
} from 'jose';
import { AppError, ErrorCode } from '../errors';
import { limits } from '../limits';
import { logger } from '../logger';
import type { Principal } from './principal';

export interface AuthConfig {
  /** HS256 shared secret. */
  jwtSecret?: string;
  /** A JSON Web Key Set file holding the public keys of asymmetric tokens. */
  jwksFile?: string;
  /** A JSON Web Key Set URL (an identity provider's jwks_uri). */
  jwksUrl?: string;
  issuer?: string;
  audience?: string;
}

/** A verified caller and when its credential stops being valid. */
export interface AuthenticatedPrincipal extends Principal {
  expiresAt: Date;
}

/**
 * The asymmetric algorithms accepted for keys from a JWKS. Each key type only ever verifies its
 * own algorithm, and the list is fixed rather than read from the token, so a token cannot choose
 * a weaker algorithm (or `none`) for itself.
 */
export const asymmetricAlgorithms = ['RS256', 'ES256', 'EdDSA'] as const;

const roles = new Set(['player', 'server', 'admin']);

/** Leeway for clocks that disagree by a few seconds between the token issuer and this server. */
const clockToleranceSeconds = 5;

export const unauthenticated = (message = 'A valid bearer token is required.') =>
  new AppError(ErrorCode.UNAUTHENTICATED, message);

/**
 * Verifies `Bearer <JWT>` credentials. The same function serves HTTP (the Authorization header)
 * and websockets (the `authorization` field of connection_init), so both transports apply one rule.
 *
 * HS256 tokens are verified with JWT_SECRET; RS256, ES256 and EdDSA tokens with the key of their
 * `kid` from the configured JWKS. An algorithm is accepted only when its kind of key is
 * configured. `exp`, `sub` and `role` are required; `iss` and `aud` are checked when configured.
 */
export function createAuthenticator(config: AuthConfig) {
  const { getKey, algorithms } = keyResolver(config);
  // Game servers send the same token with thousands of requests: a verified token is remembered
  // (bounded in number, and for at most verifiedTokenCacheMs, never past its exp) so that the
  // signature is checked once, not per request. Only successful verifications are cached.
  const verified = new Map<string, { principal: AuthenticatedPrincipal; validUntilMs: number }>();

  return async function authenticate(authorization: unknown): Promise<AuthenticatedPrincipal> {
    if (typeof authorization !== 'string' || authorization.length === 0) throw unauthenticated();
    const cached = verified.get(authorization);
    if (cached) {
      if (cached.validUntilMs > Date.now()) return cached.principal;
      verified.delete(authorization);
    }
    const match = /^Bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*)$/.exec(
      authorization.trim(),
    );
    if (!match) throw unauthenticated('The Authorization header must be "Bearer <JWT>".');
    if (algorithms.length === 0) throw unauthenticated('No verification key is configured.');
    const principal = await verifyToken(match[1]!, getKey, algorithms, config);
    if (verified.size >= limits.verifiedTokenCacheMax)
      verified.delete(verified.keys().next().value!);
    verified.set(authorization, {
      principal,
      validUntilMs: Math.min(
        principal.expiresAt.getTime(),
        Date.now() + limits.verifiedTokenCacheMs,
      ),
    });
    return principal;
  };
}

/** The key for a token's header, and the algorithms whose kind of key is configured. */
function keyResolver(config: AuthConfig): { getKey: JWTVerifyGetKey; algorithms: string[] } {
  const secret = config.jwtSecret ? new TextEncoder().encode(config.jwtSecret) : undefined;
  const jwks = loadKeySet(config);
  const algorithms: string[] = [
    ...(secret ? ['HS256'] : []),
    ...(jwks ? asymmetricAlgorithms : []),
  ];
  const getKey: JWTVerifyGetKey = async (header, token) => {
    if (header.alg === 'HS256') {
      if (!secret) throw new joseErrors.JOSEAlgNotAllowed('HS256 is not configured');
      return secret;
    }
    if (!jwks) throw new joseErrors.JOSEAlgNotAllowed(`${header.alg} is not configured`);
    return jwks(header, token);
  };
  return { getKey, algorithms };
}

async function verifyToken(
  token: string,
  getKey: JWTVerifyGetKey,
  algorithms: string[],
  config: AuthConfig,
): Promise<AuthenticatedPrincipal> {
  try {
    const { payload } = await jwtVerify(token, getKey, {
      algorithms,
      issuer: config.issuer,
      audience: config.audience,
      requiredClaims: ['sub', 'exp'],
      clockTolerance: clockToleranceSeconds,
    });
    return principalOf(payload);
  } catch (error) {
    throw verificationFailure(error);
  }
}

/** The principal of a token whose signature, exp, nbf, iss and aud jose has checked. */
function principalOf(payload: JWTPayload): AuthenticatedPrincipal {
  const role = payload.role;
  if (typeof role !== 'string' || !roles.has(role))
    throw unauthenticated('The token has no valid role claim.');
  if (
    typeof payload.sub !== 'string' ||
    payload.sub.length === 0 ||
    payload.sub.length > limits.tokenSubjectLengthMax
  ) {
    throw unauthenticated('The token has no valid sub claim.');
  }
  if (
    payload.iss !== undefined &&
    (typeof payload.iss !== 'string' || payload.iss.length > limits.tokenSubjectLengthMax)
  ) {
    throw unauthenticated('The token has an invalid iss claim.');
  }
  const nowSeconds = Date.now() / 1000;
  const exp = payload.exp as number;
  if (payload.iat !== undefined && payload.iat > nowSeconds + limits.tokenIssuedAtSkewMaxSeconds) {
    throw unauthenticated("The token's iat claim is in the future.");
  }
  // exp - iat for a token with iat; otherwise measured from now (jose has checked exp > now).
  if (exp - Math.min(payload.iat ?? nowSeconds, nowSeconds) > limits.tokenLifetimeMaxSeconds) {
    throw unauthenticated(
      `The token lives longer than ${limits.tokenLifetimeMaxSeconds} seconds (exp - iat); issue shorter-lived tokens.`,
    );
  }
  // The issuer is part of the client's identity: idempotency keys are scoped by it (clientIdOf).
  const issuer = payload.iss ? { issuer: payload.iss } : {};
  return {
    subject: payload.sub,
    role: role as Principal['role'],
    ...issuer,
    expiresAt: new Date(exp * 1000),
  };
}

/** The UNAUTHENTICATED error for a failed verification, with a log line when it is not the token. */
function verificationFailure(error: unknown): unknown {
  if (error instanceof AppError) return error;
  if (error instanceof joseErrors.JWTExpired) return unauthenticated('The token has expired.');
  if (error instanceof joseErrors.JOSEAlgNotAllowed)
    return unauthenticated("The token's algorithm is not accepted.");
  if (error instanceof joseErrors.JWTClaimValidationFailed)
    return unauthenticated(`The token's ${error.claim} claim is missing or not accepted.`);
  if (
    error instanceof joseErrors.JWKSTimeout ||
    error instanceof joseErrors.JWKSInvalid ||
    !(error instanceof joseErrors.JOSEError)
  ) {
    // The key set could not be fetched or read: not the caller's fault, so worth a log line.
    logger.warn({ err: error }, 'token verification failed for a reason other than the token');
  }
  return unauthenticated('The token is invalid.');
}

/** The JWKS key resolver, or undefined when no key set is configured. A bad file stops the start. */
function loadKeySet(config: AuthConfig): JWTVerifyGetKey | undefined {
  if (config.jwksFile) {
    let keySet: JSONWebKeySet;
    try {
      keySet = JSON.parse(readFileSync(config.jwksFile, 'utf8')) as JSONWebKeySet;
    } catch (error) {
      throw new Error(
        `JWT_JWKS_FILE ${config.jwksFile} could not be read as JSON: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    if (!keySet || !Array.isArray(keySet.keys))
      throw new Error(
        `JWT_JWKS_FILE ${config.jwksFile} is not a JSON Web Key Set (no "keys" array).`,
      );
    return createLocalJWKSet(keySet);
  }
  if (config.jwksUrl) {
    // jose caches the fetched set, refetches it for an unknown `kid` at most every 30 s (so
    // garbage kids cannot make the gateway hammer the identity provider) and after 10 minutes.
    return createRemoteJWKSet(new URL(config.jwksUrl), {
      timeoutDuration: 5000,
      cooldownDuration: 30_000,
      cacheMaxAge: 600_000,
    });
  }
  return undefined;
}

export type Authenticate = ReturnType<typeof createAuthenticator>;
