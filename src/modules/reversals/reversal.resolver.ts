import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { ReversalContext } from './reversal.context';
import { MovementPayload } from '../wallet/wallet.types';
import { ReverseInput } from './reversal.types';

@Resolver()
export class ReversalResolver {
  @Mutation(() => MovementPayload, {
    description:
      'Undoes a TOPUP, BONUS, SPEND or CAPTURE with a new transaction in the other direction.',
  })
  reverse(
    @Arg('input', () => ReverseInput) input: ReverseInput,
    @Ctx() ctx: ReversalContext,
  ): Promise<MovementPayload> {
    return ctx.services.reversals.reverse(ctx.principal, input);
  }
}
