import type { ModuleContext } from '../context';
import type { AssetLoaders } from '../assets/asset.context';
import type { RequestLoaders } from '../loaders';
import type { WalletStatusService } from './wallet-status.service';
import type { WalletService } from './wallet.service';

/** What the wallet resolvers read from the context (only the services it calls; asset fields need assetByCode). */
export type WalletContext = ModuleContext<
  { wallet: WalletService; walletStatus: WalletStatusService },
  Pick<RequestLoaders, 'expiringByWallet'> & AssetLoaders
>;
