import { HeaderMap } from '@apollo/server';
import type { ErrorRequestHandler } from 'express';
import { AppError, ErrorCode } from '../../shared/errors';
import { limits } from '../../shared/limits';
import type { RateLimiter } from '../../shared/rate-limit';
import type { Authenticate, AuthenticatedPrincipal } from '../../shared/auth/authenticate';

/**
 * The HTTP side of authentication and rate limiting, run in Apollo's context function before any
 * operation: verify the bearer token, charge one request to its subject. Errors thrown there
 * carry `extensions.http`, which Apollo turns into the response status: 401 with
 * `WWW-Authenticate: Bearer` for UNAUTHENTICATED (RFC 6750), 429 with `Retry-After` for
 * RATE_LIMITED, 503 for SERVICE_UNAVAILABLE. formatError keeps `http` out of the body.
 * FORBIDDEN is decided per operation by the services and stays an ordinary GraphQL error.
 */
export function createHttpGuard(authenticate: Authenticate, rateLimiter: RateLimiter) {
  return async function admit(authorization: unknown): Promise<AuthenticatedPrincipal> {
    try {
      const principal = await authenticate(authorization);
      await rateLimiter.consume(principal);
      return principal;
    } catch (error) {
      throw withHttpStatus(error);
    }
  };
}

/** Adds the HTTP status (and headers) that belong to a contract error thrown before execution. */
export function withHttpStatus(error: unknown): unknown {
  if (!(error instanceof AppError)) return error;
  const extensions = error.extensions as Record<string, unknown>;
  switch (error.code) {
    case ErrorCode.UNAUTHENTICATED:
      extensions.http = { status: 401, headers: new HeaderMap([['www-authenticate', 'Bearer']]) };
      break;
    case ErrorCode.RATE_LIMITED:
      extensions.http = {
        status: 429,
        headers: new HeaderMap([['retry-after', String(extensions.retryAfterSeconds ?? 1)]]),
      };
      break;
    case ErrorCode.SERVICE_UNAVAILABLE:
      extensions.http = { status: 503 };
      break;
    default:
      break;
  }
  return error;
}

/**
 * Express error handler for what fails before Apollo sees the request: a body over
 * limits.requestBodyBytesMax (413) or one that is not JSON (400). Answers in the GraphQL error
 * shape, so clients parse every failure the same way.
 */
export const bodyErrorHandler: ErrorRequestHandler = (error, _req, res, next) => {
  const type = (error as { type?: unknown }).type;
  if (type === 'entity.too.large') {
    res.status(413).json({
      errors: [
        {
          message: `The request body is larger than ${limits.requestBodyBytesMax} bytes.`,
          extensions: {
            code: ErrorCode.BAD_USER_INPUT,
            reason: 'REQUEST_TOO_LARGE',
            limit: limits.requestBodyBytesMax,
          },
        },
      ],
    });
    return;
  }
  if (
    type === 'entity.parse.failed' ||
    type === 'encoding.unsupported' ||
    type === 'charset.unsupported'
  ) {
    res.status(400).json({
      errors: [
        {
          message: 'The request body is not valid JSON.',
          extensions: { code: ErrorCode.BAD_USER_INPUT, reason: 'BAD_REQUEST' },
        },
      ],
    });
    return;
  }
  next(error);
};
