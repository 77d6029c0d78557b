import { Field, ObjectType } from 'type-graphql';
import { LedgerEntry } from '../ledger/ledger.types';
import { Wallet } from '../wallet/wallet.types';

@ObjectType({
  description: 'One committed change to a wallet, as a live subscription delivers it.',
})
export class BalanceChange {
  @Field(() => Wallet, {
    description:
      'The wallet after the change: balance and lastSequence as of the entry; available is that balance minus the holds active when the change was read.',
  })
  wallet!: Wallet;

  @Field(() => LedgerEntry, { description: 'The entry that changed it.' })
  entry!: LedgerEntry;
}

/** The arguments of Subscription.balanceChanged, as GraphQL hands them over (scalars parsed). */
export interface BalanceChangedArgs {
  userId: string;
  asset?: string | null;
  afterSequence?: bigint | null;
}
