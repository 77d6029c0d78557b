import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import { GraphQLDateTime } from 'graphql-scalars';
import { walletLoaderKey, type WalletContext } from './wallet.context';
import { requireAsset } from '../assets/asset.fields';
import { Asset } from '../assets/asset.types';
import { creditLotNodeId, walletNodeId } from '../../shared/node-id';
import {
  BonusInput,
  CreditLot,
  SpendInput,
  TopupInput,
  MovementPayload,
  Wallet,
  WalletStatus,
} from './wallet.types';

@Resolver(() => Wallet)
export class WalletResolver {
  @Query(() => Wallet, {
    description:
      'A wallet that never received anything reads as balance 0. With at, the balance as of that instant.',
  })
  balance(
    @Arg('userId', () => ID) userId: string,
    @Arg('asset', () => ID) asset: string,
    @Arg('at', () => GraphQLDateTime, { nullable: true }) at: Date | null,
    @Ctx() ctx: WalletContext,
  ): Promise<Wallet> {
    const wallet = ctx.services.wallet.balance(ctx.principal, userId, asset, at);
    // A reading as of an instant is not the live wallet: it gets an id of its own.
    return at ? wallet.then((reading) => ({ ...reading, readingAt: at })) : wallet;
  }

  @Query(() => [Wallet])
  balances(@Arg('userId', () => ID) userId: string, @Ctx() ctx: WalletContext): Promise<Wallet[]> {
    return ctx.services.wallet.balances(ctx.principal, userId);
  }

  @Mutation(() => MovementPayload, { description: 'Credits bought by the user: treasury -> user.' })
  topup(
    @Arg('input', () => TopupInput) input: TopupInput,
    @Ctx() ctx: WalletContext,
  ): Promise<MovementPayload> {
    return ctx.services.wallet.topup(ctx.principal, input);
  }

  @Mutation(() => MovementPayload, {
    description: 'Free credits issued by the platform: bonus pool -> user.',
  })
  bonus(
    @Arg('input', () => BonusInput) input: BonusInput,
    @Ctx() ctx: WalletContext,
  ): Promise<MovementPayload> {
    return ctx.services.wallet.bonus(ctx.principal, input);
  }

  @Mutation(() => MovementPayload, {
    description:
      'Credits spent by the user: user -> revenue. Fails with INSUFFICIENT_FUNDS rather than going below zero.',
  })
  spend(
    @Arg('input', () => SpendInput) input: SpendInput,
    @Ctx() ctx: WalletContext,
  ): Promise<MovementPayload> {
    return ctx.services.wallet.spend(ctx.principal, input);
  }

  @Mutation(() => [Wallet], {
    description:
      "v2, admins. With asset, that one wallet (created at balance 0 if the user\nnever had it). Without asset, the user as a whole: every wallet they have\nand any they get later. A wallet reads FROZEN while it or its user is\nfrozen; each of the two is set and cleared on its own. Answers the user's\nwallets, one per asset, as balances does.",
  })
  setWalletStatus(
    @Arg('userId', () => ID) userId: string,
    @Arg('asset', () => ID, { nullable: true }) asset: string | null,
    @Arg('status', () => WalletStatus) status: WalletStatus,
    @Arg('reason', () => String, { nullable: true }) reason: string | null,
    @Ctx() ctx: WalletContext,
  ): Promise<Wallet[]> {
    return ctx.services.walletStatus.setStatus(ctx.principal, userId, asset, status, reason);
  }

  @FieldResolver(() => ID)
  id(@Root() wallet: Wallet): string {
    return walletNodeId(wallet.userId, wallet.assetCode, wallet.readingAt);
  }

  @FieldResolver(() => Asset)
  asset(@Root() wallet: Wallet, @Ctx() ctx: WalletContext): Promise<Asset> {
    return requireAsset(ctx, wallet.assetCode);
  }

  /** As of now, always: a wallet that is a past state (a change, an instant) reads its lots now. */
  @FieldResolver(() => [CreditLot])
  expiring(@Root() wallet: Wallet, @Ctx() ctx: WalletContext): CreditLot[] | Promise<CreditLot[]> {
    return (
      wallet.expiring ??
      ctx.loaders.expiringByWallet.load(walletLoaderKey(wallet.userId, wallet.assetCode))
    );
  }
}

/** A credit lot's opaque id, made from its row id (the engine's views carry the row id only). */
@Resolver(() => CreditLot)
export class CreditLotResolver {
  @FieldResolver(() => ID)
  id(@Root() lot: CreditLot): string {
    return creditLotNodeId(lot.lotId);
  }
}
