import type { ModuleContext } from '../context';
import type { AssetLoaders } from '../assets/asset.context';
import type { RequestLoaders } from '../loaders';
import type { HoldService } from './holds.service';

/** What the holds resolvers read from the context (only the services it calls; asset fields need assetByCode). */
export type HoldsContext = ModuleContext<
  { holds: HoldService },
  Pick<RequestLoaders, 'holdById' | 'transactionById'> & AssetLoaders
>;
