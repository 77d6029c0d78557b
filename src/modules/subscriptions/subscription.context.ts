import type { ModuleContext } from '../context';
import type { SubscriptionService } from './subscription.service';

/** What the subscriptions resolvers read from the context (only the services it calls). */
export type SubscriptionsContext = ModuleContext<{ subscriptions: SubscriptionService }>;
