import { Arg, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root } from 'type-graphql';
import type { AssetsContext } from './asset.context';
import { assetNodeId } from '../../shared/node-id';
import { Asset, AssetLimitsInput, CreateAssetInput, UpdateAssetInput } from './asset.types';

@Resolver(() => Asset)
export class AssetResolver {
  @Query(() => [Asset])
  assets(@Ctx() ctx: AssetsContext): Promise<Asset[]> {
    return ctx.services.assets.list();
  }

  @Mutation(() => Asset, {
    description: 'Admin only: adds an asset together with its system accounts.',
  })
  createAsset(
    @Arg('input', () => CreateAssetInput) input: CreateAssetInput,
    @Ctx() ctx: AssetsContext,
  ): Promise<Asset> {
    return ctx.services.assets.create(ctx.principal, input);
  }

  @Mutation(() => Asset, { description: 'v2, admins.' })
  setAssetLimits(
    @Arg('asset', () => ID) asset: string,
    @Arg('limits', () => AssetLimitsInput) limits: AssetLimitsInput,
    @Ctx() ctx: AssetsContext,
  ): Promise<Asset> {
    return ctx.services.assets.setLimits(ctx.principal, asset, limits);
  }

  @Mutation(() => Asset, {
    description: 'Admin only: renames an asset or changes its display decimals.',
  })
  updateAsset(
    @Arg('input', () => UpdateAssetInput) input: UpdateAssetInput,
    @Ctx() ctx: AssetsContext,
  ): Promise<Asset> {
    return ctx.services.assets.update(ctx.principal, input);
  }

  /** Stable and unique: from the code, which never changes. */
  @FieldResolver(() => ID, { description: 'v3' })
  id(@Root() asset: Asset): string {
    return assetNodeId(asset.code);
  }
}
