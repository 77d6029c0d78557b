import type { Config } from '../shared/config';
import type { Database } from '../shared/db/prisma';
import type { TransactionOptions } from '../shared/db/transaction';
import type { MoneyMovedHook } from '../shared/observability/metrics';
import { AssetService } from '../modules/assets/asset.service';
import { HoldService } from '../modules/holds/holds.service';
import { LedgerService } from '../modules/ledger/ledger.service';
import { ReversalService } from '../modules/reversals/reversal.service';
import { WalletService } from '../modules/wallet/wallet.service';
import { MoneyEngine } from '../money/engine';
import { TransferService } from '../modules/transfers/transfer.service';
import { WalletStatusService } from '../modules/wallet/wallet-status.service';
import { LotsService } from '../modules/lots/lots.service';
import { NodeService } from '../modules/node/node.service';
import { recordWalletStatusEvents } from '../modules/events/wallet-status-events';
import { SubscriptionService } from '../modules/subscriptions/subscription.service';
import {
  InertWalletEventBus,
  type WalletEventBus,
} from '../modules/subscriptions/wallet-event-bus';
import { limits } from '../shared/limits';

/** The domain services of one gateway process, built once at start and shared by every request. */
export interface Services {
  assets: AssetService;
  wallet: WalletService;
  ledger: LedgerService;
  holds: HoldService;
  reversals: ReversalService;
  transfers: TransferService;
  walletStatus: WalletStatusService;
  lots: LotsService;
  subscriptions: SubscriptionService;
  /** Query.node and Query.nodes. */
  node: NodeService;
}

export function transactionOptions(
  config: Pick<Config, 'TX_MAX_WAIT_MS' | 'TX_TIMEOUT_MS'>,
): TransactionOptions {
  return { maxWaitMs: config.TX_MAX_WAIT_MS, timeoutMs: config.TX_TIMEOUT_MS };
}

/** Observers the gateway plugs into the services (metrics); every one is optional. */
export interface ServiceHooks {
  onMoneyMoved?: MoneyMovedHook;
  /** Told of the size of every money transaction's batch (metrics). */
  onBatch?: (operations: number) => void;
  /**
   * The transport of live-subscription wake-ups; the gateway creates and starts it (server.ts).
   * Without one (CLI tools) subscriptions are never woken.
   */
  walletEvents?: WalletEventBus;
  /** The database handle subscription reads use (a pool of their own); default: the shared one. */
  subscriptionReads?: Database['prisma'];
}

export function createServices(
  database: Database,
  config: Config,
  hooks: ServiceHooks = {},
): Services {
  const assets = new AssetService(database.prisma);
  const txOptions = transactionOptions(config);
  const engine = new MoneyEngine(
    database.prisma,
    assets,
    txOptions,
    { onMoneyMoved: hooks.onMoneyMoved, onBatch: hooks.onBatch },
    config.GROUP_COMMIT,
  );
  const wallet = new WalletService(database.prisma, assets, engine);
  return {
    assets,
    wallet,
    ledger: new LedgerService(database.prisma, assets),
    holds: new HoldService(database.prisma, assets, wallet, engine),
    reversals: new ReversalService(database.prisma, wallet, engine),
    transfers: new TransferService(database.prisma, assets, wallet, engine),
    walletStatus: new WalletStatusService(
      database.prisma,
      assets,
      wallet,
      txOptions,
      recordWalletStatusEvents,
    ),
    lots: new LotsService(database.prisma, engine),
    node: new NodeService(database.prisma, wallet),
    subscriptions: new SubscriptionService(
      hooks.subscriptionReads ?? database.prisma,
      assets,
      hooks.walletEvents ?? new InertWalletEventBus(),
      {
        bufferMax: config.WS_SUBSCRIPTION_BUFFER_MAX,
        pageSize: limits.subscriptionReadPageSize,
      },
    ),
  };
}
