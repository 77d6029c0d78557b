import type { Services } from '../../app/services';
import type { GatewayContext } from '../../app/context';
import type { WebhookService } from '../webhooks/webhooks.service';
import type { EventService } from './events.service';

/** The services of the event feed and the webhooks. */
export interface FeedServices {
  events: EventService;
  webhooks: WebhookService;
}

// The feed's services hang off the gateway's Services object rather than being fields of it, so
// that this module needs no edit to src/services.ts (which the money engine rewrites). server.ts
// attaches them once per gateway; several gateways in one process (the tests) each have their own.
const attached = new WeakMap<Services, FeedServices>();

export function attachFeedServices(services: Services, feed: FeedServices): void {
  attached.set(services, feed);
}

export function feedServices(ctx: Pick<GatewayContext, 'services'>): FeedServices {
  const feed = attached.get(ctx.services);
  if (!feed)
    throw new Error(
      'invariant: the event feed services were not attached to this gateway (server.ts)',
    );
  return feed;
}
