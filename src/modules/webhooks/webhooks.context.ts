import type { ModuleContext } from '../context';

/** What the webhooks resolvers read from the context (the webhook service comes through webhookServiceOf(ctx)). */
export type WebhooksContext = ModuleContext<object>;
