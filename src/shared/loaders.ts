import DataLoader from 'dataloader';
import type { PrismaClient } from '../../generated/prisma/client';
import { assetStore } from '../modules/assets/asset.store';
import type { Asset } from '../modules/assets/asset.types';
import { ledgerStore } from '../modules/ledger/ledger.store';
import type { LedgerEntry, Transaction } from '../modules/ledger/ledger.types';

/**
 * Per-request batching: a ledger page of 50 entries with their transactions, assets and the
 * transactions' entries costs one statement per kind of thing, not one per entry.
 */
export interface Loaders {
  assetByCode: DataLoader<string, Asset | null>;
  transactionById: DataLoader<string, Transaction | null>;
  entriesByTransactionId: DataLoader<string, LedgerEntry[]>;
}

export function createLoaders(prisma: PrismaClient): Loaders {
  return {
    assetByCode: new DataLoader(async (codes) => {
      const rows = await assetStore.findByCodes(prisma, codes);
      const byCode = new Map(rows.map((row) => [row.code, row]));
      return codes.map((code) => byCode.get(code) ?? null);
    }),
    transactionById: new DataLoader(async (ids) => {
      const rows = await ledgerStore.findTransactionsByIds(prisma, ids.map((id) => BigInt(id)));
      const byId = new Map(rows.map((row) => [row.id, row]));
      return ids.map((id) => byId.get(id) ?? null);
    }),
    entriesByTransactionId: new DataLoader(async (ids) => {
      const rows = await ledgerStore.findEntriesByTransactionIds(prisma, ids.map((id) => BigInt(id)));
      const byTransaction = new Map<string, LedgerEntry[]>();
      for (const row of rows) {
        const list = byTransaction.get(row.transactionId) ?? [];
        list.push(row);
        byTransaction.set(row.transactionId, list);
      }
      return ids.map((id) => byTransaction.get(id) ?? []);
    }),
  };
}
