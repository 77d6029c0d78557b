import type { ModuleContext } from '../context';
import type { RequestLoaders } from '../loaders';
import type { AssetService } from './asset.service';

/** What the asset resolvers read from the context (only the services they call). */
export type AssetsContext = ModuleContext<{ assets: AssetService }>;

/** What resolving an asset field needs, in any module's resolver: the per-request loader. */
export type AssetFieldContext = Pick<ModuleContext<object, AssetLoaders>, 'loaders'>;

export type AssetLoaders = Pick<RequestLoaders, 'assetByCode'>;
