import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { PrismaClient } from '../../generated/prisma/client';
import type { AuthenticatedPrincipal } from '../shared/auth/authenticate';
import type { Principal } from '../shared/auth/principal';
import { eventScopedLoaders } from '../modules/subscriptions/event-loaders';
import { createLoaders, type Loaders } from './loaders';
import type { Services } from './services';

export type { Principal };

/**
 * What every resolver receives: the caller, the services and this request's DataLoaders. Each
 * module declares the part it reads (its own context type, e.g. WalletContext); this one
 * satisfies all of them.
 */
export interface GatewayContext {
  principal: Principal;
  services: Services;
  loaders: Loaders;
  requestId: string;
  /** The HTTP request's log record (observability); absent on websockets. */
  operationRecord?: object;
}

/** The context of one HTTP request: its caller is admitted first (token, rate limit). */
export function httpContext(options: {
  services: Services;
  prisma: PrismaClient;
  admit(authorization: unknown): Promise<AuthenticatedPrincipal>;
  observer: {
    contextFailed(req: object, error: unknown): void;
    recordOf(req: object): object | undefined;
  };
}): (req: Request, res: Response) => Promise<GatewayContext> {
  return async (req, res) => {
    const requestId = headerValue(req.headers['x-request-id']) ?? randomUUID();
    res.setHeader('x-request-id', requestId);
    let principal: AuthenticatedPrincipal;
    try {
      principal = await options.admit(req.headers.authorization);
    } catch (error) {
      options.observer.contextFailed(req, error);
      throw error;
    }
    return {
      principal,
      services: options.services,
      loaders: createLoaders(options.prisma),
      requestId,
      operationRecord: options.observer.recordOf(req),
    };
  };
}

/** The context of one operation on an authenticated websocket. */
export function websocketContext(options: {
  services: Services;
  prisma: PrismaClient;
}): (principal: AuthenticatedPrincipal) => GatewayContext {
  const subscriptionLoaders = eventScopedLoaders(() => createLoaders(options.prisma));
  return (principal) => ({
    principal,
    services: options.services,
    // Per event, not per subscription: see eventScopedLoaders.
    get loaders() {
      return subscriptionLoaders.current();
    },
    requestId: randomUUID(),
  });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  const single = Array.isArray(value) ? value[0] : value;
  return single && single.length <= 128 && /^[\w.:-]+$/.test(single) ? single : undefined;
}
