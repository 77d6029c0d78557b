import type { WebhookService } from '../webhooks/webhooks.service';
import type { EventService } from './events.service';

/** The services of the event feed and the webhooks. */
export interface FeedServices {
  events: EventService;
  webhooks: WebhookService;
}

// The feed's services hang off the gateway's Services object rather than being fields of it, so
// that this module needs no edit to src/app/services.ts (which the money engine rewrites).
// startEventFeed attaches them once per gateway; several gateways in one process (the tests)
// each have their own.
const attached = new WeakMap<object, FeedServices>();

export function attachFeedServices(services: object, feed: FeedServices): void {
  attached.set(services, feed);
}

export function feedServices(ctx: { services: object }): FeedServices {
  const feed = attached.get(ctx.services);
  if (!feed)
    throw new Error(
      'invariant: the event feed services were not attached to this gateway (startEventFeed)',
    );
  return feed;
}
