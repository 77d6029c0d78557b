import type { ModuleContext } from '../context';
import type { AssetLoaders } from '../assets/asset.context';
import type { RequestLoaders } from '../loaders';
import type { LedgerService } from './ledger.service';

/** What the ledger resolvers read from the context (only the services it calls; asset fields need assetByCode). */
export type LedgerContext = ModuleContext<
  { ledger: LedgerService },
  Pick<RequestLoaders, 'entriesByTransactionId' | 'reversalIdByTransactionId' | 'transactionById'> &
    AssetLoaders
>;
