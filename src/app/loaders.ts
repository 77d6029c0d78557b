import DataLoader from 'dataloader';
import type { PrismaClient } from '../../generated/prisma/client';
import { assetStore } from '../modules/assets/asset.store';
import type { Asset } from '../modules/assets/asset.types';
import { ledgerStore } from '../modules/ledger/ledger.store';
import type { LedgerEntry, Transaction } from '../modules/ledger/ledger.types';
import { reversalStore } from '../modules/ledger/reversal.store';
import { holdStore } from '../modules/holds/holds.store';
import type { Hold } from '../modules/holds/holds.types';

/**
 * Per-request batching: a ledger page of 50 entries with their transactions, assets and the
 * transactions' entries costs one statement per kind of thing, not one per entry.
 */
export interface Loaders {
  assetByCode: DataLoader<string, Asset | null>;
  transactionById: DataLoader<string, Transaction | null>;
  entriesByTransactionId: DataLoader<string, LedgerEntry[]>;
  /** The id of the reversal of a transaction, by the transaction's id (null when not reversed). */
  reversalIdByTransactionId: DataLoader<string, string | null>;
  holdById: DataLoader<string, Hold | null>;
}

export function createLoaders(prisma: PrismaClient): Loaders {
  return {
    assetByCode: new DataLoader(async (codes) => {
      const rows = await assetStore.findByCodes(prisma, codes);
      const byCode = new Map(rows.map((row) => [row.code, row]));
      return codes.map((code) => byCode.get(code) ?? null);
    }),
    transactionById: new DataLoader(async (ids) => {
      const rows = await ledgerStore.findTransactionsByIds(
        prisma,
        ids.map((id) => BigInt(id)),
      );
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    entriesByTransactionId: new DataLoader(async (ids) => {
      const rows = await ledgerStore.findEntriesByTransactionIds(
        prisma,
        ids.map((id) => BigInt(id)),
      );
      const byTransaction = new Map<string, LedgerEntry[]>();
      for (const row of rows) {
        const list = byTransaction.get(row.transactionId) ?? [];
        list.push(row);
        byTransaction.set(row.transactionId, list);
      }
      return ids.map((id) => byTransaction.get(id) ?? []);
    }),
    reversalIdByTransactionId: new DataLoader(async (ids) => {
      const rows = await reversalStore.findReversalIdsByOriginalIds(
        prisma,
        ids.map((id) => BigInt(id)),
      );
      const byOriginal = new Map(rows.map((row) => [row.originalId, row.reversalId]));
      return ids.map((id) => byOriginal.get(id) ?? null);
    }),
    holdById: new DataLoader(async (ids) => {
      const rows = await holdStore.findHoldsByIds(
        prisma,
        ids.map((id) => BigInt(id)),
      );
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
  };
}
