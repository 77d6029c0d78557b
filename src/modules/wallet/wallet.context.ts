import type DataLoader from 'dataloader';
import type { ModuleContext } from '../context';
import type { AssetLoaders } from '../assets/asset.context';
import type { WalletStatusService } from './wallet-status.service';
import type { WalletService } from './wallet.service';
import type { CreditLot } from './wallet.types';

/** What the wallet resolvers read from the context (only the services it calls; asset fields need assetByCode). */
export type WalletContext = ModuleContext<
  { wallet: WalletService; walletStatus: WalletStatusService },
  WalletLoaders & AssetLoaders
>;

/** The per-request loader of Wallet.expiring (as of now), by walletLoaderKey(userId, asset). */
export interface WalletLoaders {
  /** [] for a wallet not created yet. */
  expiringByWallet: DataLoader<string, CreditLot[]>;
}

export const walletLoaderKey = (userId: string, assetCode: string) => `${userId}\u0000${assetCode}`;
