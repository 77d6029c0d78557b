import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ErrorCode } from '../../shared/errors';
import { logger } from '../../shared/logger';

/**
 * The last handlers of the Express app. Whatever fails outside GraphQL (a static file that is not
 * there, a path that climbs out of its folder, a body that does not inflate) is answered in the
 * GraphQL error shape, `{ errors: [{ message, extensions: { code, reason } }] }`, in every
 * NODE_ENV. The message is chosen by status, never taken from the error: Express's own handler
 * prints the stack and absolute paths outside production, and error messages from `send` or zlib
 * name files and internals.
 */
export const notFoundHandler: RequestHandler = (_req, res) => {
  sendError(res, 404, ErrorCode.NOT_FOUND, 'NOT_FOUND', 'Not found.');
};

export const finalErrorHandler: ErrorRequestHandler = (error, req, res, next) => {
  // Too late to answer cleanly (the body has begun): let Node close the connection.
  if (res.headersSent) return next(error);
  const candidate = error as { status?: unknown; statusCode?: unknown; code?: unknown };
  const status =
    typeof candidate.status === 'number'
      ? candidate.status
      : typeof candidate.statusCode === 'number'
        ? candidate.statusCode
        : 500;
  // A body sent with Content-Encoding: gzip (or deflate, br) that does not inflate: zlib's error.
  if (typeof candidate.code === 'string' && candidate.code.startsWith('Z_')) {
    return sendError(
      res,
      400,
      ErrorCode.BAD_USER_INPUT,
      'BAD_CONTENT_ENCODING',
      'The request body does not match its Content-Encoding.',
    );
  }
  if (status === 404) return sendError(res, 404, ErrorCode.NOT_FOUND, 'NOT_FOUND', 'Not found.');
  if (status === 403) return sendError(res, 403, ErrorCode.FORBIDDEN, 'FORBIDDEN', 'Forbidden.');
  if (status === 413)
    return sendError(
      res,
      413,
      ErrorCode.BAD_USER_INPUT,
      'REQUEST_TOO_LARGE',
      'The request body is too large.',
    );
  if (status >= 400 && status < 500)
    return sendError(res, status, ErrorCode.BAD_USER_INPUT, 'BAD_REQUEST', 'Bad request.');
  logger.error(
    { err: error, method: req.method, path: req.path },
    'unexpected error outside GraphQL',
  );
  return sendError(res, 500, ErrorCode.INTERNAL_SERVER_ERROR, undefined, 'Internal server error.');
};

function sendError(
  res: Parameters<RequestHandler>[1],
  status: number,
  code: ErrorCode,
  reason: string | undefined,
  message: string,
): void {
  res
    .status(status)
    .json({ errors: [{ message, extensions: { code, ...(reason ? { reason } : {}) } }] });
}
