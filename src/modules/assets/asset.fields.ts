import type { AssetFieldContext } from './asset.context';
import type { Asset } from './asset.types';

/** Resolves the `asset` field of wallets, entries, transactions and holds through the request's loader. */
export async function requireAsset(ctx: AssetFieldContext, code: string): Promise<Asset> {
  const asset = await ctx.loaders.assetByCode.load(code);
  if (!asset) throw new Error(`invariant: asset ${code} referenced by a stored row is missing`);
  return asset;
}
