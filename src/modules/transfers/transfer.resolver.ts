import { Arg, Ctx, Mutation, Resolver } from 'type-graphql';
import type { TransfersContext } from './transfer.context';
import {
  ChangesetInput,
  ChangesetPayload,
  UserTransferInput,
  UserTransferPayload,
} from './transfer.types';

@Resolver()
export class TransferResolver {
  @Mutation(() => UserTransferPayload, {
    description: 'v2: one player to another; INSUFFICIENT_FUNDS rather than below zero.',
  })
  transfer(
    @Arg('input', () => UserTransferInput) input: UserTransferInput,
    @Ctx() ctx: TransfersContext,
  ): Promise<UserTransferPayload> {
    return ctx.services.transfers.transfer(ctx.principal, input);
  }

  @Mutation(() => ChangesetPayload, { description: 'v2: all legs or none.' })
  applyChangeset(
    @Arg('input', () => ChangesetInput) input: ChangesetInput,
    @Ctx() ctx: TransfersContext,
  ): Promise<ChangesetPayload> {
    return ctx.services.transfers.applyChangeset(ctx.principal, input);
  }
}
