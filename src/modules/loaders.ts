import type DataLoader from 'dataloader';
import type { Asset } from './assets/asset.types';
import type { Hold } from './holds/holds.types';
import type { LedgerEntry, Transaction } from './ledger/ledger.types';
import type { CreditLot } from './wallet/wallet.types';

/**
 * Per-request batching: a ledger page of 50 entries with their transactions, assets and the
 * transactions' entries costs one statement per kind of thing, not one per entry.
 */
export interface RequestLoaders {
  assetByCode: DataLoader<string, Asset | null>;
  transactionById: DataLoader<string, Transaction | null>;
  entriesByTransactionId: DataLoader<string, LedgerEntry[]>;
  /** The id of the reversal of a transaction, by the transaction's id (null when not reversed). */
  reversalIdByTransactionId: DataLoader<string, string | null>;
  holdById: DataLoader<string, Hold | null>;
  /** Wallet.expiring as of now, by walletLoaderKey(userId, asset) ([] for a wallet not created). */
  expiringByWallet: DataLoader<string, CreditLot[]>;
}

export const walletLoaderKey = (userId: string, assetCode: string) => `${userId}\u0000${assetCode}`;
