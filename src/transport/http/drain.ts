import type { RequestHandler, Response } from 'express';
import { ErrorCode } from '../../shared/errors';

/**
 * Graceful shutdown for HTTP. Once draining begins, every new request (on a new connection or
 * on a kept-alive one) is refused with 503 SERVICE_UNAVAILABLE before anything runs, /readyz
 * included, so load balancers and clients move on; requests already in flight run to the end and
 * commit, and every response from then on carries `Connection: close`, so the kept-alive sockets
 * close as soon as their last answer is written and the server can stop without cutting anyone off.
 * Without this, clients that keep a connection busy keep the process serving until the drain's
 * grace period runs out (found by the graceful-shutdown reliability test). /healthz still answers:
 * the process is alive while it drains.
 */
export interface DrainGuard {
  middleware: RequestHandler;
  begin(): void;
  draining(): boolean;
}

export function createDrainGuard(): DrainGuard {
  let draining = false;
  const inFlight = new Set<Response>();
  const middleware: RequestHandler = (req, res, next) => {
    if (draining) {
      res.setHeader('connection', 'close');
      if (req.path === '/healthz') return next();
      res.status(503).json({
        errors: [
          {
            message: 'The gateway is shutting down; retry the request.',
            extensions: { code: ErrorCode.SERVICE_UNAVAILABLE },
          },
        ],
      });
      return;
    }
    inFlight.add(res);
    res.once('close', () => inFlight.delete(res));
    next();
  };
  return {
    middleware,
    begin() {
      draining = true;
      for (const res of inFlight) if (!res.headersSent) res.setHeader('connection', 'close');
    },
    draining: () => draining,
  };
}
