import type { ModuleContext } from '../context';

/** What the webhooks resolvers read from the context (the event feed's services come through feedServices(ctx)). */
export type WebhooksContext = ModuleContext<object>;
