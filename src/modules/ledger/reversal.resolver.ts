import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { LedgerContext } from './ledger.context';
import { TransferPayload } from '../wallet/wallet.types';
import { ReverseInput } from './reversal.types';

@Resolver()
export class ReversalResolver {
  @Mutation(() => TransferPayload, {
    description:
      'Undoes a TOPUP, BONUS, SPEND or CAPTURE with a new transaction in the other direction.',
  })
  reverse(
    @Arg('input', () => ReverseInput) input: ReverseInput,
    @Ctx() ctx: LedgerContext,
  ): Promise<TransferPayload> {
    return ctx.services.reversals.reverse(ctx.principal, input);
  }
}
