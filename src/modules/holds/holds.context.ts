import type DataLoader from 'dataloader';
import type { ModuleContext } from '../context';
import type { AssetLoaders } from '../assets/asset.context';
import type { LedgerLoaders } from '../ledger/ledger.context';
import type { HoldService } from './holds.service';
import type { Hold } from './holds.types';

/** The per-request loader of holds by id. */
export interface HoldLoaders {
  holdById: DataLoader<string, Hold | null>;
}

/** What the holds resolvers read from the context (only the services it calls; asset fields need assetByCode). */
export type HoldsContext = ModuleContext<
  { holds: HoldService },
  HoldLoaders & Pick<LedgerLoaders, 'transactionById'> & AssetLoaders
>;
