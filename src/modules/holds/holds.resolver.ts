import { Arg, Args, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { HoldsContext } from './holds.context';
import { requireAsset } from '../assets/asset.fields';
import { Asset } from '../assets/asset.types';
import { Transaction } from '../ledger/ledger.types';
import { MovementPayload } from '../wallet/wallet.types';
import { CaptureHoldInput, Hold, HoldInput, HoldPayload, ReleaseHoldArgs } from './holds.types';

@Resolver(() => Hold)
export class HoldResolver {
  @Query(() => Hold, {
    nullable: true,
    description: 'A hold by id; null when unknown (or, for a player, not theirs).',
  })
  hold(@Arg('id', () => ID) id: string, @Ctx() ctx: HoldsContext): Promise<Hold | null> {
    return ctx.services.holds.hold(ctx.principal, id);
  }

  @Mutation(() => HoldPayload, {
    name: 'hold',
    description:
      'Reserves funds: available drops, balance does not; no ledger entry until capture.',
  })
  placeHold(
    @Arg('input', () => HoldInput) input: HoldInput,
    @Ctx() ctx: HoldsContext,
  ): Promise<HoldPayload> {
    return ctx.services.holds.place(ctx.principal, input);
  }

  @Mutation(() => MovementPayload)
  captureHold(
    @Arg('input', () => CaptureHoldInput) input: CaptureHoldInput,
    @Ctx() ctx: HoldsContext,
  ): Promise<MovementPayload> {
    return ctx.services.holds.capture(ctx.principal, input);
  }

  @Mutation(() => HoldPayload)
  releaseHold(
    @Args(() => ReleaseHoldArgs) args: ReleaseHoldArgs,
    @Ctx() ctx: HoldsContext,
  ): Promise<HoldPayload> {
    return ctx.services.holds.release(ctx.principal, args.holdId, args.idempotencyKey);
  }

  @FieldResolver(() => Asset)
  asset(@Root() hold: Hold, @Ctx() ctx: HoldsContext): Promise<Asset> {
    return requireAsset(ctx, hold.assetCode);
  }

  @FieldResolver(() => Transaction, {
    nullable: true,
    description: 'The CAPTURE transaction, once the hold is captured.',
  })
  capture(@Root() hold: Hold, @Ctx() ctx: HoldsContext): Promise<Transaction | null> {
    return hold.captureTransactionId
      ? ctx.loaders.transactionById.load(hold.captureTransactionId)
      : Promise.resolve(null);
  }
}

@Resolver(() => Transaction)
export class TransactionHoldResolver {
  @FieldResolver(() => Hold, {
    nullable: true,
    description: 'For a CAPTURE: the hold it captured.',
  })
  hold(@Root() transaction: Transaction, @Ctx() ctx: HoldsContext): Promise<Hold | null> {
    return transaction.holdId
      ? ctx.loaders.holdById.load(transaction.holdId)
      : Promise.resolve(null);
  }
}
