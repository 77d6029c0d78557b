import { Args, Ctx, FieldResolver, Query, Resolver, Root } from 'type-graphql';
import type { EventsContext } from './events.context';
import { Hold } from '../holds/holds.types';
import { Transaction } from '../ledger/ledger.types';
import { Wallet } from '../wallet/wallet.types';
import { holdFromSnapshot, walletFromSnapshot } from './event-objects';
import { Event, EventConnection, EventsArgs, EventType } from './events.types';
import { eventServiceOf } from './feed-services';

@Resolver(() => Event)
export class EventResolver {
  @Query(() => EventConnection, {
    description:
      'v2, servers and admins: every committed change, oldest first; first is capped (at most 500).',
  })
  events(
    @Args(() => EventsArgs) args: EventsArgs,
    @Ctx() ctx: EventsContext,
  ): Promise<EventConnection> {
    return eventServiceOf(ctx).events(ctx.principal, { after: args.after, first: args.first });
  }

  @FieldResolver(() => Transaction, { nullable: true, description: 'For TRANSACTION.' })
  transaction(@Root() event: Event, @Ctx() ctx: EventsContext): Promise<Transaction | null> {
    // Transactions are immutable: the row now is the row at commit.
    return event.type === EventType.TRANSACTION && event.transactionId
      ? ctx.loaders.transactionById.load(event.transactionId)
      : Promise.resolve(null);
  }

  @FieldResolver(() => Hold, {
    nullable: true,
    description: 'For HOLD: the hold as the change left it.',
  })
  hold(@Root() event: Event): Hold | null {
    return event.type === EventType.HOLD && event.payload ? holdFromSnapshot(event.payload) : null;
  }

  @FieldResolver(() => Wallet, {
    nullable: true,
    description: 'For WALLET_STATUS: the wallet as the change left it.',
  })
  wallet(@Root() event: Event): Wallet | null {
    return event.type === EventType.WALLET_STATUS && event.payload
      ? walletFromSnapshot(event.payload)
      : null;
  }
}
