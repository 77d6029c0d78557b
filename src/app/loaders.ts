import DataLoader from 'dataloader';
import type { PrismaClient } from '../../generated/prisma/client';
import { assetStore } from '../modules/assets/asset.store';
import { ledgerStore } from '../modules/ledger/ledger.store';
import type { LedgerEntry } from '../modules/ledger/ledger.types';
import { reversalStore } from '../modules/reversals/reversal.store';
import { holdStore } from '../modules/holds/holds.store';
import { fromStored } from '../money/lots';
import { expiringLots } from '../money/view';
import { walletStore } from '../modules/wallet/wallet.store';
import type { AssetLoaders } from '../modules/assets/asset.context';
import type { HoldLoaders } from '../modules/holds/holds.context';
import type { LedgerLoaders } from '../modules/ledger/ledger.context';
import { walletLoaderKey, type WalletLoaders } from '../modules/wallet/wallet.context';

export { walletLoaderKey };

/** Every module's per-request loaders: each module's context names the ones it reads. */
export type Loaders = AssetLoaders & LedgerLoaders & HoldLoaders & WalletLoaders;

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
    expiringByWallet: new DataLoader(async (keys) => {
      const refs = keys.map((key) => {
        const [userId, assetCode] = key.split('\u0000') as [string, string];
        return { userId, assetCode };
      });
      const rows = await walletStore.findLotsOf(prisma, refs);
      const byKey = new Map(
        rows.map((row) => [
          walletLoaderKey(row.user_id, row.asset_code),
          expiringLots(row.lots.map(fromStored), row.now),
        ]),
      );
      return keys.map((key) => byKey.get(key) ?? []);
    }),
  };
}
