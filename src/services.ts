import type { Config } from './shared/config';
import type { Database } from './shared/db/prisma';
import type { TransactionOptions } from './shared/db/transaction';
import { AssetService } from './modules/assets/asset.service';
import { LedgerService } from './modules/ledger/ledger.service';
import { WalletService } from './modules/wallet/wallet.service';

/** The domain services of one gateway process, built once at start and shared by every request. */
export interface Services {
  assets: AssetService;
  wallet: WalletService;
  ledger: LedgerService;
}

export function transactionOptions(config: Pick<Config, 'TX_MAX_WAIT_MS' | 'TX_TIMEOUT_MS'>): TransactionOptions {
  return { maxWaitMs: config.TX_MAX_WAIT_MS, timeoutMs: config.TX_TIMEOUT_MS };
}

export function createServices(database: Database, config: Config): Services {
  const assets = new AssetService(database.prisma);
  const txOptions = transactionOptions(config);
  return {
    assets,
    wallet: new WalletService(database.prisma, assets, txOptions),
    ledger: new LedgerService(database.prisma, assets),
  };
}
