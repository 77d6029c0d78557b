import { Arg, ID, Resolver, Root, Subscription, type SubscribeResolverData } from 'type-graphql';
import type { PubSub } from 'type-graphql';
import type { SubscriptionsContext } from './subscription.context';
import { AmountScalar } from '../../shared/money';
import { BalanceChange, type BalanceChangedArgs } from './subscription.types';

@Resolver(() => BalanceChange)
export class BalanceChangeResolver {
  @Subscription(() => BalanceChange, {
    description:
      "Every committed change to the user's wallets, in sequence order, never a change that rolled back. With afterSequence " +
      "(which needs asset, since a sequence is per wallet), the wallet's entries after it are replayed first, so a client " +
      'that reconnects misses nothing.',
    subscribe: ({
      args,
      context,
    }: SubscribeResolverData<unknown, BalanceChangedArgs, SubscriptionsContext>) =>
      context.services.subscriptions.balanceChanged(context.principal, args),
  })
  balanceChanged(
    @Root() change: BalanceChange,
    // The arguments are declared here for the schema; the subscribe function above reads them.
    @Arg('userId', () => ID) _userId: string,
    @Arg('asset', () => ID, { nullable: true }) _asset: string | null,
    @Arg('afterSequence', () => AmountScalar, { nullable: true }) _afterSequence: bigint | null,
  ): BalanceChange {
    return change;
  }
}

/**
 * type-graphql insists on a PubSub once any @Subscription exists, even when every subscription
 * brings its own `subscribe` function, as ours does (the ledger is the event source). This one
 * refuses to be used.
 */
export const unusedPubSub: PubSub = {
  publish() {
    throw new Error('the gateway has no in-memory pubsub: subscriptions read the ledger');
  },
  subscribe() {
    throw new Error('the gateway has no in-memory pubsub: subscriptions read the ledger');
  },
};
