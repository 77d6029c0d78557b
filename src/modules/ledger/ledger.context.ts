import type DataLoader from 'dataloader';
import type { ModuleContext } from '../context';
import type { AssetLoaders } from '../assets/asset.context';
import type { LedgerService } from './ledger.service';
import type { LedgerEntry, Transaction } from './ledger.types';

/** What the ledger resolvers read from the context (only the services it calls; asset fields need assetByCode). */
export type LedgerContext = ModuleContext<{ ledger: LedgerService }, LedgerLoaders & AssetLoaders>;

/**
 * Per-request batching of ledger reads: a ledger page of 50 entries with their transactions and
 * the transactions' entries costs one statement per kind of thing, not one per entry.
 */
export interface LedgerLoaders {
  transactionById: DataLoader<string, Transaction | null>;
  entriesByTransactionId: DataLoader<string, LedgerEntry[]>;
  /** The id of the reversal of a transaction, by the transaction's id (null when not reversed). */
  reversalIdByTransactionId: DataLoader<string, string | null>;
}
