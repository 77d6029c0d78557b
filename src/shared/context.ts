import type { Loaders } from './loaders';
import type { Services } from '../services';

/** The authenticated caller. Idempotency keys are scoped by `subject`. */
export interface Principal {
  subject: string;
  role: 'player' | 'server' | 'admin';
}

/** What every resolver receives: the caller, the services and this request's DataLoaders. */
export interface GatewayContext {
  principal: Principal;
  services: Services;
  loaders: Loaders;
  requestId: string;
  /** The HTTP request's log record (observability); absent on websockets. */
  operationRecord?: object;
}
