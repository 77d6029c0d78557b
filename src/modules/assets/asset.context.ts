import type DataLoader from 'dataloader';
import type { ModuleContext } from '../context';
import type { AssetService } from './asset.service';
import type { Asset } from './asset.types';

/** What the asset resolvers read from the context (only the services they call). */
export type AssetsContext = ModuleContext<{ assets: AssetService }>;

/** The per-request loader of assets, which resolving an asset field in any module needs. */
export interface AssetLoaders {
  assetByCode: DataLoader<string, Asset | null>;
}

/** What resolving an asset field needs, in any module's resolver: the per-request loader. */
export type AssetFieldContext = Pick<ModuleContext<object, AssetLoaders>, 'loaders'>;
