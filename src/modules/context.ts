import type { Principal } from '../shared/auth/principal';

/**
 * The part of a resolver's context a module reads: the caller, the services it calls, the
 * per-request DataLoaders it uses. Each module names its own (WalletContext, HoldsContext, ...)
 * with only what it needs; the composition root's GatewayContext (src/app/context.ts) satisfies
 * every one of them, so no module imports src/app.
 */
export interface ModuleContext<TServices extends object, TLoaders extends object = object> {
  principal: Principal;
  services: TServices;
  loaders: TLoaders;
  requestId: string;
}
