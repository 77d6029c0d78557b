import type { Config } from '../shared/config';
import type { Database } from '../shared/db/prisma';
import type { GatewayMetrics } from '../shared/observability/metrics';
import { startExpirySweeper } from '../modules/holds/expiry-sweeper';
import type { PgWalletEventBus } from '../modules/subscriptions/wallet-event-bus';
import { startEventFeed } from '../modules/webhooks/feed';
import type { Services } from './services';

export interface BackgroundJobs {
  /** Stops the sweeper and the webhook worker, waiting for a pass in progress (their pools close). */
  stopJobs(): Promise<void>;
  /** Closes the LISTEN connection; after stopJobs, once nothing waits for a wake-up any more. */
  stopListening(): Promise<void>;
}

/**
 * What a gateway runs besides answering requests: the LISTEN connection that wakes live
 * subscriptions, the event feed with the webhooks' delivery worker (src/modules/events,
 * src/modules/webhooks), and the sweeper that expires holds and credit lots.
 */
export async function startBackgroundJobs(options: {
  config: Config;
  database: Database;
  connectionString: string;
  services: Services;
  metrics: GatewayMetrics;
  walletEvents: PgWalletEventBus;
}): Promise<BackgroundJobs> {
  const { config, services } = options;
  const feed = startEventFeed({
    services,
    prisma: options.database.prisma,
    connectionString: options.connectionString,
    config,
    registry: options.metrics.registry,
  });
  await options.walletEvents.start();
  // Marks holds past their expiry EXPIRED in the background (reads already ignore them).
  // The same pass posts the EXPIRY of credit lots past their expiresAt (reads already ignore them).
  const sweep = {
    sweepExpired: async () =>
      (await services.holds.sweepExpiredHolds()) + (await services.lots.sweepExpiredLots()),
  };
  const sweeper =
    config.HOLD_SWEEP_INTERVAL_MS > 0
      ? startExpirySweeper(sweep, config.HOLD_SWEEP_INTERVAL_MS)
      : undefined;
  return {
    stopJobs: async () => {
      await Promise.all([sweeper?.stop(), feed.stop()]);
    },
    stopListening: () => options.walletEvents.stop(),
  };
}
