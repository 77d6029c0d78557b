import type { Loaders } from './loaders';
import type { Principal } from '../shared/auth/principal';
import type { Services } from './services';

export type { Principal };

/** What every resolver receives: the caller, the services and this request's DataLoaders. */
export interface GatewayContext {
  principal: Principal;
  services: Services;
  loaders: Loaders;
  requestId: string;
  /** The HTTP request's log record (observability); absent on websockets. */
  operationRecord?: object;
}
