import type { Registry } from 'prom-client';
import type { PrismaClient } from '../../../generated/prisma/client';
import type { Config } from '../../shared/config';
import { createDatabase } from '../../shared/db/prisma';
import { limits } from '../../shared/limits';
import { logger } from '../../shared/logger';
import { EventService } from '../events/events.service';
import { attachEventService } from '../events/feed-services';
import { attachWebhookService } from './webhook-services';
import { createFeedMetrics } from './webhook-metrics';
import { startWebhookWorker, type WebhookWorker } from './webhook-worker';
import { webhookStore } from './webhooks.store';
import { WebhookService } from './webhooks.service';

/**
 * Wires the event feed into one gateway: the feed and webhook services (attached to the
 * gateway's Services), their metrics, and the delivery worker, which every replica runs unless
 * WEBHOOK_POLL_INTERVAL_MS is 0. The one call the gateway (src/app/gateway.ts) makes.
 */
export function startEventFeed(options: {
  /** The gateway's services object, which the feed's services are attached to. */
  services: object;
  prisma: PrismaClient;
  connectionString: string;
  config: Config;
  registry: Registry;
}): { stop(): Promise<void> } {
  const { config } = options;
  // The worker and the metrics' backlog reads get a small pool of their own: polling never takes
  // a connection the money path is waiting for, and the requests' pool sees only requests.
  const workerDatabase = createDatabase({
    connectionString: options.connectionString,
    poolMax: limits.webhookDbPoolMax,
    connectTimeoutMs: config.DB_CONNECT_TIMEOUT_MS,
    statementTimeoutMs: config.DB_STATEMENT_TIMEOUT_MS,
  });
  const prisma = workerDatabase.prisma;
  const policy = {
    production: config.NODE_ENV === 'production',
    allowedHosts: config.WEBHOOK_ALLOWED_HOSTS,
  };
  const events = new EventService(options.prisma);
  const lagReader = new EventService(prisma);
  attachEventService(options.services, events);
  attachWebhookService(options.services, new WebhookService(options.prisma, policy));
  const metrics = createFeedMetrics(options.registry, {
    feedLagSeconds: () => lagReader.lagSeconds(),
    backlog: (cap) => webhookStore.backlog(prisma, cap),
  });
  if (config.WEBHOOK_LEASE_MS <= limits.webhookDeliveryTimeoutMs) {
    // Allowed (tests use short leases with fast receivers), but a slow receiver can then see a
    // second replica deliver to it while the first is still waiting: duplicates out of order.
    logger.warn(
      { leaseMs: config.WEBHOOK_LEASE_MS, timeoutMs: limits.webhookDeliveryTimeoutMs },
      'WEBHOOK_LEASE_MS does not exceed the delivery timeout',
    );
  }
  const worker: WebhookWorker | undefined =
    config.WEBHOOK_POLL_INTERVAL_MS > 0
      ? startWebhookWorker({
          prisma,
          policy,
          metrics,
          pollIntervalMs: config.WEBHOOK_POLL_INTERVAL_MS,
          backoffBaseMs: config.WEBHOOK_BACKOFF_BASE_MS,
          backoffMaxMs: config.WEBHOOK_BACKOFF_MAX_MS,
          retryWindowMs: config.WEBHOOK_RETRY_WINDOW_MS,
          leaseMs: config.WEBHOOK_LEASE_MS,
        })
      : undefined;
  return {
    async stop() {
      await worker?.stop();
      await workerDatabase.close();
    },
  };
}
